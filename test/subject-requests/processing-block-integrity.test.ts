/**
 * Issue 13, LGPD Art. 18 IV: a processing block that a database writer without the key can neither lift nor plant,
 * and a DPO's way to lift one. With raw SQL the attacker deletes a block row, inserts one, changes one's category,
 * deletes the subject's set row, or deletes the set row and every block (so the subject would look "never
 * blocked"): the next gated access answers INTEGRITY_ERROR naming the unit, logged and counted in /metrics, and
 * serves nothing. Lifting a blocking request's blocks works end to end over HTTP, logged and in the history.
 */
import SqliteDatabase from 'better-sqlite3';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { AccessContext } from '../../src/gate/access-context.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { createTestApp, expectError, type TestApp } from '../support/http.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { makeAccount } from '../support/telecom.ts';
import { DIALECTS } from '../support/stores.ts';
import { entriesFor, expectSigiloError, MARIA, seedCustomer, type Customer } from '../support/vault.ts';

const dpo = (): AccessContext => ctx('dpo', 'subject_request');
const billing = (): AccessContext => ctx('billing', 'billing');

async function integrityErrors(t: TestApp): Promise<number> {
  const res = await t.app.inject({ url: '/metrics' });
  const m = /^sigilo_errors_total\{code="INTEGRITY_ERROR"\} (\d+)/m.exec(res.body);
  return m ? Number(m[1]) : 0;
}

describe.each(DIALECTS)('processing blocks against a database writer on %s', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  let sigilo: Sigilo;
  let maria: Customer;
  let requestId: string;

  /** Maria's account, its contract ended, blocked at her request (every category: none is necessary now). */
  async function blocked(): Promise<void> {
    t = await createTestApp(dialect);
    sigilo = t.sigilo;
    maria = await seedCustomer(sigilo);
    await sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      sigilo.services.contracts.terminate(s, maria.contractId, '2026-03-31'),
    );
    const r = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.create(s, {
        subjectId: maria.accountId,
        type: 'blocking',
        channel: 'email',
      }),
    );
    await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
        method: 'document_check',
        documentKind: 'rg',
        reference: 'DPO-77',
      }),
    );
    const answer = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.blocking(s, r.id));
    expect(answer.categories.filter((c) => c.outcome === 'blocked').map((c) => c.category)).toEqual(
      expect.arrayContaining(['contract', 'payment', 'name']),
    );
    requestId = r.id;
  }

  const readInvoices = (c: AccessContext = billing()) =>
    sigilo.gate.run(c, (s) => sigilo.services.invoices.listForAccount(s, maria.accountId));
  const readPerson = (c: AccessContext = ctx('support_agent', 'support')) =>
    sigilo.gate.run(c, (s) => sigilo.services.people.get(s, maria.personId));

  /** The access is refused INTEGRITY_ERROR naming `table` (and `rowId`), logged as an error, counted in /metrics. */
  async function refusedAsTampered(
    attempt: (c: AccessContext) => Promise<unknown>,
    table: string,
    rowId: string,
  ): Promise<void> {
    const before = await integrityErrors(t!);
    const c = billing();
    const err = await expectSigiloError(attempt(c), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table, rowId });
    expect((await entriesFor(sigilo, c.requestId)).map((e) => [e.outcome, e.reason?.split(':')[0]])).toEqual([
      ['error', 'INTEGRITY_ERROR'],
    ]);
    // Over HTTP too: the documented error shape, and the metric moves.
    const res = await t!.app.inject({
      url: `/v1/accounts/${maria.accountId}/invoices`,
      headers: await t!.headers('billing', 'billing'),
    });
    expectError(res, 500, 'INTEGRITY_ERROR');
    expect(res.body).not.toContain(MARIA.companyName);
    expect(await integrityErrors(t!)).toBeGreaterThan(before);
  }

  it('deleting one block row does not lift it: INTEGRITY_ERROR, nothing served', async () => {
    await blocked();
    await expectSigiloError(readInvoices(), 'PROCESSING_BLOCKED');
    await sql`delete from processing_blocks where subject_id = ${maria.accountId} and category = 'payment'`.execute(
      sigilo.store.db,
    );
    await refusedAsTampered(readInvoices, 'block_sets', maria.accountId);
  });

  it('inserting a block row does not plant a block: INTEGRITY_ERROR instead of PROCESSING_BLOCKED', async () => {
    await blocked();
    // The person was not blocked; copy a valid-looking row of the account's onto the person.
    expect((await readPerson()).name).toBe(MARIA.personName);
    await sql`insert into processing_blocks (id, subject_id, category, request_id, blocked_at, row_mac)
      select ${`${maria.personId}/name`}, ${maria.personId}, category, request_id, blocked_at, row_mac
      from processing_blocks where subject_id = ${maria.accountId} and category = 'name'`.execute(
      sigilo.store.db,
    );
    const c = ctx('support_agent', 'support');
    const err = await expectSigiloError(readPerson(c), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'processing_blocks', rowId: `${maria.personId}/name` });
    // Removed again, the person is served as before.
    await sql`delete from processing_blocks where subject_id = ${maria.personId}`.execute(sigilo.store.db);
    expect((await readPerson()).name).toBe(MARIA.personName);
  });

  it("changing a block's category (to unblock payment) is caught on the row", async () => {
    await blocked();
    await sql`update processing_blocks set category = 'support_ticket'
      where subject_id = ${maria.accountId} and category = 'payment'`.execute(sigilo.store.db);
    await refusedAsTampered(readInvoices, 'processing_blocks', `${maria.accountId}/payment`);
  });

  it('deleting the set row, or the set row and every block, is not "never blocked"', async () => {
    await blocked();
    const db = sigilo.store.db;
    const saved = await db
      .selectFrom('block_sets')
      .selectAll()
      .where('subject_id', '=', maria.accountId)
      .execute();
    await db.deleteFrom('block_sets').where('subject_id', '=', maria.accountId).execute();
    await refusedAsTampered(readInvoices, 'block_sets', maria.accountId);
    await db.deleteFrom('processing_blocks').where('subject_id', '=', maria.accountId).execute();
    await refusedAsTampered(readInvoices, 'block_sets', maria.accountId);
    // A set row of another state (the empty set of another subject moved here) fails too.
    const other = await db
      .selectFrom('block_sets')
      .select(['version', 'set_mac'])
      .where('subject_id', '=', maria.personId)
      .executeTakeFirstOrThrow();
    await db
      .insertInto('block_sets')
      .values({ subject_id: maria.accountId, version: other.version, set_mac: other.set_mac })
      .execute();
    await refusedAsTampered(readInvoices, 'block_sets', maria.accountId);
    expect(saved).toHaveLength(1);
  });

  it('a subject never blocked whose set row is deleted is refused too', async () => {
    await blocked();
    await sigilo.store.db.deleteFrom('block_sets').where('subject_id', '=', maria.personId).execute();
    const err = await expectSigiloError(readPerson(), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'block_sets', rowId: maria.personId });
    // The subject's own export (a purpose blocks cannot stop) does not list the blocks silently either.
    await sql`delete from processing_blocks where subject_id = ${maria.accountId}`.execute(sigilo.store.db);
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) => s.processingBlocks(maria.accountId)),
      'INTEGRITY_ERROR',
    );
  });

  it('a NULL row MAC is a mismatch, and deleting the backfill marker makes the next start refuse', async () => {
    await blocked();
    await sql`update processing_blocks set row_mac = null where subject_id = ${maria.accountId} and category = 'payment'`.execute(
      sigilo.store.db,
    );
    await refusedAsTampered(readInvoices, 'processing_blocks', `${maria.accountId}/payment`);
    await sigilo.store.db.deleteFrom('block_sets').where('subject_id', '=', '').execute();
    const err = await expectSigiloError(t!.reopen(), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'block_sets' });
  });

  it('a migration down and up again keeps the MACs: the blocks hold after the next start', async () => {
    await blocked();
    const db = sigilo.store.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo('2026-12-04T1910-authority-order-documents')).error).toBeUndefined();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const next = await t!.reopen();
    await expectSigiloError(
      next.gate.run(billing(), (s) => next.services.invoices.listForAccount(s, maria.accountId)),
      'PROCESSING_BLOCKED',
    );
    expect(
      (
        await next.gate.run(ctx('support_agent', 'support'), (s) =>
          next.services.people.get(s, maria.personId),
        )
      ).name,
    ).toBe(MARIA.personName);
  });

  it('the DPO lifts the blocks of the request: served again, logged, in the history, answered in Portuguese', async () => {
    await blocked();
    const url = `/v1/subject-requests/${requestId}/blocks/lift`;
    // Not the portal, not support: the route's duty is the DPO's.
    for (const role of ['support_agent', 'billing']) {
      const res = await t!.app.inject({
        method: 'POST',
        url,
        headers: await t!.headers(role, 'subject_request'),
        payload: { reason: 'subject_asked' },
      });
      expect(res.statusCode).toBe(403);
    }
    // A category the request did not block is refused and nothing changes.
    const wrong = await t!.app.inject({
      method: 'POST',
      url,
      headers: await t!.headers('dpo', 'subject_request'),
      payload: { reason: 'subject_asked', categories: ['payment', 'recording'] },
    });
    expectError(wrong, 400, 'VALIDATION_FAILED');
    await expectSigiloError(readInvoices(), 'PROCESSING_BLOCKED');

    const res = await t!.app.inject({
      method: 'POST',
      url,
      headers: await t!.headers('dpo', 'subject_request'),
      payload: { reason: 'subject_asked', categories: ['payment'] },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      lifted: { category: string; statement: string }[];
      stillBlocked: string[];
    }>();
    expect(body.lifted.map((l) => l.category)).toEqual(['payment']);
    expect(body.lifted[0]!.statement).toMatch(
      /^Pagamentos e faturas: bloqueio encerrado em .* a seu pedido\./,
    );
    expect(body.stillBlocked).toContain('contract');
    expect(body.stillBlocked).not.toContain('payment');
    // Served again under billing; the account's name stays blocked.
    expect((await readInvoices()).length).toBeGreaterThan(0);
    await expectSigiloError(
      sigilo.gate.run(billing(), (s) => sigilo.services.accounts.get(s, maria.accountId)),
      'PROCESSING_BLOCKED',
    );
    // Logged (an unblock entry about the account, naming the set's new version) and in the request's history.
    const unblock = await sigilo.store.db
      .selectFrom('access_log')
      .select(['subject_id', 'outcome', 'reason', 'categories'])
      .where('operation', '=', 'unblock')
      .execute();
    expect(unblock).toHaveLength(1);
    expect(unblock[0]).toMatchObject({ subject_id: maria.accountId, outcome: 'allowed' });
    expect(unblock[0]!.reason).toMatch(
      new RegExp(`subject request ${requestId}, subject_asked, block set 2`),
    );
    const history = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.history(s, requestId),
    );
    expect(history.at(-1)).toMatchObject({
      kind: 'block_lifted',
      role: 'dpo',
      details: { reason: 'subject_asked', categories: ['payment'] },
    });
    // The rest, when the reason ends; then nothing of the request is left to lift.
    const rest = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.liftBlocks(s, requestId, { reason: 'reason_ended' }),
    );
    expect(rest.stillBlocked).toEqual([]);
    expect(rest.lifted[0]!.statement).toMatch(/porque o motivo do bloqueio deixou de existir/);
    const account = await sigilo.gate.run(billing(), (s) => sigilo.services.accounts.get(s, maria.accountId));
    expect(account.name).toBe(MARIA.companyName);
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectAnswers.liftBlocks(s, requestId, { reason: 'reason_ended' }),
      ),
      'REQUEST_STATE_CONFLICT',
    );
    // A replay of the deleted rows with their old MACs does not bring the block back unnoticed.
    expect((await sigilo.gate.run(dpo(), (s) => s.processingBlocks(maria.accountId))).length).toBe(0);
  });
});

/** One answered call between two numbers, as a parser would hand it to the import. */
function call(id: string, at: string, caller: string, callee: string): ParsedCdr {
  return {
    naturalKey: `generic:${id}`,
    platform: 'generic',
    platformId: id,
    linkedId: null,
    startedAt: at,
    answeredAt: at,
    endedAt: new Date(Date.parse(at) + 60_000).toISOString(),
    durationSec: 60,
    billSec: 60,
    caller,
    callee,
    callerName: null,
    accountCode: null,
    context: null,
    channel: null,
    dstChannel: null,
    username: null,
    sourceIp: null,
    disposition: 'answered',
    direction: 'outbound',
    sourceLine: 1,
  };
}

/** Counts the statements both drivers are handed that name `table`, while `fn` runs. */
async function statementsNaming(table: string, fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const seen = (text: unknown) => {
    const q = typeof text === 'string' ? text : (text as { text?: string } | null)?.text;
    if (typeof q === 'string' && q.includes(`"${table}"`)) n++;
  };
  // SQLite statements are prepared once and cached by the store: count their executions.
  const probe = new SqliteDatabase(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  probe.close();
  const saved = ['all', 'get', 'run', 'iterate'].map((m) => [m, proto[m]!] as const);
  for (const [m, f] of saved) {
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      seen(this.source);
      return f.apply(this, a);
    };
  }
  const client = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = client.query;
  client.query = function (this: unknown, ...a: unknown[]) {
    seen(a[0]);
    return query.apply(this, a);
  };
  try {
    await fn();
  } finally {
    for (const [m, f] of saved) proto[m] = f;
    client.query = query;
  }
  return n;
}

describe.each(DIALECTS)('processing blocks in a search across accounts on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await cleanup?.();
  });

  it('reads the blocks of every account the search reaches in one statement, and a blocked one refuses', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const sigilo = t.sigilo;
    const target = '+5511987654321';
    const accounts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const account = await makeAccount(sigilo, `Cliente ${i}`);
      accounts.push(account);
      async function* outcomes(): AsyncGenerator<ParseOutcome> {
        yield {
          ok: true,
          record: call(`b${i}`, `2026-03-0${i + 1}T10:00:00.000Z`, `+55113000000${i}`, target),
        };
      }
      await sigilo.services.telecomIngest.ingestCdrs(ctx('network_platform', 'provisioning'), outcomes(), {
        accountId: account,
      });
    }
    // Only authority_order searches across accounts, and the seed lets it go on when blocked (the law). A policy
    // that does not: the one the gate enforces, with that flag off for this process.
    const seeded = sigilo.policies.policy();
    const variant = {
      ...seeded,
      purposes: seeded.purposes.map((p) =>
        p.id === 'authority_order' ? { ...p, continuesWhenBlocked: false } : p,
      ),
    };
    vi.spyOn(sigilo.policies, 'policy').mockReturnValue(variant);
    const search = () =>
      sigilo.gate.run(ctx('legal', 'authority_order'), (s) =>
        sigilo.services.telecomQuery.searchByNumber(
          s,
          target,
          { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T23:59:59.999Z' },
          100,
        ),
      );
    let found = 0;
    const statements = await statementsNaming('block_sets', async () => {
      found = (await search()).records.length;
    });
    expect(found).toBe(4);
    expect(statements).toBe(1);
    // One of them blocks its call records: the search is refused.
    await sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      s.blockProcessing(accounts[2]!, ['call_record'], 'a-request'),
    );
    await expectSigiloError(search(), 'PROCESSING_BLOCKED');
  });
});
