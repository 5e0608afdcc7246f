/**
 * `npm run soak`: the reliability and security proofs of issue 14 at their large sizes. Loads every
 * `bench/soak/*.suite.ts` (default export a SoakSuite), runs each with size 'soak' (`--size=ci` for the bounded
 * CI sizes, `--only=crash,rotation` to pick), prints each suite's table and a summary table, and writes
 * bench/results/soak-latest.json. A suite that throws is reported and makes the exit status 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SoakResult, SoakSuite } from './suite.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const size = option('size') ?? 'soak';
if (size !== 'soak' && size !== 'ci') {
  console.error(`--size must be soak or ci, not ${size}`);
  process.exit(64);
}
const only = option('only')?.split(',');

/** Prints rows as an aligned text table (the same layout as `npm run bench`). */
function printTable(rows: ReadonlyArray<Readonly<Record<string, string | number>>>): void {
  if (rows.length === 0) return void console.log('(no rows)');
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => header.map((h) => String(r[h] ?? '')));
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i]!.length))));
  const line = (c: string[]): string => c.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) console.log(line(c));
}

const dir = import.meta.dirname;
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.suite.ts'))
  .sort();
const results: {
  name: string;
  seconds: number;
  table?: SoakResult['table'];
  summary?: SoakResult['summary'];
  error?: string;
}[] = [];
for (const file of files) {
  const suite = ((await import(path.join(dir, file))) as { default: SoakSuite }).default;
  if (only && !only.includes(suite.name)) continue;
  console.log(`\n== ${suite.name} (${size}) ==`);
  const t0 = Date.now();
  try {
    const r = await suite.run(size);
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    printTable(r.table);
    results.push({ name: suite.name, seconds, table: r.table, summary: r.summary });
  } catch (err) {
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    // The message only: suites throw their own descriptive errors, never personal data.
    const error = err instanceof Error ? err.message : String(err);
    console.error(`suite ${suite.name} failed: ${error}`);
    results.push({ name: suite.name, seconds, error });
    process.exitCode = 1;
  }
}

console.log(`\n== summary (${size}) ==`);
printTable(
  results.map((r) => ({
    suite: r.name,
    seconds: r.seconds,
    ...(r.summary ?? {}),
    ...(r.error ? { error: r.error } : {}),
  })),
);
const out = path.join(dir, '..', 'results');
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, 'soak-latest.json');
fs.writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), node: process.version, size, suites: results }, null, 2),
);
console.log(`written ${path.relative(process.cwd(), file)}`);
