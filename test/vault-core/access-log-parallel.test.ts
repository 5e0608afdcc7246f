/**
 * Access-log verification on worker threads names the same first bad entry, with the same reason and count, as
 * the walk in one thread: the chain is cut into ranges, and tampering at a range's first or last entry, in the
 * first and the last range, across a boundary, or re-chained after an edit must not slip between two ranges.
 * The attacker is the one of access-log-attacks.test.ts: writes the database, holds no key.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, type AccessLogEntry } from '../../src/access-log/access-log.entry.ts';
import type { VerifyReport } from '../../src/access-log/access-log.verify.ts';
import { cutRanges } from '../../src/access-log/access-log.verify.pool.ts';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { logEntries } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Db = Sigilo['store']['db'];

const EVERY = 10;
const ENTRIES = 400;
const WORKERS = 2;
const PER_WORKER = 4;

function entry(i: number): AccessLogEntry {
  return {
    at: '2026-12-04T12:00:00.000Z',
    actor: `agent-${i % 7}`,
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
    ...(i % 13 === 0 ? { legalSecrecy: true } : {}),
  };
}

describe.each(DIALECTS)('access-log verification on worker threads, on %s', (dialect) => {
  let t: TestSigilo;
  let db: Db;
  let total: number;
  /** The last seq of each range but the last (where one worker's range ends and the next one's starts). */
  let bounds: number[];
  let saved: { log: unknown[]; head: unknown; checkpoints: unknown[] };

  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: EVERY });
    db = t.sigilo.store.db;
    const { writer } = t.sigilo.accessLog;
    const batch = Array.from({ length: ENTRIES }, (_, i) => entry(i));
    writer.committed(await t.sigilo.store.transaction((tx) => writer.append(tx, batch)));
    // A new log-key version halfway: both versions must reach the workers.
    await t.sigilo.keyring.rotateAccessLogKey(t.sigilo.store);
    const more = Array.from({ length: 37 }, (_, i) => entry(ENTRIES + i));
    writer.committed(await t.sigilo.store.transaction((tx) => writer.append(tx, more)));
    await t.sigilo.accessLog.flushHead();
    total = (await t.sigilo.accessLog.repo.head(db)).seq;
    bounds = cutRanges(total, WORKERS * PER_WORKER).flatMap((r) => (r.hi === null ? [] : [r.hi]));
    saved = {
      log: await db.selectFrom('access_log').selectAll().orderBy('seq').execute(),
      head: await db.selectFrom('access_log_head').selectAll().executeTakeFirstOrThrow(),
      checkpoints: await db.selectFrom('access_log_checkpoints').selectAll().execute(),
    };
  });
  afterEach(async () => {
    await t.sigilo.store.transaction(async (tx) => {
      await tx.deleteFrom('access_log').execute();
      for (let i = 0; i < saved.log.length; i += 100) {
        await tx
          .insertInto('access_log')
          .values(saved.log.slice(i, i + 100) as never)
          .execute();
      }
      await tx
        .updateTable('access_log_head')
        .set(saved.head as never)
        .where('id', '=', 1)
        .execute();
      await tx.deleteFrom('access_log_checkpoints').execute();
      await tx
        .insertInto('access_log_checkpoints')
        .values(saved.checkpoints as never)
        .execute();
    });
  });
  afterAll(async () => t.cleanup());

  /** Both verifiers on a freshly opened instance; the parallel one must really have used the workers. */
  async function both(): Promise<{ sequential: VerifyReport; parallel: VerifyReport }> {
    const s = await t.reopen();
    const plans: { workers: number; ranges: number }[] = [];
    const sequential = await s.accessLog.verify({ workers: 0, onPlan: (p) => plans.push(p) });
    const parallel = await s.accessLog.verify({
      workers: WORKERS,
      minParallel: 0,
      rangesPerWorker: PER_WORKER,
      onPlan: (p) => plans.push(p),
    });
    expect(plans).toEqual([
      { workers: 0, ranges: 1 },
      { workers: WORKERS, ranges: WORKERS * PER_WORKER },
    ]);
    return { sequential, parallel };
  }

  async function expectBoth(seq: number, problem: RegExp): Promise<void> {
    const { sequential, parallel } = await both();
    expect(sequential.firstBroken).toEqual({ seq, problem: expect.stringMatching(problem) as string });
    expect(sequential.entries).toBe(seq - 1);
    expect(parallel).toEqual(sequential);
  }

  const edit = (seq: number) =>
    db.updateTable('access_log').set({ actor: 'someone-else' }).where('seq', '=', seq).execute();

  /** Edits `seq` and recomputes the plain chain from there to the head, head row moved: all a keyless writer can. */
  async function rechainFrom(seq: number): Promise<void> {
    const entries = await logEntries(t.sigilo);
    let prev = entries[seq - 2]?.hash ?? Buffer.alloc(32);
    for (const e of entries.slice(seq - 1)) {
      const changed = e.seq === seq ? { ...e, actor: 'someone-else' } : e;
      const hash = chainHash(prev, e.seq, changed);
      await db
        .updateTable('access_log')
        .set({ actor: changed.actor, prev_hash: prev, hash })
        .where('seq', '=', e.seq)
        .execute();
      prev = hash;
    }
    await db.updateTable('access_log_head').set({ hash: prev }).where('id', '=', 1).execute();
  }

  it('the untouched log: the same report, every entry counted', async () => {
    expect(bounds).toHaveLength(WORKERS * PER_WORKER - 1);
    const { sequential, parallel } = await both();
    expect(sequential).toMatchObject({ ok: true, entries: total, firstBroken: null });
    expect(parallel).toEqual(sequential);
  });

  it('an edit at the first entry of the first range, and at the last entry of the last range', async () => {
    await edit(1);
    await expectBoth(1, /edited/);
    await db
      .updateTable('access_log')
      .set(saved.log[0] as never)
      .where('seq', '=', 1)
      .execute();
    await edit(total);
    await expectBoth(total, /edited/);
  });

  it('an edit at the last entry of a range and at the first entry of the next: the earlier is named', async () => {
    const b = bounds[2]!;
    await edit(b + 1);
    await expectBoth(b + 1, /edited/);
    await edit(b);
    await expectBoth(b, /edited/);
  });

  it('an edit in a later range does not hide an earlier one, whichever worker finishes first', async () => {
    await edit(bounds.at(-1)! + 3);
    await edit(bounds[0]! - 1);
    await expectBoth(bounds[0]! - 1, /edited/);
  });

  it('re-chained after an edit at a range boundary (plain links recomputed to the head)', async () => {
    const b = bounds[3]!;
    await rechainFrom(b + 1);
    await expectBoth(b + 1, /keyed hash/);
  });

  it('an entry deleted at the start of a range, and at the end of one', async () => {
    const b = bounds[1]!;
    await db
      .deleteFrom('access_log')
      .where('seq', '=', b + 1)
      .execute();
    await expectBoth(b + 1, /missing/);
    await db.deleteFrom('access_log').where('seq', '=', bounds[4]!).execute();
    await expectBoth(b + 1, /missing/);
  });

  it('an entry deleted at the end of a range alone', async () => {
    await db.deleteFrom('access_log').where('seq', '=', bounds[4]!).execute();
    await expectBoth(bounds[4]!, /missing/);
  });

  it('two entries swapped across a range boundary', async () => {
    const b = bounds[5]!;
    const rows = saved.log as { seq: number }[];
    const [x, y] = [rows[b - 1]!, rows[b]!];
    await db
      .deleteFrom('access_log')
      .where('seq', 'in', [b, b + 1])
      .execute();
    await db
      .insertInto('access_log')
      .values([
        { ...x, seq: b + 1 },
        { ...y, seq: b },
      ] as never)
      .execute();
    await expectBoth(b, /link/);
  });

  it("a range's first entry linked to another entry than the one before it (the join between two ranges)", async () => {
    const b = bounds[3]!;
    const other = (saved.log as { hash: Buffer }[])[b - 5]!.hash;
    await db
      .updateTable('access_log')
      .set({ prev_hash: other })
      .where('seq', '=', b + 1)
      .execute();
    await expectBoth(b + 1, /does not link/);
  });

  it('a checkpoint deleted where a range ends', async () => {
    const due = bounds.find((b) => b % EVERY === 0) ?? Math.ceil(bounds[2]! / EVERY) * EVERY;
    await db.deleteFrom('access_log_checkpoints').where('seq', '=', due).execute();
    await expectBoth(due, /checkpoint due at seq/);
  });

  it('the newest entries truncated in the last range, head row moved back', async () => {
    const from = bounds.at(-1)! + 5;
    await db.deleteFrom('access_log').where('seq', '>=', from).execute();
    const last = (
      await db
        .selectFrom('access_log')
        .select('hash')
        .where('seq', '=', from - 1)
        .executeTakeFirstOrThrow()
    ).hash;
    await db
      .updateTable('access_log_head')
      .set({ seq: from - 1, hash: last })
      .where('id', '=', 1)
      .execute();
    await expectBoth(from, /truncated/);
  });

  it('categories that are not JSON name the entry as edited (verification does not stop with an error)', async () => {
    const b = bounds[6]!;
    await db
      .updateTable('access_log')
      .set({ categories: '[not json' })
      .where('seq', '=', b + 1)
      .execute();
    await expectBoth(b + 1, /edited/);
  });
});
