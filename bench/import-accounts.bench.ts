/**
 * P8 / P8-pg (issue 18, "ingest as providers really have it"): an Asterisk Master.csv over 500 customer accounts
 * with no account codes, attributed by DID-prefix rules created through the service, imported end to end by
 * `sigilo import` in a child process (`npx sigilo`, and `npm run sigilo` on a second installation), against a
 * plaintext import of the same file into the same engine in the same run: csv-parse of the file and batched
 * INSERTs of its rows (SQLite: prepared INSERTs, 5,000 a transaction, same file and pragmas; PostgreSQL:
 * multi-row INSERTs, 5,000 rows a transaction, same schema). Peak RSS is sampled from /proc over the command's
 * whole process tree (npm or npx, the bin wrapper, the importing node) and for the importing process alone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import {
  cnpj,
  createAccount,
  proofCtx,
  proofInstallation,
  type ProofInstallation,
} from '../test/proof/process-harness.ts';
import { didBlocks, writeDidCdrFile } from '../test/support/synthetic/synthetic-did-cdr.ts';
import type { BenchResult } from './bench-result.ts';
import { PG_URL } from './support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ACCOUNTS = 500;
const BATCH = 5_000;
const COLUMNS = [
  'accountcode',
  'src',
  'dst',
  'dcontext',
  'clid',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'start_at',
  'answer_at',
  'end_at',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'uniqueid',
  'userfield',
];

interface CommandRun {
  seconds: number;
  /** Peak of the summed RSS of the command's process tree. */
  treeRssMb: number;
  /** Peak RSS (VmHWM) of the largest process of the tree: the importing node. */
  importerRssMb: number;
  report: { read: number; stored: number; duplicates: number; rejected: number };
}

/** `root` and every pid whose parent chain reaches it, with its VmRSS and VmHWM in kB. */
function tree(root: number): { pid: number; rss: number; hwm: number }[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: { pid: number; rss: number; hwm: number }[] = [];
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p !== undefined && p !== root && p > 1) p = parent.get(p);
    if (p !== root) continue; // the root itself is kept (p === root at once)
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string): number =>
        Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      out.push({ pid, rss: kb('VmRSS'), hwm: kb('VmHWM') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Runs `argv` (npx or npm) in the repository with `env`, sampling its process tree's memory every 100 ms. */
async function command(argv: string[], env: Record<string, string>): Promise<CommandRun> {
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env, SIGILO_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let treeKb = 0;
  const hwm = new Map<number, number>();
  const sample = (): void => {
    const procs = tree(child.pid!);
    let sum = 0;
    for (const p of procs) {
      sum += p.rss;
      hwm.set(p.pid, Math.max(hwm.get(p.pid) ?? 0, p.hwm));
    }
    treeKb = Math.max(treeKb, sum);
  };
  const timer = setInterval(sample, 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0 && code !== 2) throw new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`);
  const json = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!json) throw new Error(`no JSON summary from ${argv.join(' ')}: ${out.slice(-500)} ${err.slice(-500)}`);
  return {
    seconds,
    treeRssMb: treeKb / 1024,
    importerRssMb: Math.max(0, ...hwm.values()) / 1024,
    report: JSON.parse(json) as CommandRun['report'],
  };
}

/** A fresh installation with the 500 accounts and their DID-prefix rules, created through the services. */
export async function installation(dialect: 'sqlite' | 'postgres'): Promise<ProofInstallation> {
  const inst = await proofInstallation(dialect, dialect === 'postgres' ? PG_URL : null);
  const sigilo = await inst.open();
  try {
    const ids: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) ids.push(await createAccount(sigilo, `Cliente ${i} Ltda`, cnpj(i)));
    for (const b of didBlocks(ACCOUNTS)) {
      await sigilo.gate.run(proofCtx('provisioning', 'provisioning'), (s) =>
        sigilo.services.attributionRules.add(s, 'did_prefix', b.prefix, ids[b.account]!),
      );
    }
  } finally {
    await sigilo.close();
  }
  return inst;
}

/** Seconds to csv-parse `file` and insert its rows in plaintext, 5,000 a transaction, into the same engine. */
async function baseline(inst: ProofInstallation, file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const rows = fs
    .createReadStream(file, { highWaterMark: 1 << 20 })
    .pipe(parse({ relax_column_count: true }));
  const ddl = `create table plain_master_csv (${COLUMNS.map((c) => `${c} text`).join(', ')})`;
  if (inst.dialect === 'sqlite') {
    const db = new SqliteDatabase(path.join(inst.env.SIGILO_DATA_DIR!, 'sigilo.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(ddl);
    const insert = db.prepare(`insert into plain_master_csv values (${COLUMNS.map(() => '?').join(',')})`);
    const batch = db.transaction((part: string[][]) => {
      for (const r of part) insert.run(r);
    });
    let part: string[][] = [];
    for await (const r of rows as AsyncIterable<string[]>) {
      part.push(r);
      if (part.length >= BATCH) {
        batch(part);
        part = [];
      }
    }
    if (part.length) batch(part);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: inst.env.SIGILO_DATABASE_URL });
    await client.connect();
    try {
      await client.query(ddl);
      // 500 rows a statement (18 parameters each), 10 statements a transaction.
      const flush = async (part: string[][]): Promise<void> => {
        await client.query('begin');
        for (let i = 0; i < part.length; i += 500) {
          const chunk = part.slice(i, i + 500);
          const values = chunk
            .map((_, j) => `(${COLUMNS.map((_c, k) => `$${j * COLUMNS.length + k + 1}`).join(',')})`)
            .join(',');
          await client.query(`insert into plain_master_csv values ${values}`, chunk.flat());
        }
        await client.query('commit');
      };
      let part: string[][] = [];
      for await (const r of rows as AsyncIterable<string[]>) {
        part.push(r);
        if (part.length >= BATCH) {
          await flush(part);
          part = [];
        }
      }
      if (part.length) await flush(part);
    } finally {
      await client.end();
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const IMPORT_ARGS = (file: string): string[] => [
  'import',
  file,
  '--format',
  'asterisk-csv',
  '--json',
  '--no-progress',
];

/** P8 (SQLite) and P8-pg (PostgreSQL, when reachable). */
export async function run(opts: { quick?: boolean; postgres?: boolean } = {}): Promise<BenchResult[]> {
  const rows = Number(process.env.SIGILO_BENCH_P8_ROWS ?? (opts.quick ? 100_000 : 1_000_000));
  const results: BenchResult[] = [];
  for (const dialect of opts.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
    const a = await installation(dialect);
    const b = await installation(dialect);
    try {
      const file = path.join(a.dir, 'Master.csv');
      const gen = await writeDidCdrFile(file, { rows, accounts: ACCOUNTS });
      const npx = await command(['npx', '--no-install', 'sigilo', ...IMPORT_ARGS(file)], a.env);
      const npm = await command(['npm', 'run', '--silent', 'sigilo', '--', ...IMPORT_ARGS(file)], b.env);
      for (const r of [npx, npm]) {
        if (r.report.stored !== rows - gen.unmatched || r.report.rejected !== gen.unmatched)
          throw new Error(
            `P8 ${dialect}: stored ${r.report.stored} and rejected ${r.report.rejected}, expected ${rows - gen.unmatched} and ${gen.unmatched}`,
          );
      }
      const base = await baseline(a, file);
      fs.rmSync(file);
      const rate = rows / npx.seconds;
      const baseRate = rows / base;
      const ratio = Number((npx.seconds / base).toFixed(2));
      const mem = (r: CommandRun): string =>
        `tree ${Math.round(r.treeRssMb)} MB, importer ${Math.round(r.importerRssMb)} MB`;
      results.push({
        id: dialect === 'sqlite' ? 'P8' : 'P8-pg',
        what:
          `sigilo import of an Asterisk Master.csv, ${rows.toLocaleString('en')} rows over ${ACCOUNTS} accounts by ` +
          `DID prefix, ${dialect}: npx ${npx.seconds.toFixed(1)} s (${mem(npx)}), npm run ${npm.seconds.toFixed(1)} s (${mem(npm)})`,
        value: Math.round(rate),
        unit: 'records/s',
        baseline: `csv-parse + batched plaintext INSERT of the same file, same engine (${base.toFixed(1)} s)`,
        baselineValue: Math.round(baseRate),
        ratio,
        ratioMeaning: 'import ratio = Sigilo import seconds / plaintext import seconds',
        target: '<= 2x plaintext; npm run and npx peak RSS <= 300 MB (importer)',
        pass: ratio <= 2 && npx.importerRssMb <= 300 && npm.importerRssMb <= 300,
        rounds: [{ value: Math.round(rate), baselineValue: Math.round(baseRate), ratio }],
      });
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  }
  return results;
}
