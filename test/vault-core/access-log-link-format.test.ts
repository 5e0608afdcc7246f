/**
 * Access-log link formats: entries written before keyed-BLAKE3 links keep their HMAC-SHA-256 (v1) links and keep
 * verifying next to the v2 ones written after them, across log-key rotations; the format column is no way to
 * downgrade: a v2 entry marked v1 no longer matches, and a v1 entry after a v2 one is a break named at it, on one
 * thread and on worker threads alike (also where the downgrade starts a range, which only the join sees).
 * The attacker is the one of access-log-attacks.test.ts: writes the database, holds no key.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LINK_V1, LINK_V2, type AccessLogEntry } from '../../src/access-log/access-log.entry.ts';
import type { VerifyReport } from '../../src/access-log/access-log.verify.ts';
import { cutRanges } from '../../src/access-log/access-log.verify.pool.ts';
import { AccessLogWriter } from '../../src/access-log/access-log.writer.ts';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Db = Sigilo['store']['db'];

const EVERY = 10;
const WORKERS = 2;
const PER_WORKER = 4;

function entry(i: number): AccessLogEntry {
  return {
    at: '2026-12-04T12:00:00.000Z',
    actor: `agent-${i % 5}`,
    role: 'support_agent',
    purpose: 'support',
    legalBasis: 'contract',
    subjectId: `0193a0c2-2222-7000-8000-${String(i).padStart(12, '0')}`,
    categories: ['identity', 'contact'],
    operation: 'people.get',
    outcome: 'allowed',
    reason: i % 3 === 0 ? 'ação "especial" \\ ☃ 𝄞' : null,
    requestId: `req-${i}`,
    policyVersion: 1,
    justification: null,
    ...(i % 11 === 0 ? { legalSecrecy: true } : {}),
  };
}

describe.each(DIALECTS)('access-log link formats v1 then v2, on %s', (dialect) => {
  let t: TestSigilo;
  let db: Db;
  let total: number;
  let firstV2: number;
  let bounds: number[];
  let saved: { log: unknown[]; head: unknown; checkpoints: unknown[] };

  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: EVERY });
    db = t.sigilo.store.db;
    // What the previous version wrote: a log from its start with HMAC-SHA-256 links, under two log-key versions.
    // (The entries this version's first start wrote go, and its head file: that version wrote v1 links only.)
    await db.deleteFrom('access_log_checkpoints').execute();
    await db.deleteFrom('access_log').execute();
    await db
      .updateTable('access_log_head')
      .set({ seq: 0, hash: Buffer.alloc(32) })
      .where('id', '=', 1)
      .execute();
    fs.rmSync(t.config.auditHead.file, { force: true });
    const { keyring, store } = t.sigilo;
    const old = new AccessLogWriter(t.sigilo.accessLog.repo, keyring, keyring, () => new Date(), {
      checkpointEvery: EVERY,
      linkFormat: LINK_V1,
    });
    await old.init(store);
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => entry(from + i));
    await store.transaction((tx) => old.append(tx, batch(0, 120)));
    await keyring.rotateAccessLogKey(store);
    await store.transaction((tx) => old.append(tx, batch(120, 83)));
    // This version starts (its head file is new, which it records as an entry): v2 links under the same key
    // version, then under a newer one.
    const s = await t.reopen();
    const { writer, repo } = s.accessLog;
    firstV2 = 204;
    writer.committed(await s.store.transaction((tx) => writer.append(tx, batch(203, 90))));
    await s.keyring.rotateAccessLogKey(s.store);
    writer.committed(await s.store.transaction((tx) => writer.append(tx, batch(293, 117))));
    await s.accessLog.flushHead();
    total = (await repo.head(db)).seq;
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

  const setFormat = (from: number, to: number, linkFormat: number) =>
    db
      .updateTable('access_log')
      .set({ link_format: linkFormat })
      .where('seq', '>=', from)
      .where('seq', '<=', to)
      .execute();

  it('a log with v1 entries then v2 entries, across log-key rotations, verifies on one thread and on workers', async () => {
    const formats = await db
      .selectFrom('access_log')
      .select(['seq', 'link_format', 'key_version'])
      .orderBy('seq')
      .execute();
    const after = formats.filter((r) => Number(r.seq) >= firstV2);
    const before = formats.filter((r) => Number(r.seq) < firstV2 && Number(r.key_version) !== 0);
    expect(before.length).toBeGreaterThan(200);
    expect(before.every((r) => Number(r.link_format) === LINK_V1)).toBe(true);
    expect(after).toHaveLength(total - 203);
    expect(after.every((r) => Number(r.link_format) === LINK_V2)).toBe(true);
    expect(new Set(after.map((r) => Number(r.key_version))).size).toBe(2);
    // The mixed log is cut so that a range holds both formats and others only one of them.
    expect(bounds.some((b) => b < firstV2) && bounds.some((b) => b > firstV2)).toBe(true);
    const { sequential, parallel } = await both();
    expect(sequential).toMatchObject({ ok: true, entries: total, firstBroken: null });
    expect(parallel).toEqual(sequential);
  });

  it('every v2 entry marked v1: the first of them no longer matches its link', async () => {
    await setFormat(firstV2, total, LINK_V1);
    await expectBoth(firstV2, /keyed hash/);
  });

  it('v2 entries from the middle on marked v1: a v1 entry after a v2 one is a downgrade named at it', async () => {
    const s = firstV2 + 17;
    await setFormat(s, total, LINK_V1);
    await expectBoth(s, /downgraded/);
  });

  it('a downgrade at the first entry of a range (only the join between ranges sees the v2 before it)', async () => {
    const b = bounds.find((x) => x > firstV2 + 1)!;
    await setFormat(b + 1, total, LINK_V1);
    await expectBoth(b + 1, /downgraded/);
  });

  it('a v1 entry marked v2: it does not match a keyed-BLAKE3 link', async () => {
    const s = firstV2 - 5;
    await setFormat(s, s, LINK_V2);
    await expectBoth(s, /keyed hash/);
  });

  it('a link format that does not exist is a break named at its entry', async () => {
    const s = firstV2 + 3;
    await setFormat(s, s, 3);
    await expectBoth(s, /link format 3/);
  });
});
