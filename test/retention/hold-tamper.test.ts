/**
 * Legal holds and the three histories against someone who can write the database (sqlite3 CLI, psql) but holds no
 * key, on both dialects. Releasing a hold with SQL, moving its end into the past, narrowing its scope, categories
 * or window, putting back an older version of its row, or deleting it outright used to lift the hold: the next
 * sweep deleted what it kept. Now the sweep fails closed — INTEGRITY_ERROR naming the hold (or the head of the set
 * of holds), logged, the run recorded as failed, nothing deleted. Deleting, reordering, duplicating, inserting or
 * editing an event of a hold's, an authority request's or a subject request's history is an INTEGRITY_ERROR when
 * the history is read.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';
import { isSigiloError } from '../../src/errors.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { logEntries } from '../support/vault.ts';
import { buildCustomer, countRows, type Customer } from './retention.fixture.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Row = Record<string, unknown>;

async function rows(t: TestSigilo, table: string, column: string, value: string): Promise<Row[]> {
  return (
    await sql<Row>`select * from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(
      t.sigilo.store.db,
    )
  ).rows;
}

async function exec(t: TestSigilo, q: ReturnType<typeof sql>): Promise<void> {
  await q.execute(t.sigilo.store.db);
}

/** Puts rows back as they were: rows still there are updated in place (foreign keys), others inserted. */
async function restore(t: TestSigilo, table: string, column: string, value: string, saved: Row[]) {
  const key = table === 'record_heads' ? 'name' : 'id';
  const keep = saved.map((r) => String(r[key]));
  const now = await rows(t, table, column, value);
  // Events are nobody's parent and their positions are unique: put back whole. A hold has children: in place.
  const inPlace = table === 'legal_holds';
  for (const r of now) {
    if (!inPlace || !keep.includes(String(r[key]))) {
      await exec(t, sql`delete from ${sql.table(table)} where ${sql.ref(key)} = ${String(r[key])}`);
    }
  }
  for (const r of saved) {
    const exists = inPlace && now.some((n) => String(n[key]) === String(r[key]));
    const db = t.sigilo.store.db as unknown as Kysely<Record<string, Row>>;
    if (exists) await db.updateTable(table).set(r).where(key, '=', r[key]).execute();
    else await db.insertInto(table).values(r).execute();
  }
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe.each(DIALECTS)('legal holds and histories under raw SQL on %s', (dialect) => {
  let t: TestSigilo;
  let c: Customer;
  let holdId: string;
  let olderHold: Row;
  const legal = () => ctx('legal', null, 'legal-7');

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    c = await buildCustomer(t.sigilo, t.clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: null,
    });
    t.clock.set('2028-05-01T12:00:00.000Z');
    const hold = await t.sigilo.retention.holds.create(legal(), {
      kind: 'litigation',
      scope: { kind: 'account', id: c.accountId },
      categories: ['support_ticket'],
      window: { from: '2027-01-01', to: '2027-01-31' },
      expiresAt: '2030-01-01',
      reason: 'Ação judicial sobre falhas de chamadas em janeiro de 2027',
    });
    holdId = hold.id;
    olderHold = (await rows(t, 'legal_holds', 'id', holdId))[0]!;
    await t.sigilo.retention.holds.extend(legal(), holdId, {
      expiresAt: '2031-01-01',
      reason: 'prorrogação',
    });
    // The ticket would have gone on 2029-01-10; the hold keeps it.
    t.clock.set('2029-06-01T00:00:00.000Z');
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  /** Runs a sweep and lists what went wrong with it as an attack's answer (nothing when it failed closed). */
  async function sweepProblems(names: string): Promise<string[]> {
    const problems: string[] = [];
    const before = (await logEntries(t.sigilo)).length;
    const err = await errorOf(t.sigilo.retention.run());
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) {
      problems.push(
        `sweep answered ${isSigiloError(err) ? err.code : err instanceof Error ? err.message : 'success'}`,
      );
    } else if (err.details.rowId !== names) problems.push(`names ${String(err.details.rowId)}`);
    if ((await countRows(t.sigilo, c)).tickets !== 1) problems.push('the held ticket was deleted');
    const run = await t.sigilo.store.db
      .selectFrom('retention_runs')
      .select(['status', 'error_code'])
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    if (run.status !== 'failed' || run.error_code !== 'INTEGRITY_ERROR') {
      problems.push(`run recorded ${run.status}/${run.error_code}`);
    }
    const logged = (await logEntries(t.sigilo)).slice(before);
    if (!logged.some((e) => e.operation === 'legal_hold.check' && e.outcome === 'error')) {
      problems.push('not logged');
    }
    return problems;
  }

  it('the hold keeps the ticket while it is untouched', async () => {
    const report = await t.sigilo.retention.run();
    expect(report.targets.find((r) => r.target === 'core.tickets')).toMatchObject({ held: 1 });
    expect((await countRows(t.sigilo, c)).tickets).toBe(1);
  });

  it('a hold released, shortened, narrowed, moved, rolled back or unMACed with SQL fails the sweep closed', async () => {
    const saved = await rows(t, 'legal_holds', 'id', holdId);
    const attacks: [string, ReturnType<typeof sql>][] = [
      [
        'released_at',
        sql`update legal_holds set released_at = '2029-05-01T00:00:00.000Z', released_by = 'x'`,
      ],
      ['expires_at', sql`update legal_holds set expires_at = '2029-01-01T00:00:00.000Z'`],
      ['categories', sql`update legal_holds set categories = '["payment"]'`],
      ['window_to', sql`update legal_holds set window_to = '2027-01-05T00:00:00.000Z'`],
      ['window_from', sql`update legal_holds set window_from = '2027-01-20T00:00:00.000Z'`],
      ['scope_id', sql`update legal_holds set scope_id = ${c.ownerId}, scope_kind = 'person'`],
      ['row_mac', sql`update legal_holds set row_mac = null`],
    ];
    const missed: string[] = [];
    for (const [name, attack] of attacks) {
      await exec(t, sql`${attack} where id = ${holdId}`);
      for (const p of await sweepProblems(holdId)) missed.push(`${name}: ${p}`);
      await restore(t, 'legal_holds', 'id', holdId, saved);
    }
    // The row as it was before the extension: its own MAC is right, but the set's head covers the newer row.
    await restore(t, 'legal_holds', 'id', holdId, [olderHold]);
    for (const p of await sweepProblems('legal_holds')) missed.push(`older row: ${p}`);
    await restore(t, 'legal_holds', 'id', holdId, saved);
    expect(missed).toEqual([]);
    // Each failed run shows in /metrics (a scheduled sweep answers no request whose error would be counted).
    const metrics = createMetrics({ failedRuns: () => t.sigilo.retention.failedRuns() });
    expect(await metrics.registry.metrics()).toMatch(
      /sigilo_retention_runs_failed\{code="INTEGRITY_ERROR"\} 8\b/,
    );
    // Put back, the hold keeps the ticket again.
    await t.sigilo.retention.run();
    expect((await countRows(t.sigilo, c)).tickets).toBe(1);
  }, 240_000);

  it('a hold deleted outright, or the head of the set edited or deleted, fails the sweep closed', async () => {
    const saved = await rows(t, 'legal_holds', 'id', holdId);
    const events = await rows(t, 'legal_hold_events', 'hold_id', holdId);
    const head = await rows(t, 'record_heads', 'name', 'legal_holds');
    const missed: string[] = [];
    const deleteHold = async () => {
      await exec(t, sql`delete from legal_hold_events where hold_id = ${holdId}`);
      await exec(t, sql`delete from legal_holds where id = ${holdId}`);
    };
    const putBack = async () => {
      await restore(t, 'legal_holds', 'id', holdId, saved);
      await restore(t, 'legal_hold_events', 'hold_id', holdId, events);
    };
    await deleteHold();
    for (const p of await sweepProblems('legal_holds')) missed.push(`row deleted: ${p}`);
    await putBack();
    await exec(t, sql`update record_heads set count = 0 where name = 'legal_holds'`);
    for (const p of await sweepProblems('legal_holds')) missed.push(`head count: ${p}`);
    await deleteHold();
    await exec(t, sql`delete from record_heads where name = 'legal_holds'`);
    for (const p of await sweepProblems('legal_holds')) missed.push(`row and head deleted: ${p}`);
    await putBack();
    await restore(t, 'record_heads', 'name', 'legal_holds', head);
    expect(missed).toEqual([]);
    // The dry run and the hold's own reads refuse it too.
    await exec(t, sql`update legal_holds set released_at = '2029-05-01T00:00:00.000Z' where id = ${holdId}`);
    const preview = await errorOf(t.sigilo.retention.preview(ctx('dpo', null)));
    expect(isSigiloError(preview, 'INTEGRITY_ERROR')).toBe(true);
    const read = await errorOf(t.sigilo.retention.holds.get(legal(), holdId));
    expect(isSigiloError(read, 'INTEGRITY_ERROR') && read.details.rowId).toBe(holdId);
    const list = await errorOf(t.sigilo.retention.holds.list(legal(), { status: 'active' }));
    expect(isSigiloError(list, 'INTEGRITY_ERROR')).toBe(true);
    await restore(t, 'legal_holds', 'id', holdId, saved);
    expect((await t.sigilo.retention.holds.get(legal(), holdId)).status).toBe('active');
  }, 240_000);

  /**
   * Attacks one history (`table`, parent column `column`, parent `parentId`, at least two events) and returns what
   * `read` let through; the history is put back after each attack.
   */
  async function historyProblems(
    table: string,
    column: string,
    parentId: string,
    read: () => Promise<unknown>,
  ): Promise<string[]> {
    const saved = await rows(t, table, column, parentId);
    const headName = `${table}:${parentId}`;
    const head = await rows(t, 'record_heads', 'name', headName);
    expect(saved.length).toBeGreaterThanOrEqual(2);
    expect(head).toHaveLength(1);
    const [first, second] = [...saved].sort((a, b) => Number(a.seq) - Number(b.seq));
    const last = saved.reduce((a, b) => (Number(b.seq) > Number(a.seq) ? b : a));
    const copy = (r: Row, over: Row): Row => ({ ...r, id: `${String(r.id).slice(0, -4)}beef`, ...over });
    const attacks: [string, () => Promise<void>][] = [
      [
        'last event deleted',
        () => exec(t, sql`delete from ${sql.table(table)} where id = ${String(last.id)}`),
      ],
      [
        'first event deleted',
        () => exec(t, sql`delete from ${sql.table(table)} where id = ${String(first!.id)}`),
      ],
      [
        'events reordered',
        async () => {
          await exec(t, sql`update ${sql.table(table)} set seq = 1000 where id = ${String(first!.id)}`);
          await exec(t, sql`update ${sql.table(table)} set seq = 1 where id = ${String(second!.id)}`);
          await exec(t, sql`update ${sql.table(table)} set seq = 2 where id = ${String(first!.id)}`);
        },
      ],
      [
        'event duplicated',
        () =>
          t.sigilo.store.db
            .insertInto(table as 'legal_hold_events')
            .values(copy(last, { seq: Number(last.seq) + 1 }) as never)
            .execute()
            .then(() => undefined),
      ],
      [
        'event edited',
        () =>
          exec(t, sql`update ${sql.table(table)} set actor = 'someone-else' where id = ${String(last.id)}`),
      ],
      [
        'head rolled back with the last event',
        async () => {
          await exec(t, sql`delete from ${sql.table(table)} where id = ${String(last.id)}`);
          await exec(t, sql`update record_heads set count = count - 1 where name = ${headName}`);
        },
      ],
      [
        'whole history and head deleted',
        async () => {
          await exec(t, sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${parentId}`);
          await exec(t, sql`delete from record_heads where name = ${headName}`);
        },
      ],
    ];
    const missed: string[] = [];
    for (const [name, attack] of attacks) {
      await attack();
      const err = await errorOf(read());
      if (!isSigiloError(err, 'INTEGRITY_ERROR')) {
        missed.push(
          `${name}: ${isSigiloError(err) ? err.code : err instanceof Error ? err.message : 'read as if whole'}`,
        );
      }
      await restore(t, table, column, parentId, saved);
      await restore(t, 'record_heads', 'name', headName, head);
    }
    await read();
    return missed;
  }

  it("a hold's history with an event deleted, reordered, duplicated, edited or its head rolled back does not read", async () => {
    const missed = await historyProblems('legal_hold_events', 'hold_id', holdId, () =>
      t.sigilo.retention.holds.history(legal(), holdId),
    );
    expect(missed).toEqual([]);
  }, 120_000);

  it("an authority request's and a subject request's histories do not read after the same edits", async () => {
    const { gate, services } = t.sigilo;
    const work = () => ctx('legal', 'authority_order');
    const request = await gate.run(work(), (s) =>
      services.authorityRequests.create(s, cdrOrder({ externalReference: 'IP 4321/2029-DEIC' })),
    );
    await gate.run(work(), (s) => services.authorityRequests.startValidation(s, request.id));
    const missed = await historyProblems('authority_request_events', 'request_id', request.id, () =>
      gate.run(work(), (s) => services.authorityRequests.history(s, request.id)),
    );
    const dpo = () => ctx('dpo', 'subject_request');
    const subjectRequest = await gate.run(dpo(), (s) =>
      services.subjectRequests.create(s, { subjectId: c.ownerId, type: 'access_complete', channel: 'email' }),
    );
    await gate.run(dpo(), (s) => services.subjectRequests.extend(s, subjectRequest.id, 10, 'complexity'));
    missed.push(
      ...(await historyProblems('subject_request_events', 'request_id', subjectRequest.id, () =>
        gate.run(dpo(), (s) => services.subjectRequests.history(s, subjectRequest.id)),
      )),
    );
    expect(missed).toEqual([]);
  }, 120_000);
});
