/**
 * P7 of SPEC §11: streaming import of a large Asterisk Master.csv (1 GB; 100 MB with --quick) in a child
 * process, peak RSS measured by the child itself, against a child that only reads and parses the same file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateAsteriskCsvFile } from '../test/support/synthetic/synthetic-cdr.ts';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo } from './support.ts';

const CHILD = path.join(import.meta.dirname, 'import-child.mjs');
// The V8 flags `sigilo import` runs with (IMPORT_V8_FLAGS in bin/sigilo.js): the import streams, so a small old
// space and Node 20's 16 MB semi-spaces bound its memory.
const IMPORT_V8_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=16'];

function child(
  args: string[],
  env: Record<string, string>,
): { records: number; seconds: number; maxRssMb: number } {
  const out = execFileSync(process.execPath, [...IMPORT_V8_FLAGS, CHILD, ...args], {
    env: { ...process.env, ...env, SIGILO_LOG_LEVEL: 'silent' },
    maxBuffer: 1 << 20,
  }).toString();
  return JSON.parse(out.trim().split('\n').at(-1)!) as { records: number; seconds: number; maxRssMb: number };
}

/** P7: peak RSS of `sigilo import` of a large file, and the same file only parsed. */
export async function run(opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const bytes = opts.quick ? 100 * 2 ** 20 : 2 ** 30;
  // Measured on the production build, as an operator runs it (tsx's transpiler alone costs ~50 MB).
  spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'ignore' });
  if (!fs.existsSync(path.join(import.meta.dirname, '../dist/cli/commands/import.command.js')))
    throw new Error('npm run build produced no dist/');
  const b = await benchSigilo('sqlite');
  try {
    const file = path.join(path.dirname(b.sqliteFile!), 'Master.csv');
    const { rows } = await generateAsteriskCsvFile(file, { bytes });
    const account = await b.sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
      b.sigilo.services.accounts.create(s, {
        kind: 'company',
        name: 'Cliente P7',
        taxId: '11.222.333/0001-81',
      }),
    );
    await b.sigilo.close();
    const env = { SIGILO_DATA_DIR: path.dirname(b.sqliteFile!) };
    const parse = child([file, account, '--parse-only'], env);
    const imp = child([file, account], env);
    if (imp.records !== rows) throw new Error(`P7 imported ${imp.records} of ${rows} rows`);
    fs.rmSync(file);
    const mb = (bytes / 2 ** 20).toFixed(0);
    return [
      {
        id: 'P7',
        what: `streaming import of a ${mb} MB Asterisk CSV (${rows.toLocaleString('en')} rows), peak RSS of the child; ${Math.round(rows / imp.seconds).toLocaleString('en')} records/s`,
        value: Math.round(imp.maxRssMb),
        unit: 'MB peak RSS',
        baseline: `the same file only parsed (${Math.round(rows / parse.seconds).toLocaleString('en')} records/s)`,
        baselineValue: Math.round(parse.maxRssMb),
        ratio: Number((imp.maxRssMb / parse.maxRssMb).toFixed(2)),
        ratioMeaning: 'memory ratio = Sigilo peak RSS / parse-only peak RSS',
        target: '<= 300 MB peak RSS',
        pass: imp.maxRssMb <= 300,
      },
    ];
  } finally {
    await b.cleanup().catch(() => undefined);
  }
}
