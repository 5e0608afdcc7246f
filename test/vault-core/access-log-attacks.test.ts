/**
 * The access log against an attacker who can read and write the database (the sqlite3 CLI, psql) but holds no
 * key: every attack below does what such a person can do — edit, delete, insert, reorder or truncate rows,
 * recompute the plain SHA-256 chain after the change, move the head row, and delete the signed checkpoints the
 * change would contradict (signing new ones needs the signing key). Each must be caught by verification, which
 * names the first entry that no longer holds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import {
  canonicalEntry,
  chainHash,
  checkpointMessage,
  type AccessLogEntry,
  type ChainedEntry,
} from '../../src/access-log/access-log.entry.ts';
import type { Sigilo } from '../../src/app.ts';
import { generateSigningKey, signEd25519 } from '../../src/crypto/signing.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { countRows, JOAO, logEntries, matching, MARIA, seedCustomer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Db = Sigilo['store']['db'];

const EVERY = 5;

/**
 * Rewrites the log as `entries` (renumbered 1..n): rows up to the first change stay as stored, and from there on
 * the plain SHA-256 chain is recomputed — all that can be computed without a key.
 */
async function rewriteLog(db: Db, entries: ChainedEntry[]): Promise<void> {
  const rows = await db.selectFrom('access_log').selectAll().orderBy('seq').execute();
  let prev: Buffer = Buffer.alloc(32);
  let changed = false;
  const out = entries.map((e, i) => {
    const seq = i + 1;
    const stored = rows[i];
    changed ||= !stored || !untouched(e, seq, stored);
    if (!changed) {
      prev = stored!.hash;
      return stored!;
    }
    const hash = chainHash(prev, seq, e);
    const row = {
      ...stored!,
      ...(rows.find((r) => Number(r.seq) === e.seq) ?? rows[0]!),
      seq,
      at: e.at,
      actor: e.actor,
      role: e.role,
      purpose: e.purpose,
      legal_basis: e.legalBasis,
      subject_id: e.subjectId,
      categories: JSON.stringify(e.categories),
      operation: e.operation,
      outcome: e.outcome,
      reason: e.reason,
      request_id: e.requestId,
      policy_version: e.policyVersion,
      justification: e.justification,
      prev_hash: prev,
      hash,
    };
    prev = hash;
    return row;
  });
  await db.deleteFrom('access_log').execute();
  for (let i = 0; i < out.length; i += 100) {
    await db
      .insertInto('access_log')
      .values(out.slice(i, i + 100))
      .execute();
  }
  await db.updateTable('access_log_head').set({ seq: out.length, hash: prev }).where('id', '=', 1).execute();
  // Checkpoints the rewritten chain contradicts cannot be re-signed without the key: the attacker drops them.
  const byseq = new Map(out.map((r) => [r.seq, r.hash]));
  for (const cp of await db.selectFrom('access_log_checkpoints').select(['seq', 'hash']).execute()) {
    const h = byseq.get(Number(cp.seq));
    if (Number(cp.seq) > 0 && (!h || !h.equals(cp.hash))) {
      await db.deleteFrom('access_log_checkpoints').where('seq', '=', cp.seq).execute();
    }
  }
}

/** Whether `e`, put at `seq`, is exactly the stored row (an untouched entry). */
function untouched(e: ChainedEntry, seq: number, r: Record<string, unknown>): boolean {
  const stored: AccessLogEntry = {
    at: r.at as string,
    actor: r.actor as string,
    role: r.role as string,
    purpose: r.purpose as string | null,
    legalBasis: r.legal_basis as string | null,
    subjectId: r.subject_id as string | null,
    categories: JSON.parse(r.categories as string) as string[],
    operation: r.operation as string,
    outcome: r.outcome as AccessLogEntry['outcome'],
    reason: r.reason as string | null,
    requestId: r.request_id as string,
    policyVersion: Number(r.policy_version),
    justification: r.justification as string | null,
  };
  return e.seq === seq && canonicalEntry(seq, e) === canonicalEntry(Number(r.seq), stored);
}

describe.each(DIALECTS)('access log against a database writer without keys, on %s', (dialect) => {
  let t: TestSigilo;
  let db: Db;
  let saved: {
    log: Record<string, unknown>[];
    head: Record<string, unknown>;
    checkpoints: Record<string, unknown>[];
    material: Record<string, unknown>[];
  };
  let maria: Awaited<ReturnType<typeof seedCustomer>>;
  let lastCheckpoint: number;
  let total: number;

  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: EVERY });
    db = t.sigilo.store.db;
    const { gate, services } = t.sigilo;
    maria = await seedCustomer(t.sigilo, MARIA);
    await seedCustomer(t.sigilo, JOAO);
    // Reads until a few entries stand after the last checkpoint (the newest entries are the hardest case).
    for (let i = 0; i < 4 || (await countRows(t.sigilo, 'access_log')) % EVERY !== 3; i++) {
      await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, maria.personId));
    }
    await t.sigilo.accessLog.flushHead();
    total = await countRows(t.sigilo, 'access_log');
    lastCheckpoint = Math.floor(total / EVERY) * EVERY;
    saved = {
      log: await db.selectFrom('access_log').selectAll().orderBy('seq').execute(),
      head: await db.selectFrom('access_log_head').selectAll().executeTakeFirstOrThrow(),
      checkpoints: await db.selectFrom('access_log_checkpoints').selectAll().execute(),
      material: await db.selectFrom('key_material').selectAll().execute(),
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
      await tx.deleteFrom('key_material').execute();
      await tx
        .insertInto('key_material')
        .values(saved.material as never)
        .execute();
    });
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });
  afterAll(async () => t.cleanup());

  const verify = async () => (await t.reopen()).accessLog.verify();

  it('the untouched log verifies, with a few entries after the last checkpoint', async () => {
    expect(total - lastCheckpoint).toBe(3);
    expect(await verify()).toMatchObject({ ok: true, entries: total, firstBroken: null });
  });

  it('dropping the last entries and moving the head back', async () => {
    const entries = await logEntries(t.sigilo);
    await rewriteLog(db, entries.slice(0, lastCheckpoint - 2));
    expect((await verify()).firstBroken).toEqual({ seq: lastCheckpoint - 1, problem: matching(/./) });
  });

  it('editing an entry and recomputing the plain chain after it', async () => {
    const entries = await logEntries(t.sigilo);
    entries[5] = { ...entries[5]!, actor: 'someone-else' };
    await rewriteLog(db, entries);
    expect((await verify()).firstBroken).toEqual({ seq: 6, problem: matching(/keyed|edited/) });
  });

  it('deleting every entry about one subject and renumbering', async () => {
    const entries = await logEntries(t.sigilo);
    const first = entries.find((e) => e.subjectId === maria.personId)!.seq;
    await rewriteLog(
      db,
      entries.filter((e) => e.subjectId !== maria.personId),
    );
    expect((await verify()).firstBroken).toEqual({ seq: first, problem: matching(/./) });
  });

  it('editing an entry after the last checkpoint (chain recomputed, head moved)', async () => {
    const entries = await logEntries(t.sigilo);
    const at = lastCheckpoint + 2;
    entries[at - 1] = { ...entries[at - 1]!, outcome: 'denied' };
    await rewriteLog(db, entries);
    expect((await verify()).firstBroken).toEqual({ seq: at, problem: matching(/keyed|edited/) });
  });

  it('deleting a checkpoint and then editing an entry it covered', async () => {
    await db
      .deleteFrom('access_log_checkpoints')
      .where('seq', '=', EVERY * 2)
      .execute();
    const entries = await logEntries(t.sigilo);
    entries[EVERY * 2 - 2] = { ...entries[EVERY * 2 - 2]!, purpose: 'marketing' };
    await rewriteLog(db, entries);
    expect((await verify()).firstBroken).toEqual({ seq: EVERY * 2 - 1, problem: matching(/./) });
  });

  it('deleting a checkpoint alone: the verifier knows it must exist', async () => {
    await db
      .deleteFrom('access_log_checkpoints')
      .where('seq', '=', EVERY * 2)
      .execute();
    expect((await verify()).firstBroken).toEqual({ seq: EVERY * 2, problem: matching(/checkpoint/) });
  });

  it('inserting an entry', async () => {
    const entries = await logEntries(t.sigilo);
    entries.splice(7, 0, { ...entries[7]!, operation: 'read', requestId: 'req-forged' });
    await rewriteLog(db, entries);
    expect((await verify()).firstBroken).toEqual({ seq: 8, problem: matching(/./) });
  });

  it('reordering two entries', async () => {
    const entries = await logEntries(t.sigilo);
    const i = entries.findIndex((e, k) => k > 9 && e.requestId !== entries[k + 1]?.requestId);
    [entries[i], entries[i + 1]] = [entries[i + 1]!, entries[i]!];
    await rewriteLog(db, entries);
    expect((await verify()).firstBroken).toEqual({ seq: i + 1, problem: matching(/./) });
  });

  it('truncating the newest entries (after the last checkpoint) and moving the head', async () => {
    const entries = await logEntries(t.sigilo);
    await rewriteLog(db, entries.slice(0, lastCheckpoint + 1));
    expect((await verify()).firstBroken).toEqual({
      seq: lastCheckpoint + 2,
      problem: matching(/head|truncated/),
    });
  });

  it('re-chaining the whole log as plain, deleting every checkpoint and restarting: no new epoch is signed', async () => {
    const entries = await logEntries(t.sigilo);
    entries[0] = { ...entries[0]!, actor: 'someone-else' };
    await rewriteLog(db, entries);
    await db.updateTable('access_log').set({ key_version: 0 }).execute();
    await db.deleteFrom('access_log_checkpoints').execute();
    await t.reopen(); // a restart: it must not take this for a log written before the keyed log
    expect((await verify()).firstBroken).toEqual({ seq: 1, problem: matching(/epoch/) });
    expect(await countRows(t.sigilo, 'access_log_checkpoints')).toBe(0);
  });

  it('replacing the signing public key and re-signing checkpoints with a key of their own', async () => {
    const mine = generateSigningKey();
    await db
      .updateTable('key_material')
      .set({ public_key: mine.publicKey })
      .where('id', '=', 'signing')
      .execute();
    const entries = await logEntries(t.sigilo);
    entries[2] = { ...entries[2]!, actor: 'someone-else' };
    await rewriteLog(db, entries);
    const rows = await db.selectFrom('access_log').select(['seq', 'hash']).orderBy('seq').execute();
    await db.deleteFrom('access_log_checkpoints').execute();
    for (const r of rows.filter((x) => Number(x.seq) % EVERY === 0)) {
      const message = Buffer.from(
        `sigilo/access-log-checkpoint/v1|${Number(r.seq)}|${r.hash.toString('hex')}`,
      );
      await db
        .insertInto('access_log_checkpoints')
        .values({
          seq: r.seq,
          hash: r.hash,
          signed_at: '2026-11-26T12:00:00.000Z',
          signature: signEd25519(mine.seed, message),
          public_key: mine.publicKey,
        })
        .execute();
    }
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstBroken!.seq).toBeLessThanOrEqual(3);
  });
});

describe.each(DIALECTS)('the keyed access log over time, on %s', (dialect) => {
  let t: TestSigilo;
  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: EVERY });
  });
  afterAll(async () => t.cleanup());

  const read = (sigilo: Sigilo, personId: string) =>
    sigilo.gate.run(ctx('support_agent', 'support'), (s) => sigilo.services.people.get(s, personId));

  it('a new log-key version: new entries use it, older ones stay verifiable and tamper-evident', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    for (let i = 0; i < 3; i++) await read(t.sigilo, maria.personId);
    expect(await t.sigilo.keyring.rotateAccessLogKey(t.sigilo.store)).toBe(2);
    for (let i = 0; i < 3; i++) await read(t.sigilo, maria.personId);
    const versions = (await logEntries(t.sigilo)).map((e) => e.keyVersion);
    expect(new Set(versions)).toEqual(new Set([1, 2]));
    expect(versions.at(-1)).toBe(2);
    expect((await (await t.reopen()).accessLog.verify()).ok).toBe(true);
    const old = versions.indexOf(1) + 1;
    const row = await t.sigilo.store.db
      .selectFrom('access_log')
      .select('actor')
      .where('seq', '=', old)
      .executeTakeFirstOrThrow();
    await t.sigilo.store.db.updateTable('access_log').set({ actor: 'x' }).where('seq', '=', old).execute();
    expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({ seq: old, problem: matching(/keyed/) });
    await t.sigilo.store.db
      .updateTable('access_log')
      .set({ actor: row.actor })
      .where('seq', '=', old)
      .execute();
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  // Several instances share one database on PostgreSQL only (SQLite is the single-process embedded default).
  it.runIf(dialect === 'postgres')('two instances appending at once never fork the chain', async () => {
    const other = await t.reopen();
    const maria = await seedCustomer(t.sigilo, MARIA);
    const before = await countRows(t.sigilo, 'access_log');
    await Promise.all(Array.from({ length: 24 }, (_, i) => read(i % 2 ? other : t.sigilo, maria.personId)));
    expect(await countRows(t.sigilo, 'access_log')).toBe(before + 24);
    await other.accessLog.flushHead();
    await t.sigilo.accessLog.flushHead();
    expect(await other.accessLog.verify()).toMatchObject({ ok: true, firstBroken: null });
    expect(await t.sigilo.accessLog.verify()).toMatchObject({ ok: true, firstBroken: null });
  });
});

describe.each(DIALECTS)('a log written before the keyed log, on %s', (dialect) => {
  let t: TestSigilo;
  const LEGACY = 7;
  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: EVERY });
    // What a database written by the previous version holds: plain SHA-256 links, a v1 checkpoint, no head file.
    // (The entries the first start of this version wrote, such as its row-MAC backfill, go: that version wrote none.)
    const db = t.sigilo.store.db;
    await db.deleteFrom('access_log_checkpoints').execute();
    await db.deleteFrom('access_log').execute();
    let prev: Buffer = Buffer.alloc(32);
    for (let seq = 1; seq <= LEGACY; seq++) {
      const e: AccessLogEntry = {
        at: '2026-11-01T10:00:00.000Z',
        actor: 'support_agent-1',
        role: 'support_agent',
        purpose: 'support',
        legalBasis: 'contract',
        subjectId: '0193a3b0-0000-7000-8000-000000000001',
        categories: ['name'],
        operation: 'read',
        outcome: 'allowed',
        reason: null,
        requestId: `req-legacy-${seq}`,
        policyVersion: 1,
        justification: null,
      };
      const hash = chainHash(prev, seq, e);
      await db
        .insertInto('access_log')
        .values({
          seq,
          at: e.at,
          actor: e.actor,
          role: e.role,
          purpose: e.purpose,
          legal_basis: e.legalBasis,
          subject_id: e.subjectId,
          categories: JSON.stringify(e.categories),
          operation: e.operation,
          outcome: e.outcome,
          reason: e.reason,
          request_id: e.requestId,
          policy_version: e.policyVersion,
          justification: e.justification,
          prev_hash: prev,
          hash,
          key_version: 0,
          link_format: 1,
          legal_secrecy: 0,
        })
        .execute();
      if (seq === EVERY) {
        await db
          .insertInto('access_log_checkpoints')
          .values({
            seq,
            hash,
            signed_at: e.at,
            signature: t.sigilo.keyring.sign(checkpointMessage(seq, hash)),
            public_key: t.sigilo.keyring.signingPublicKey,
            every: null,
            epoch: null,
          })
          .execute();
      }
      prev = hash;
    }
    await db.updateTable('access_log_head').set({ seq: LEGACY, hash: prev }).where('id', '=', 1).execute();
    fs.rmSync(t.config.auditHead.file);
  });
  afterAll(async () => t.cleanup());

  it('gets its epoch at the first start: old entries keep their plain links, new ones are keyed', async () => {
    const upgraded = await t.reopen();
    const maria = await seedCustomer(upgraded, MARIA);
    await upgraded.gate.run(ctx('support_agent', 'support'), (s) =>
      upgraded.services.people.get(s, maria.personId),
    );
    const entries = await logEntries(upgraded);
    expect(entries.slice(0, LEGACY).every((e) => e.keyVersion === 0)).toBe(true);
    expect(entries.slice(LEGACY).every((e) => e.keyVersion === 1)).toBe(true);
    expect(upgraded.accessLog.writer.cadence).toEqual({ every: EVERY, epoch: LEGACY });
    expect(await upgraded.accessLog.verify()).toMatchObject({ ok: true, entries: entries.length });

    // The plain part is pinned by the signed epoch: re-chaining it is caught where it stops matching.
    const db = upgraded.store.db;
    await db.updateTable('access_log').set({ actor: 'x' }).where('seq', '=', 3).execute();
    expect((await upgraded.accessLog.verify()).firstBroken).toEqual({ seq: 3, problem: matching(/edited/) });
    const legacy = entries.slice(0, LEGACY).map((e) => (e.seq === 3 ? { ...e, actor: 'x' } : e));
    let prev: Buffer = Buffer.alloc(32);
    for (const e of legacy) {
      const hash = chainHash(prev, e.seq, e);
      await db.updateTable('access_log').set({ prev_hash: prev, hash }).where('seq', '=', e.seq).execute();
      prev = hash;
    }
    await db.deleteFrom('access_log_checkpoints').where('seq', '=', EVERY).execute();
    expect((await upgraded.accessLog.verify()).firstBroken).toEqual({
      seq: LEGACY,
      problem: matching(/checkpoint/),
    });
  });
});
