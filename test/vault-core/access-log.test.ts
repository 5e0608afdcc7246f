import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/access-log/access-log.entry.ts';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.ts';
import { AccessLogWriter } from '../../src/access-log/access-log.writer.ts';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  countRows,
  entriesFor,
  JOAO,
  logEntries,
  matching,
  MARIA,
  seedCustomer,
  type Customer,
} from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

/** A day of work: two customers, reads, searches, an update and a denied attempt. */
async function scenario(sigilo: Sigilo): Promise<{ maria: Customer; joao: Customer }> {
  const { gate, services } = sigilo;
  const maria = await seedCustomer(sigilo, MARIA);
  const joao = await seedCustomer(sigilo, JOAO);
  await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, maria.personId));
  await gate.run(ctx('support_agent', 'support'), (s) =>
    services.people.findByContact(s, 'phone', JOAO.phones[0]!),
  );
  await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.markPaid(s, joao.invoiceId, '2026-02-09'),
  );
  await gate
    .run(ctx('auditor', 'support'), (s) => services.people.get(s, maria.personId))
    .catch(() => undefined);
  return { maria, joao };
}

/** The sequence numbers of the signed checkpoints. */
async function checkpointSeqs(sigilo: Sigilo): Promise<number[]> {
  return (await sigilo.accessLog.repo.checkpoints(sigilo.store.db)).map((c) => c.seq);
}

// The columns an entry's hash covers (everything but its position and the hashes).
const CONTENT = [
  'at',
  'actor',
  'role',
  'purpose',
  'legal_basis',
  'subject_id',
  'categories',
  'operation',
  'outcome',
  'reason',
  'request_id',
  'policy_version',
  'justification',
] as const;

describe.each(DIALECTS)('access log on %s', (dialect) => {
  let t: TestSigilo;
  let db: Sigilo['store']['db'];
  let saved: Awaited<ReturnType<typeof saveLog>>;
  const saveLog = async () => ({
    log: await db.selectFrom('access_log').selectAll().orderBy('seq').execute(),
    head: await db.selectFrom('access_log_head').selectAll().executeTakeFirstOrThrow(),
    checkpoints: await db.selectFrom('access_log_checkpoints').selectAll().execute(),
  });
  beforeAll(async () => {
    t = await createTestSigilo(dialect, { checkpointEvery: 5 });
    db = t.sigilo.store.db;
    await scenario(t.sigilo);
    saved = await saveLog();
  });
  // Each test tampers with the log as it likes; the untouched log is put back after it.
  afterEach(async () => {
    await t.sigilo.store.transaction(async (tx) => {
      await tx.deleteFrom('access_log').execute();
      await tx.insertInto('access_log').values(saved.log).execute();
      await tx.updateTable('access_log_head').set(saved.head).where('id', '=', 1).execute();
      await tx.deleteFrom('access_log_checkpoints').execute();
      await tx.insertInto('access_log_checkpoints').values(saved.checkpoints).execute();
    });
  });
  afterAll(async () => t.cleanup());

  it('verifies a log written by a realistic day of work, with signed checkpoints', async () => {
    const total = await countRows(t.sigilo, 'access_log');
    expect(total).toBeGreaterThan(15);
    const cps = await checkpointSeqs(t.sigilo);
    // One at every multiple of the cadence, and the epoch (seq 0, the empty chain) signed when the log started.
    expect(cps).toEqual(Array.from({ length: Math.floor(total / 5) + 1 }, (_, i) => i * 5));
    const report = await t.sigilo.accessLog.verify();
    expect(report).toEqual({ ok: true, entries: total, checkpoints: cps.length, firstBroken: null });
    // A new process trusts the same key and verifies the same log.
    expect((await (await t.reopen()).accessLog.verify()).ok).toBe(true);
  });

  it('every entry says who, when, what, why and under which policy', async () => {
    const all = await logEntries(t.sigilo);
    // Sigilo's own upkeep at start (the row-MAC, block-set and record-MAC backfills, each logged once for good) is
    // the system
    // role's, no subject's.
    const upkeep = all.filter((e) => e.requestId.startsWith('start:'));
    expect(upkeep.map((e) => [e.actor, e.role, e.operation, e.subjectId])).toEqual([
      ['sigilo', 'system', 'row_mac_backfill', null],
      ['sigilo', 'system', 'block_set_backfill', null],
      ['sigilo', 'system', 'record_mac_backfill', null],
    ]);
    const entries = all.filter((e) => !upkeep.includes(e));
    const purposes = new Map(t.sigilo.policies.policy().purposes.map((p) => [p.id, p.legalBasis]));
    for (const e of entries) {
      const where = `seq ${e.seq} (${e.operation}, ${e.outcome})`;
      expect(e.actor, where).toMatch(/^[a-z_]+-1$/);
      expect(e.role, where).toBeTruthy();
      expect(e.purpose, where).toBeTruthy();
      expect(e.subjectId, where).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.categories.length, where).toBeGreaterThan(0);
      expect(e.operation, where).toMatch(/^(insert|read|search|update)$/);
      expect(e.requestId, where).toMatch(/^req-\d+$/);
      expect(e.policyVersion, where).toBe(1);
      expect(e.at, where).toBe(t.clock.now().toISOString());
      expect(e.justification, where).toBe('test');
      if (e.outcome === 'allowed') expect(e.legalBasis, where).toBe(purposes.get(e.purpose!));
      else expect(e.legalBasis, where).toBeNull();
    }
    expect(new Set(entries.map((e) => e.outcome))).toEqual(new Set(['allowed', 'denied']));
    // Categories are the policy's, not table names.
    const categories = new Set(entries.flatMap((e) => e.categories));
    for (const c of [
      'name',
      'tax_id',
      'phone',
      'email',
      'ip_address',
      'postal_address',
      'contract',
      'payment',
    ]) {
      expect(categories.has(c), c).toBe(true);
    }
  });

  it('an entry is written in the same transaction as its change: rolled-back work leaves neither', async () => {
    const before = await countRows(t.sigilo, 'access_log');
    const people = await countRows(t.sigilo, 'people');
    const c = ctx('support_agent', 'support');
    await expect(
      t.sigilo.gate.run(c, async (s) => {
        await t.sigilo.services.people.create(s, { name: 'Temporária', phones: [SAMPLE.phone] });
        throw new Error('the caller failed after writing');
      }),
    ).rejects.toThrow('the caller failed after writing');
    expect(await countRows(t.sigilo, 'access_log')).toBe(before);
    expect(await countRows(t.sigilo, 'people')).toBe(people);
    expect(await entriesFor(t.sigilo, c.requestId)).toEqual([]);
  });

  describe('tampering is detected and the first broken entry is named', () => {
    it('an edited entry (actor changed)', async () => {
      await db.updateTable('access_log').set({ actor: 'someone-else' }).where('seq', '=', 7).execute();
      const report = await t.sigilo.accessLog.verify();
      expect(report.ok).toBe(false);
      expect(report.firstBroken).toEqual({ seq: 7, problem: matching(/edited/) });
    });

    it('a deleted entry in the middle', async () => {
      await db.deleteFrom('access_log').where('seq', '=', 12).execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: 12,
        problem: matching(/missing/),
      });
    });

    it('two entries with their contents swapped', async () => {
      // Entries of one request can be identical (two phones inserted); swap with another request's entry.
      const entries = await logEntries(t.sigilo);
      const other = entries.find((e) => e.seq > 9 && e.requestId !== entries[8]!.requestId)!.seq;
      const row = async (seq: number) =>
        db.selectFrom('access_log').select(CONTENT).where('seq', '=', seq).executeTakeFirstOrThrow();
      const a = await row(9);
      const b = await row(other);
      await db.updateTable('access_log').set(b).where('seq', '=', 9).execute();
      await db.updateTable('access_log').set(a).where('seq', '=', other).execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: 9,
        problem: matching(/edited/),
      });
    });

    it('two whole entries swapped, hashes included (reordered)', async () => {
      const full = async (seq: number) =>
        db
          .selectFrom('access_log')
          .select([...CONTENT, 'prev_hash', 'hash'])
          .where('seq', '=', seq)
          .executeTakeFirstOrThrow();
      const ra = await full(15);
      const rb = await full(16);
      await db.updateTable('access_log').set(rb).where('seq', '=', 15).execute();
      await db.updateTable('access_log').set(ra).where('seq', '=', 16).execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: 15,
        problem: matching(/reordered/),
      });
    });

    it('a truncated tail', async () => {
      const total = await countRows(t.sigilo, 'access_log');
      await db
        .deleteFrom('access_log')
        .where('seq', '>', total - 3)
        .execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: total - 2,
        problem: matching(/truncated/),
      });
    });

    it('a truncated tail with the head moved back: the last signed checkpoint still covers it', async () => {
      const cps = await checkpointSeqs(t.sigilo);
      const keep = cps.at(-1)! - 2;
      const last = await t.sigilo.accessLog.repo.page(db, keep - 1, 1);
      await db.deleteFrom('access_log').where('seq', '>', keep).execute();
      await db
        .updateTable('access_log_head')
        .set({ seq: keep, hash: last[0]!.hash })
        .where('id', '=', 1)
        .execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: keep + 1,
        problem: matching(/checkpoint/),
      });
    });

    it('an edit with the chain recomputed after it: the keyed link catches it at the edited entry', async () => {
      const edited = 6;
      const entries = await logEntries(t.sigilo);
      let prev = entries[edited - 2]!.hash;
      for (const e of entries.slice(edited - 1)) {
        const content = e.seq === edited ? { ...e, actor: 'someone-else' } : e;
        const hash = chainHash(prev, e.seq, content);
        await db
          .updateTable('access_log')
          .set({ actor: content.actor, prev_hash: prev, hash })
          .where('seq', '=', e.seq)
          .execute();
        prev = hash;
      }
      await db.updateTable('access_log_head').set({ hash: prev }).where('id', '=', 1).execute();

      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: edited,
        problem: matching(/keyed hash/),
      });
    });

    it('a forged checkpoint signature', async () => {
      // The first checkpoint after the epoch (seq 0, the empty chain, signed when the log started).
      const cp = (await t.sigilo.accessLog.repo.checkpoints(db)).find((c) => c.seq > 0);
      const forged = Buffer.from(cp!.signature);
      forged[10] = forged[10]! ^ 0x01;
      await db
        .updateTable('access_log_checkpoints')
        .set({ signature: forged })
        .where('seq', '=', cp!.seq)
        .execute();
      expect((await t.sigilo.accessLog.verify()).firstBroken).toEqual({
        seq: cp!.seq,
        problem: matching(/signature/),
      });
    });
  });
});

describe('the access-log API', () => {
  it('offers append and read only: no method updates or deletes an entry', () => {
    for (const proto of [AccessLogRepository.prototype, AccessLogWriter.prototype]) {
      const methods = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor');
      expect(methods.length).toBeGreaterThan(0);
      for (const m of methods)
        expect(m).not.toMatch(/update|delete|remove|edit|set|truncate|clear|rewrite|drop/i);
    }
    expect(Object.getOwnPropertyNames(AccessLogRepository.prototype)).toEqual(
      expect.arrayContaining(['append', 'page', 'head', 'forSubject', 'checkpoints']),
    );
  });
});
