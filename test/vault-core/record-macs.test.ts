/**
 * Record MACs of subject requests and account links (issue 13), on both dialects, against someone who can write
 * the database but holds no key. A subject request moved to another subject, its state, deadline or what it asks
 * changed; an account link moved to another account or person, given another relation, or forged: each is an
 * INTEGRITY_ERROR naming the row, logged, where the row decides (the request's reads and listings, the portal's
 * own-calls check, a person's accounts). And the start-time backfill: rows written before the record-MAC key
 * existed get their MACs once, in one logged transaction; a NULL MAC afterwards is a mismatch; deleting the key
 * makes the next start refuse instead of re-MACing edited rows.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSigiloError } from '../../src/errors.ts';
import type { AccessContext } from '../../src/gate/access-context.ts';
import type { GateSession } from '../../src/gate/gate.ts';
import { createTestSigilo, ctx, portalCtx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { entriesFor, expectSigiloError, JOAO, MARIA, seedCustomer, type Customer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Row = Record<string, unknown>;

describe.each(DIALECTS)('record MACs of subject requests and account links on %s', (dialect) => {
  let t: TestSigilo;
  let a: Customer;
  let b: Customer;
  let requestId: string;
  const dpo = () => ctx('dpo', 'subject_request');

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    a = await seedCustomer(t.sigilo, MARIA);
    b = await seedCustomer(t.sigilo, JOAO);
    const r = await t.sigilo.gate.run(dpo(), (s) =>
      t.sigilo.services.subjectRequests.create(s, {
        subjectId: a.personId,
        type: 'access_complete',
        channel: 'email',
      }),
    );
    requestId = r.id;
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  const db = () => t.sigilo.store.db;
  async function one(table: string, where: ReturnType<typeof sql>): Promise<Row> {
    const r = (await sql<Row>`select * from ${sql.table(table)} where ${where}`.execute(db())).rows[0];
    if (!r) throw new Error(`no row of ${table}`);
    return r;
  }

  /** Runs `work` and lists what is wrong with its answer (nothing when it is a logged INTEGRITY_ERROR naming `rowId`). */
  async function refused(
    c: AccessContext,
    work: (s: GateSession) => Promise<unknown>,
    table: string,
    rowId: string,
  ): Promise<string[]> {
    const err = await t.sigilo.gate.run(c, work).then(
      () => null,
      (e: unknown) => e,
    );
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) {
      return [`answered ${isSigiloError(err) ? err.code : err instanceof Error ? err.message : 'success'}`];
    }
    const problems: string[] = [];
    if (err.details.table !== table || err.details.rowId !== rowId) problems.push('does not name the row');
    const logged = await entriesFor(t.sigilo, c.requestId);
    if (!logged.some((e) => e.outcome === 'error' && (e.reason ?? '').startsWith('INTEGRITY_ERROR'))) {
      problems.push('not logged');
    }
    return problems;
  }

  it('a subject request edited with SQL is refused by its reads, listings and steps', async () => {
    const original = await one('subject_requests', sql`id = ${requestId}`);
    const requests = t.sigilo.services.subjectRequests;
    const edits: [string, Row][] = [
      ['subject_id', { subject_id: b.personId }],
      ['state', { state: 'answered' }],
      ['due_at', { due_at: '2099-01-01T02:59:59.999Z' }],
      ['type', { type: 'deletion' }],
      ['params', { params: '{"categories":["name"]}' }],
      ['verified_at', { verified_at: '2026-11-26T12:00:00.000Z', verification_method: 'document' }],
      ['row_mac', { row_mac: null }],
    ];
    const missed: string[] = [];
    for (const [name, set] of edits) {
      await db()
        .updateTable('subject_requests')
        .set(set as never)
        .where('id', '=', requestId)
        .execute();
      const paths: [string, (s: GateSession) => Promise<unknown>][] = [
        ['get', (s) => requests.get(s, requestId)],
        ['list', (s) => requests.list(s, {})],
        ['extend', (s) => requests.extend(s, requestId, 5, 'complexity')],
      ];
      for (const [path, work] of paths) {
        for (const p of await refused(dpo(), work, 'subject_requests', requestId)) {
          missed.push(`${name} ${path}: ${p}`);
        }
      }
      await db()
        .updateTable('subject_requests')
        .set(original as never)
        .where('id', '=', requestId)
        .execute();
    }
    expect(missed).toEqual([]);
    // Put back, it reads, and a step through the service writes a MAC the next read accepts.
    await t.sigilo.gate.run(dpo(), (s) => requests.extend(s, requestId, 5, 'complexity'));
    expect((await t.sigilo.gate.run(dpo(), (s) => requests.get(s, requestId))).state).toBe('received');
  });

  it('an open request deleted outright, or moved out of the open states, fails the staff listing; a new request does not bless it', async () => {
    const requests = t.sigilo.services.subjectRequests;
    const original = await one('subject_requests', sql`id = ${requestId}`);
    const events = (
      await sql<Row>`select * from subject_request_events where request_id = ${requestId}`.execute(db())
    ).rows;
    const missed: string[] = [];
    // The whole request goes, with its history (the history's own head is left: it names no request in a list).
    await db().deleteFrom('subject_request_events').where('request_id', '=', requestId).execute();
    await db().deleteFrom('subject_requests').where('id', '=', requestId).execute();
    for (const p of await refused(
      dpo(),
      (s) => requests.list(s, {}),
      'record_heads',
      'subject_requests:open',
    )) {
      missed.push(`deleted, list: ${p}`);
    }
    for (const p of await refused(
      dpo(),
      (s) => requests.create(s, { subjectId: b.personId, type: 'access_complete', channel: 'email' }),
      'record_heads',
      'subject_requests:open',
    )) {
      missed.push(`deleted, new request: ${p}`);
    }
    await db()
      .insertInto('subject_requests')
      .values(original as never)
      .execute();
    if (events.length > 0) {
      await db()
        .insertInto('subject_request_events')
        .values(events as never)
        .execute();
    }
    expect((await t.sigilo.gate.run(dpo(), (s) => requests.list(s, {}))).map((r) => r.id)).toContain(
      requestId,
    );
    expect(missed).toEqual([]);
  });

  it('an account link moved, re-related or forged with SQL is refused where it decides', async () => {
    const link = await one('account_people', sql`person_id = ${a.personId}`);
    const id = `${String(link.account_id)}/${a.personId}`;
    const people = t.sigilo.services.people;
    const support = () => ctx('support_agent', 'support');
    const missed: string[] = [];
    // Another relation (a contact made owner), and the MAC cleared.
    for (const set of [{ relation: 'user' }, { row_mac: null }]) {
      await db()
        .updateTable('account_people')
        .set(set as never)
        .where('person_id', '=', a.personId)
        .execute();
      for (const p of await refused(support(), (s) => people.get(s, a.personId), 'account_people', id)) {
        missed.push(`${Object.keys(set)[0]} person: ${p}`);
      }
      for (const p of await refused(
        portalCtx('subject_request', a.personId),
        (s) => t.sigilo.services.telecomQuery.personCalls(s, a.personId, {}),
        'account_people',
        id,
      )) {
        missed.push(`${Object.keys(set)[0]} own calls: ${p}`);
      }
      await db()
        .updateTable('account_people')
        .set(link as never)
        .where('person_id', '=', a.personId)
        .execute();
    }
    // Moved to the other customer's account: the row is named by its new key, which its MAC does not cover.
    await db()
      .updateTable('account_people')
      .set({ account_id: b.accountId })
      .where('person_id', '=', a.personId)
      .execute();
    for (const p of await refused(
      support(),
      (s) => people.get(s, a.personId),
      'account_people',
      `${b.accountId}/${a.personId}`,
    )) {
      missed.push(`moved: ${p}`);
    }
    await db()
      .updateTable('account_people')
      .set({ account_id: link.account_id as string })
      .where('person_id', '=', a.personId)
      .execute();
    // A link forged into the other account with the other link's MAC.
    const theirs = await one('account_people', sql`person_id = ${b.personId}`);
    await db()
      .insertInto('account_people')
      .values({ ...theirs, person_id: a.personId } as never)
      .execute();
    for (const p of await refused(
      support(),
      (s) => people.get(s, a.personId),
      'account_people',
      `${String(theirs.account_id)}/${a.personId}`,
    )) {
      missed.push(`forged: ${p}`);
    }
    await db()
      .deleteFrom('account_people')
      .where('person_id', '=', a.personId)
      .where('account_id', '=', theirs.account_id as string)
      .execute();
    expect(missed).toEqual([]);
    expect((await t.sigilo.gate.run(support(), (s) => people.get(s, a.personId))).accounts).toHaveLength(1);
  });

  it('an account link deleted outright, alone or with its set head, is refused; a later link does not bless it', async () => {
    const link = await one('account_people', sql`person_id = ${a.personId}`);
    const accountId = String(link.account_id);
    const personHead = `account_people:person:${a.personId}`;
    const accountHead = `account_people:account:${accountId}`;
    const heads = [
      await one('record_heads', sql`name = ${personHead}`),
      await one('record_heads', sql`name = ${accountHead}`),
    ];
    const people = t.sigilo.services.people;
    const support = () => ctx('support_agent', 'support');
    const missed: string[] = [];
    // The link that makes the person the account's (and a hold on the person keep the account's calls) deleted.
    await db().deleteFrom('account_people').where('person_id', '=', a.personId).execute();
    for (const p of await refused(support(), (s) => people.get(s, a.personId), 'record_heads', personHead)) {
      missed.push(`deleted, person read: ${p}`);
    }
    // A legitimate change of the account's links must not rewrite its head over the deleted link.
    for (const p of await refused(
      ctx('support_agent', 'contracting'),
      (s) => people.link(s, b.personId, accountId, 'contact'),
      'record_heads',
      accountHead,
    )) {
      missed.push(`deleted, new link: ${p}`);
    }
    // With the person's head deleted too, it is not "never linked".
    await db().deleteFrom('record_heads').where('name', '=', personHead).execute();
    for (const p of await refused(support(), (s) => people.get(s, a.personId), 'record_heads', personHead)) {
      missed.push(`deleted with its head: ${p}`);
    }
    await db()
      .insertInto('account_people')
      .values(link as never)
      .execute();
    await db().deleteFrom('record_heads').where('name', 'in', [personHead, accountHead]).execute();
    await db()
      .insertInto('record_heads')
      .values(heads as never)
      .execute();
    expect(missed).toEqual([]);
    expect((await t.sigilo.gate.run(support(), (s) => people.get(s, a.personId))).accounts).toHaveLength(1);
  });

  it('the start-time backfill MACs rows written before the key, once, logged; NULL afterwards is a mismatch', async () => {
    // A database of before: no record-MAC key, no MACs, no heads, no backfill entry.
    await sql`delete from key_material where id = 'row-mac-2'`.execute(db());
    for (const table of [
      'subject_requests',
      'account_people',
      'legal_hold_events',
      'subject_request_events',
    ]) {
      await sql`update ${sql.table(table)} set row_mac = null`.execute(db());
    }
    await sql`delete from record_heads`.execute(db());
    const marker = await db()
      .selectFrom('access_log')
      .select('seq')
      .where('operation', '=', 'record_mac_backfill')
      .execute();
    expect(marker).toHaveLength(1);
    // The marker says the backfill ran: a start now refuses rather than MAC whatever was edited.
    const err = await expectSigiloError(t.reopen(), 'INTEGRITY_ERROR');
    expect(err.details.table).toBe('key_material');
    expect(
      (await db().selectFrom('subject_requests').select('row_mac').execute()).every(
        (r) => r.row_mac === null,
      ),
    ).toBe(true);
  });
});

describe.each(DIALECTS)('the record-MAC backfill of a database of before on %s', (dialect) => {
  it('MACs every record and writes every head at the first start, logged once; then NULL is refused', async () => {
    const t = await createTestSigilo(dialect);
    try {
      const a = await seedCustomer(t.sigilo, MARIA);
      const r = await t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
        t.sigilo.services.subjectRequests.create(s, {
          subjectId: a.personId,
          type: 'access_complete',
          channel: 'email',
        }),
      );
      const db = t.sigilo.store.db;
      // As the 2026-12-04T2100 migration leaves a database that had these rows: no MACs, no heads, no key, and
      // no backfill in the access log (the entry is removed with the log's own key-free tail: a fresh log).
      await sql`delete from key_material where id = 'row-mac-2'`.execute(db);
      for (const table of ['subject_requests', 'account_people', 'subject_request_events']) {
        await sql`update ${sql.table(table)} set row_mac = null`.execute(db);
      }
      await sql`delete from record_heads`.execute(db);
      await sql`update access_log set operation = 'row_mac_backfill_before' where operation = 'record_mac_backfill'`.execute(
        db,
      );
      const next = await t.reopen();
      const logged = await db
        .selectFrom('access_log')
        .select(['operation', 'reason'])
        .where('operation', '=', 'record_mac_backfill')
        .execute();
      expect(logged).toHaveLength(1);
      expect(logged[0]!.reason).toMatch(/subject_requests: 1/);
      expect(
        (await db.selectFrom('account_people').select('row_mac').execute()).every((x) =>
          Buffer.isBuffer(x.row_mac),
        ),
      ).toBe(true);
      const requests = next.services.subjectRequests;
      expect(
        await next.gate.run(ctx('dpo', 'subject_request'), (s) => requests.history(s, r.id)),
      ).toHaveLength(1);
      await sql`update subject_requests set row_mac = null where id = ${r.id}`.execute(db);
      const again = await t.reopen();
      await expectSigiloError(
        again.gate.run(ctx('dpo', 'subject_request'), (s) => again.services.subjectRequests.get(s, r.id)),
        'INTEGRITY_ERROR',
      );
    } finally {
      await t.cleanup();
    }
  }, 120_000);
});
