/**
 * Row MACs of the core sealed tables (issue 13 §5), on both dialects. An attacker who can write the database but
 * holds no key edits one bound column of one row with raw SQL — its owner, subject, dates, status, provenance —
 * and the next gated read, update, delete and retention delete of that row answers INTEGRITY_ERROR naming the row
 * (table and id), logged, and changes nothing. Setting the MAC to NULL does not pass the row off as "legacy", not
 * even after a restart; deleting the row-MAC key does not make the next start re-MAC what was edited. A change
 * made through a service still works.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';
import { isSigiloError } from '../../src/errors.ts';
import type { AccessContext } from '../../src/gate/access-context.ts';
import type { GateSession } from '../../src/gate/gate.ts';
import { ROW_MACS, SEALED_TABLES, type SealedTableName } from '../../src/gate/sealed-tables.ts';
import type { Database } from '../../src/store/database.ts';
import { createTestSigilo, ctx, portalCtx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { entriesFor, expectSigiloError, JOAO, MARIA, seedCustomer, type Customer } from '../support/vault.ts';
import { addRule } from '../support/telecom.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Row = Record<string, unknown>;

const PASSWORD = 'senha-do-portal-de-teste-9';
const system = (): AccessContext => ctx('system', 'legal_obligation', 'sigilo');

/** One row of each view, of the first customer; `other` is the same view's row of the second. */
interface Target {
  view: SealedTableName;
  id: string;
  other: Row;
  /** The context that reads (and, unless `write` says otherwise, changes) the view. */
  read: () => AccessContext;
  write?: () => AccessContext;
}

async function rowOf(t: TestSigilo, table: string, where: Record<string, string>): Promise<Row> {
  const cond = sql.join(
    Object.entries(where).map(([k, v]) => sql`${sql.ref(k)} = ${v}`),
    sql` and `,
  );
  const r = (await sql<Row>`select * from ${sql.table(table)} where ${cond}`.execute(t.sigilo.store.db))
    .rows[0];
  if (!r) throw new Error(`no row of ${table} where ${JSON.stringify(where)}`);
  return r;
}

async function setColumn(t: TestSigilo, table: string, id: string, column: string, value: unknown) {
  await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where id = ${id}`.execute(
    t.sigilo.store.db,
  );
}

/** A different value of the same kind: the other customer's where it differs, else an earlier date or an edit. */
type Plain = string | number | Buffer | null;
function tampered(column: string, value: Plain, theirs: Plain): Plain {
  // A keyed hash (unique): another of the same length, one bit off.
  if (Buffer.isBuffer(value)) return Buffer.from(value.map((b, i) => (i === 0 ? b ^ 1 : b)));
  if (theirs !== null && `${String(theirs)}` !== `${String(value)}`) return theirs;
  if (value === null) return /(_at|_on|_from|_to)$/.test(column) ? '2020-01-01T00:00:00.000Z' : 1;
  if (typeof value === 'number') return value + 1;
  const s = value;
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) return `${Number(s.slice(0, 4)) - 1}${s.slice(4)}`;
  return `${s}-x`;
}

/** Another view of the same table (views share contact_points and credentials by `kind`). */
function otherView(view: SealedTableName): SealedTableName | undefined {
  const spec = SEALED_TABLES[view];
  if (!('fixed' in spec)) return undefined;
  return (Object.keys(SEALED_TABLES) as SealedTableName[]).find(
    (v) => v !== view && v !== 'mfaSecrets' && SEALED_TABLES[v].table === spec.table,
  );
}
function fixedKind(view: SealedTableName): string {
  const spec = SEALED_TABLES[view];
  return 'fixed' in spec ? (spec.fixed as Record<string, string>).kind! : '';
}

describe.each(DIALECTS)('row MACs of the core tables on %s', (dialect) => {
  let t: TestSigilo;
  let a: Customer;
  let b: Customer;
  const targets: Target[] = [];

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    a = await seedCustomer(t.sigilo, MARIA);
    b = await seedCustomer(t.sigilo, JOAO);
    const { gate, services } = t.sigilo;
    for (const c of [a, b]) {
      await gate.run(portalCtx('provisioning', c.personId), (s) =>
        services.credentials.setPortalPassword(s, c.personId, PASSWORD),
      );
    }
    const rules = [
      await addRule(t.sigilo, 'accountcode', 'conta-maria', a.accountId),
      await addRule(t.sigilo, 'accountcode', 'conta-joao', b.accountId),
    ];
    const requests: string[] = [];
    const incidents: string[] = [];
    for (const ref of ['IP 1234/2026-DEIC', 'IP 5678/2026-DEIC']) {
      const r = await gate.run(ctx('legal', 'authority_order'), (s) =>
        services.authorityRequests.create(s, cdrOrder({ externalReference: ref })),
      );
      requests.push(r.id);
    }
    for (const knownAt of ['2026-11-24T15:00:00.000Z', '2026-11-25T09:30:00.000Z']) {
      const r = await gate.run(ctx('dpo', 'legal_obligation'), (s) =>
        services.incidents.record(s, {
          knownAt,
          occurredAt: '2026-11-23T03:10:00.000Z',
          description: 'Cópia do banco exposta.',
          categories: ['name'],
          affectedSubjects: 2,
        }),
      );
      incidents.push(r.id);
    }
    const support = () => ctx('support_agent', 'support');
    const contracting = () => ctx('support_agent', 'contracting');
    const byPerson = async (view: SealedTableName, column: string): Promise<[string, Row]> => {
      const spec = SEALED_TABLES[view];
      const fixed = 'fixed' in spec ? (spec.fixed as Record<string, string>) : {};
      const mine = await rowOf(t, spec.table, { ...fixed, [column]: a.personId });
      return [String(mine.id), await rowOf(t, spec.table, { ...fixed, [column]: b.personId })];
    };
    const add = (
      view: SealedTableName,
      [id, other]: [string, Row],
      read: () => AccessContext,
      write?: () => AccessContext,
    ) => void targets.push({ view, id, other, read, ...(write ? { write } : {}) });
    const byId = async (table: string, mine: string, theirs: string): Promise<[string, Row]> => [
      mine,
      await rowOf(t, table, { id: theirs }),
    ];
    const byParent = async (
      table: string,
      column: string,
      mine: string,
      theirs: string,
    ): Promise<[string, Row]> => [
      String((await rowOf(t, table, { [column]: mine })).id),
      await rowOf(t, table, { [column]: theirs }),
    ];
    add('accounts', await byId('accounts', a.accountId, b.accountId), contracting);
    add('people', await byId('people', a.personId, b.personId), support);
    add('phones', await byPerson('phones', 'person_id'), support);
    add('emails', await byPerson('emails', 'person_id'), support);
    add('ipAddresses', await byPerson('ipAddresses', 'person_id'), support);
    add('addresses', await byPerson('addresses', 'owner_id'), support);
    add('contracts', await byId('contracts', a.contractId, b.contractId), contracting);
    add(
      'contractEvents',
      await byParent('contract_events', 'contract_id', a.contractId, b.contractId),
      contracting,
    );
    add('invoices', await byId('invoices', a.invoiceId, b.invoiceId), () => ctx('billing', 'billing'));
    add('tickets', await byId('tickets', a.ticketId, b.ticketId), support);
    add('ticketMessages', await byParent('ticket_messages', 'ticket_id', a.ticketId, b.ticketId), support);
    add('provisioningSecrets', await byId('credentials', a.secretId, b.secretId), () =>
      ctx('provisioning', 'provisioning'),
    );
    add(
      'portalPasswords',
      await byPerson('portalPasswords', 'person_id'),
      () => portalCtx('provisioning', a.personId),
      () => ctx('provisioning', 'provisioning'),
    );
    add('attributionRules', await byId('attribution_rules', rules[0]!, rules[1]!), () =>
      ctx('provisioning', 'provisioning'),
    );
    add('authorityRequests', await byId('authority_requests', requests[0]!, requests[1]!), () =>
      ctx('legal', 'authority_order'),
    );
    add('securityIncidents', await byId('security_incidents', incidents[0]!, incidents[1]!), () =>
      ctx('dpo', 'legal_obligation'),
    );
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  const viewReader = (view: SealedTableName): (() => AccessContext) =>
    targets.find((x) => x.view === view)!.read;

  /** Runs `work` and expects INTEGRITY_ERROR naming `table`/`id`, logged for the request. */
  async function expectTampered(
    c: AccessContext,
    work: (s: GateSession) => Promise<unknown>,
    table: string,
    id: string,
  ): Promise<string[]> {
    const err: unknown = await t.sigilo.gate.run(c, work).then(
      () => null,
      (e: unknown) => e,
    );
    if (!isSigiloError(err, 'INTEGRITY_ERROR'))
      return [`answered ${isSigiloError(err) ? err.code : err instanceof Error ? err.message : 'success'}`];
    const problems: string[] = [];
    if (err.details.table !== table || err.details.rowId !== id) problems.push('does not name the row');
    const logged = await entriesFor(t.sigilo, c.requestId);
    if (!logged.some((e) => e.outcome === 'error' && (e.reason ?? '').startsWith('INTEGRITY_ERROR')))
      problems.push('not logged');
    return problems;
  }

  /** The four gated paths of a row, each expected to refuse it; problems by path. */
  async function attackPaths(target: Target, table: string): Promise<string[]> {
    const { view, id } = target;
    const problems: string[] = [];
    const read =
      view === 'portalPasswords'
        ? (s: GateSession) => s.verifySecret('portalPasswords', { id }, PASSWORD)
        : (s: GateSession) => s.find(view, { where: { id } });
    const paths: [string, () => AccessContext, (s: GateSession) => Promise<unknown>][] = [
      ['read', target.read, read],
      ['update', target.write ?? target.read, (s) => s.update(view, id, {})],
      ['delete', system, (s) => s.delete(view, { id })],
    ];
    // A sweep deletes the children first, in the same transaction (they hold foreign keys to the parent). Accounts
    // and people go with everything linked to them (the identity target) and an authority request is shredded,
    // never deleted by a sweep: their deletion is the plain `delete` above.
    const children: Partial<Record<SealedTableName, [SealedTableName, string][]>> = {
      contracts: [
        ['invoices', 'contract_id'],
        ['contractEvents', 'contract_id'],
      ],
      tickets: [['ticketMessages', 'ticket_id']],
    };
    if (!['accounts', 'people', 'authorityRequests'].includes(view)) {
      paths.push([
        'retention delete',
        system,
        async (s) => {
          for (const [child, column] of children[view] ?? []) await s.deleteWhereIn(child, column, [id]);
          return s.deleteWhereIn(view, 'id', [id]);
        },
      ]);
    }
    for (const [name, c, work] of paths) {
      for (const p of await expectTampered(c(), work, table, id)) problems.push(`${name}: ${p}`);
    }
    return problems;
  }

  it('every view of the specs with a row MAC is covered here', () => {
    const covered = new Set(targets.map((x) => x.view));
    const withMacs = (Object.keys(SEALED_TABLES) as SealedTableName[]).filter(
      (v) => ROW_MACS[SEALED_TABLES[v].table as keyof Database] && v !== 'mfaSecrets',
    );
    expect(withMacs.filter((v) => !covered.has(v))).toEqual([]);
  });

  it('an edit of any bound column is refused on read, update, delete and retention delete, naming the row', async () => {
    const missed: string[] = [];
    for (const target of targets) {
      const table = SEALED_TABLES[target.view].table;
      const original = await rowOf(t, table, { id: target.id });
      for (const column of ROW_MACS[table as keyof Database]!) {
        // A row moved into another view of its table (a phone turned e-mail) is attacked through that view.
        const moved = column === 'kind' ? otherView(target.view) : undefined;
        const value = moved
          ? fixedKind(moved)
          : tampered(column, original[column] as Plain, target.other[column] as Plain);
        await setColumn(t, table, target.id, column, value);
        const as = moved ? { ...target, view: moved, read: viewReader(moved) } : target;
        for (const p of await attackPaths(as, table)) missed.push(`${target.view}.${column} ${p}`);
        await setColumn(t, table, target.id, column, original[column]);
      }
      // Nothing was deleted or changed by the refused calls.
      expect(await rowOf(t, table, { id: target.id })).toEqual(original);
    }
    expect(missed).toEqual([]);
  }, 300_000);

  it('a NULL row MAC is refused like a wrong one, also after a restart', async () => {
    const missed: string[] = [];
    for (const target of targets) {
      const table = SEALED_TABLES[target.view].table;
      const mac = (await rowOf(t, table, { id: target.id })).row_mac;
      await setColumn(t, table, target.id, 'row_mac', null);
      for (const p of await attackPaths(target, table)) missed.push(`${target.view} ${p}`);
      await setColumn(t, table, target.id, 'row_mac', mac);
    }
    expect(missed).toEqual([]);
    await setColumn(t, 'people', a.personId, 'row_mac', null);
    const reopened = await t.reopen();
    await expectSigiloError(
      reopened.gate.run(ctx('support_agent', 'support'), (s) =>
        s.find('people', { where: { id: a.personId } }),
      ),
      'INTEGRITY_ERROR',
    );
    expect((await rowOf(t, 'people', { id: a.personId })).row_mac).toBeNull();
    const mac = (await rowOf(t, 'people', { id: b.personId })).row_mac;
    expect(Buffer.isBuffer(mac)).toBe(true);
  }, 300_000);

  it('deleting the row-MAC key makes the next start refuse, not re-MAC the edited rows', async () => {
    const db = t.sigilo.store.db;
    const key = await rowOf(t, 'key_material', { id: 'row-mac-1' });
    await sql`delete from key_material where id = 'row-mac-1'`.execute(db);
    try {
      const err = await expectSigiloError(t.reopen(), 'INTEGRITY_ERROR');
      expect(err.details.table).toBe('key_material');
      expect((await rowOf(t, 'people', { id: a.personId })).row_mac).toBeNull();
    } finally {
      await db
        .insertInto('key_material')
        .values(key as never)
        .execute();
    }
  });

  it('an import refuses the rules when one was moved to another account', async () => {
    const rule = targets.find((x) => x.view === 'attributionRules')!;
    const load = () =>
      t.sigilo.gate.run(ctx('network_platform', 'provisioning'), (s) =>
        t.sigilo.services.attributionRules.attributor(s),
      );
    await load();
    await setColumn(t, 'attribution_rules', rule.id, 'account_id', b.accountId);
    const err = await expectSigiloError(load(), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'attribution_rules', rowId: rule.id });
    await setColumn(t, 'attribution_rules', rule.id, 'account_id', a.accountId);
    await load();
  });

  it('changes made through the services keep working and stay checked', async () => {
    const { gate, services } = t.sigilo;
    // Another row's MAC does not fit this row: its table and id are in the MAC.
    await setColumn(
      t,
      'people',
      a.personId,
      'row_mac',
      (await rowOf(t, 'people', { id: b.personId })).row_mac,
    );
    await expectSigiloError(
      gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, a.personId)),
      'INTEGRITY_ERROR',
    );
    // A service's update of bound columns (status, end date) writes a new MAC that the next read accepts.
    await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.contracts.terminate(s, b.contractId, '2026-11-20'),
    );
    const contract = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.contracts.get(s, b.contractId),
    );
    expect(contract).toMatchObject({ status: 'terminated', endedOn: '2026-11-20' });
    await gate.run(ctx('support_agent', 'support'), (s) => services.tickets.resolve(s, b.ticketId));
    expect(
      (await gate.run(ctx('support_agent', 'support'), (s) => services.tickets.get(s, b.ticketId))).status,
    ).toBe('resolved');
    // A resolution date moved back so that a sweep takes the ticket early: the deletion is refused and undone.
    await setColumn(t, 'tickets', b.ticketId, 'resolved_at', '2020-01-01T00:00:00.000Z');
    await expectSigiloError(
      gate.run(system(), async (s) => {
        await s.deleteWhereIn('ticketMessages', 'ticket_id', [b.ticketId]);
        await s.deleteWhereIn('tickets', 'id', [b.ticketId]);
      }),
      'INTEGRITY_ERROR',
    );
    expect((await rowOf(t, 'ticket_messages', { ticket_id: b.ticketId })).id).toBeTruthy();
    expect((await rowOf(t, 'tickets', { id: b.ticketId })).id).toBe(b.ticketId);
  });
});
