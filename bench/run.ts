/**
 * `npm run bench`: every suite measures Sigilo against a baseline in the same run (these machines are shared
 * and noisy, so ratios matter more than lone timings). Prints a table and writes bench/results/latest.json.
 * Options: --quick (smaller sizes), --no-postgres, --only=P1,V1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './bench-result.ts';
import { postgresAvailable } from './support.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = [...args]
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const postgres = !args.has('--no-postgres') && (await postgresAvailable());

type Suite = { ids: string[]; run: () => Promise<BenchResult[]> };
const suites: Suite[] = [
  {
    ids: ['V1', 'V2', 'V3'],
    run: async () => (await import('./vault.bench.ts')).run({ people: quick ? 300 : 2000, postgres }),
  },
  {
    ids: ['P1', 'P2'],
    run: async () =>
      (await import('./telecom.bench.ts')).run({
        records: quick ? 50_000 : 300_000,
        rounds: quick ? 1 : 3,
        postgres,
      }),
  },
];
const extras: [string, string[]][] = [
  ['./retention.bench.ts', ['P5', 'P5-projected', 'P5-pg', 'P5-pg-projected', 'P5-cdr', 'P5-cdr-pg']],
  ['./import-rss.bench.ts', ['P7']],
  ['./import-accounts.bench.ts', ['P8', 'P8-pg']],
  [
    './http.bench.ts',
    [
      'P3',
      'P3-p99',
      'P3-busy',
      'P3-pg',
      'P3-pg-p99',
      'P3-pg-busy',
      'P3-pg-2proc',
      'P3-pg-2proc-p99',
      'P3-pg-2proc-busy',
      'P3-pg-scaling',
    ],
  ],
  ['./authority.bench.ts', ['A1', 'A2', 'A1-pg', 'A2-pg']],
  ['./subject-export.bench.ts', ['P4', 'P4-rss']],
  ['./guard.bench.ts', ['G1', 'G1-wall']],
  [
    './access-log.bench.ts',
    ['P6', 'P6-1thread', 'P6-cpu', 'P6-read', 'P6-pg', 'P6-pg-1thread', 'P6-pg-cpu', 'P6-pg-read'],
  ],
];
for (const [extra, ids] of extras) {
  if (fs.existsSync(path.join(import.meta.dirname, extra))) {
    suites.push({
      ids,
      run: async () =>
        (
          (await import(extra)) as {
            run: (o: { quick: boolean; postgres: boolean; only?: string[] }) => Promise<BenchResult[]>;
          }
        ).run({ quick, postgres, ...(only ? { only } : {}) }),
    });
  }
}

const results: BenchResult[] = [];
for (const s of suites) {
  if (only && s.ids.length && !s.ids.some((id) => only.includes(id))) continue;
  try {
    const r = await s.run();
    results.push(...(only ? r.filter((x) => only.includes(x.id)) : r));
  } catch (err) {
    console.error(
      `suite ${s.ids.join(',') || 'extra'} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 1;
  }
}

const rows = results.map((r) => [
  r.id,
  r.what,
  `${r.value.toLocaleString('en')} ${r.unit}`,
  `${r.baselineValue.toLocaleString('en')} (${r.baseline})`,
  `${r.ratio}`,
  r.target ?? '',
  r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
]);
const header = ['id', 'what', 'Sigilo', 'baseline', 'ratio', 'target', 'met'];
const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
const line = (cells: string[]): string =>
  cells.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i]!)).join(' | ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
console.log(`\nratio: ${[...new Set(results.map((r) => r.ratioMeaning))].join('; ')}`);

const dir = path.join(import.meta.dirname, 'results');
fs.mkdirSync(dir, { recursive: true });
const doc = { at: new Date().toISOString(), node: process.version, quick, postgres, results };
fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(doc, null, 2));
console.log(`written ${path.relative(process.cwd(), path.join(dir, 'latest.json'))}`);
