/**
 * P6: verification of the access log (every link recomputed, every checkpoint signature checked, the head file
 * compared), against raw HMAC-SHA-256 over the same bytes (prev hash, key version, canonical entry) in the same
 * run: the verifier can be no faster than the hashing it must do, so the ratio is its overhead over that floor.
 * Beside it, in the same run: the verifier in one thread (what the workers gain), the CPU time per entry of all
 * threads against the baseline's (robust on a loaded machine), and the rows read alone (the database's floor).
 */
import { hash } from 'node:crypto';
import os from 'node:os';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { canonicalEntry, type AccessLogEntry } from '../src/access-log/access-log.entry.ts';
import {
  readPostgresRange,
  readSqliteRange,
  type RawEntryRow,
} from '../src/access-log/access-log.row-reader.ts';
import type { VerifyReport } from '../src/access-log/access-log.verify.ts';
import type { BenchResult } from './bench-result.ts';
import { benchSigilo, PG_URL } from './support.ts';

const TARGET = 1_000_000;
/** Entries whose bytes the baseline hashes (prepared in memory beforehand; a rate, so a sample suffices). */
const BASELINE_ENTRIES = 200_000;

function entry(i: number, now: string): AccessLogEntry {
  return {
    at: now,
    actor: `agent-${i % 50}`,
    role: 'support_agent',
    purpose: 'support',
    legalBasis: 'contract',
    subjectId: `0193a0c2-1111-7000-8000-${String(i).padStart(12, '0')}`,
    categories: ['identity', 'contact'],
    operation: 'people.get',
    outcome: 'allowed',
    reason: null,
    requestId: `req-${i}`,
    policyVersion: 1,
    justification: null,
  };
}

interface Timed<T> {
  value: T;
  seconds: number;
  /** CPU seconds of every thread of the process (user + system). */
  cpu: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, seconds, cpu: (c.user + c.system) / 1e6 };
}

/** HMAC-SHA-256 as RFC 2104 defines it, pads prepared once: the fastest one-thread way to the same MACs. */
function rawHmacBaseline(key: Buffer, inputs: Buffer[]): number {
  const k = Buffer.alloc(64);
  key.copy(k);
  const ipad = Buffer.from(k.map((b) => b ^ 0x36));
  const opad = Buffer.from(k.map((b) => b ^ 0x5c));
  const outer = Buffer.alloc(96);
  opad.copy(outer, 0);
  let x = 0;
  for (const input of inputs) {
    ipad.copy(input, 0);
    hash('sha256', input, 'buffer').copy(outer, 64);
    x ^= hash('sha256', outer, 'buffer')[0]!;
  }
  return x;
}

/** Fills a fresh log with `n` entries, verifies it and hashes the same bytes raw. */
export async function run(opts: { quick: boolean; postgres: boolean }): Promise<BenchResult[]> {
  const n = opts.quick ? 30_000 : 1_000_000;
  const results: BenchResult[] = [];
  for (const dialect of opts.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
    const b = await benchSigilo(dialect);
    const suffix = dialect === 'sqlite' ? '' : '-pg';
    try {
      const { writer } = b.sigilo.accessLog;
      const now = new Date().toISOString();
      for (let i = 0; i < n; i += 5000) {
        const batch = Array.from({ length: Math.min(5000, n - i) }, (_, j) => entry(i + j, now));
        writer.committed(await b.store.transaction((tx) => writer.append(tx, batch)));
      }
      await writer.flushHead();
      const check = (r: VerifyReport): VerifyReport => {
        if (!r.ok) throw new Error(`the benchmark log does not verify: ${r.firstBroken?.problem}`);
        return r;
      };
      let workers = 0;
      const par = await timed(async () =>
        check(await b.sigilo.accessLog.verify({ onPlan: (p) => (workers = p.workers) })),
      );
      const one = await timed(async () => check(await b.sigilo.accessLog.verify({ workers: 0 })));

      // The rows alone, read in one thread with the verifier's own query (no hashing, no checks).
      const rows: RawEntryRow[] = [];
      const keep = (page: RawEntryRow[]): boolean => {
        for (const r of page) if (rows.length < BASELINE_ENTRIES) rows.push(r);
        return true;
      };
      const read = await timed(async () => {
        if (dialect === 'sqlite') {
          const db = new SqliteDatabase(b.sqliteFile, { readonly: true });
          try {
            readSqliteRange(db, 0, null, keep);
          } finally {
            db.close();
          }
        } else {
          const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${b.schema}` });
          await c.connect();
          try {
            await readPostgresRange(c, 0, null, keep);
          } finally {
            await c.end();
          }
        }
      });

      // The same bytes the keyed links cover, prepared beforehand so only the hashing is timed.
      const key = b.sigilo.keyring.accessLogKey(b.sigilo.keyring.accessLogKeyVersion)!;
      const inputs = rows.map((r) => {
        const seq = Number(r[0]);
        const canonical = canonicalEntry(seq, {
          at: r[1],
          actor: r[2],
          role: r[3],
          purpose: r[4],
          legalBasis: r[5],
          subjectId: r[6],
          categories: JSON.parse(r[7] as string) as string[],
          operation: r[8],
          outcome: r[9],
          reason: r[10],
          requestId: r[11],
          policyVersion: Number(r[12]),
          justification: r[13],
        } as AccessLogEntry);
        return Buffer.concat([
          Buffer.alloc(64),
          Buffer.from(r[15], 'hex'),
          Buffer.from(`|${Number(r[17])}|`),
          Buffer.from(canonical),
        ]);
      });
      const base = await timed(() => Promise.resolve(rawHmacBaseline(key, inputs)));

      const entries = par.value.entries;
      const rate = entries / par.seconds;
      const baseRate = inputs.length / base.seconds;
      const load = os.loadavg()[0]!.toFixed(1);
      const what = (s: string): string =>
        `${s}, ${dialect} (${entries} entries, ${par.value.checkpoints} signed checkpoints; load ${load})`;
      results.push({
        id: `P6${suffix}`,
        what: what(`access-log verification on ${workers} worker threads, read from the database`),
        value: Math.round(rate),
        unit: 'entries/s',
        baseline: 'raw HMAC-SHA-256 per entry over the same bytes, in memory, 1 thread',
        baselineValue: Math.round(baseRate),
        ratio: Number((baseRate / rate).toFixed(2)),
        ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
        target:
          dialect === 'sqlite' ? `≥ ${TARGET.toLocaleString('en')} entries/s` : 'as fast as the rows read',
        pass: dialect === 'sqlite' ? rate >= TARGET : undefined,
      });
      results.push({
        id: `P6${suffix}-1thread`,
        what: what('access-log verification in the calling thread only'),
        value: Math.round(entries / one.seconds),
        unit: 'entries/s',
        baseline: 'raw HMAC-SHA-256 per entry over the same bytes, in memory, 1 thread',
        baselineValue: Math.round(baseRate),
        ratio: Number((baseRate / (entries / one.seconds)).toFixed(2)),
        ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
      });
      const cpuPer = (t: Timed<unknown>, count: number): number => Math.round((t.cpu / count) * 1e9);
      results.push({
        id: `P6${suffix}-cpu`,
        what: what('CPU time per entry of the verification, all threads'),
        value: cpuPer(par, entries),
        unit: 'ns/entry',
        baseline: 'CPU time per entry of the raw HMAC-SHA-256 baseline',
        baselineValue: cpuPer(base, inputs.length),
        ratio: Number((cpuPer(par, entries) / cpuPer(base, inputs.length)).toFixed(2)),
        ratioMeaning: 'CPU cost = Sigilo CPU / baseline CPU per entry',
      });
      results.push({
        id: `P6${suffix}-read`,
        what: what("the verifier's rows read alone, 1 thread, no hashing"),
        value: Math.round(entries / read.seconds),
        unit: 'entries/s',
        baseline: 'raw HMAC-SHA-256 per entry over the same bytes, in memory, 1 thread',
        baselineValue: Math.round(baseRate),
        ratio: Number((baseRate / (entries / read.seconds)).toFixed(2)),
        ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
      });
    } finally {
      await b.cleanup();
    }
  }
  return results;
}
