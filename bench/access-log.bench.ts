/**
 * P6: verification of the access log (every link recomputed, every checkpoint signature checked, the head file
 * compared), against raw HMAC-SHA-256 over the same bytes (prev hash, key version, canonical entry) in the same
 * run: the verifier can be no faster than the hashing it must do, so the ratio is its overhead over that floor.
 */
import { createHmac } from 'node:crypto';
import { canonicalEntry, type AccessLogEntry } from '../src/access-log/access-log.entry.ts';
import type { BenchResult } from './bench-result.ts';
import { benchSigilo } from './support.ts';

const TARGET = 1_000_000;

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

/** Fills a fresh log with `n` entries, verifies it and hashes the same bytes raw. */
export async function run(opts: { quick: boolean; postgres: boolean }): Promise<BenchResult[]> {
  const n = opts.quick ? 30_000 : 200_000;
  const results: BenchResult[] = [];
  for (const dialect of opts.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
    const b = await benchSigilo(dialect);
    try {
      const { writer, repo } = b.sigilo.accessLog;
      const now = new Date().toISOString();
      for (let i = 0; i < n; i += 5000) {
        const batch = Array.from({ length: Math.min(5000, n - i) }, (_, j) => entry(i + j, now));
        writer.committed(await b.store.transaction((tx) => writer.append(tx, batch)));
      }
      await writer.flushHead();
      const t0 = process.hrtime.bigint();
      const report = await b.sigilo.accessLog.verify();
      const verifySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (!report.ok) throw new Error(`the benchmark log does not verify: ${report.firstBroken?.problem}`);
      // The same bytes the keyed links cover, prepared beforehand so only the hashing is timed.
      const key = b.sigilo.keyring.accessLogKey(b.sigilo.keyring.accessLogKeyVersion)!;
      const stored = await repo.page(b.store.db, 0, n + 10);
      const bytes = stored.map((e) => [e.prevHash, `|${e.keyVersion}|`, canonicalEntry(e.seq, e)] as const);
      const t1 = process.hrtime.bigint();
      for (const [prev, version, canonical] of bytes) {
        createHmac('sha256', key).update(prev).update(version).update(canonical).digest();
      }
      const rawSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
      const rate = report.entries / verifySeconds;
      const baseRate = bytes.length / rawSeconds;
      results.push({
        id: dialect === 'sqlite' ? 'P6' : 'P6-pg',
        what: `access-log verification, ${dialect} (${report.entries} entries, ${report.checkpoints} signed checkpoints; read from the database)`,
        value: Math.round(rate),
        unit: 'entries/s',
        baseline: 'raw HMAC-SHA-256 per entry over the same bytes, in memory, 1 thread',
        baselineValue: Math.round(baseRate),
        ratio: Number((baseRate / rate).toFixed(2)),
        ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
        target: `≥ ${TARGET.toLocaleString('en')} entries/s`,
        pass: rate >= TARGET,
      });
    } finally {
      await b.cleanup();
    }
  }
  return results;
}
