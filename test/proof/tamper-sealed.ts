/**
 * Tampering with every sealed unit (issue 14 §2), derived from the sealed-table specs: for each table view and
 * sealed column of `SEALED_TABLES`, every telecom record segment, every wrapped data key and every signed
 * checkpoint, an attacker who can write the database (but holds no key) flips a random byte, swaps two units,
 * moves a unit to another owner (with and without its subject) and changes its period. Each read must answer
 * INTEGRITY_ERROR naming the unit, be written to the access log and be counted in /metrics; each checkpoint
 * attack must make verification name the checkpoint's entry.
 *
 * A sealed view added later is read by the reader the `READERS` table must give it (a missing one fails to
 * compile); a view that no service writes yet is named in `NOT_WRITTEN` and reported, never silently skipped.
 * Staff free text sealed outside the specs (legal holds and the histories of holds, authority requests and
 * subject requests: src/gate/staff-text.cipher.ts) is attacked the same way from `TEXT_UNITS`.
 */
import { sql } from 'kysely';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';
import { isSigiloError } from '../../src/errors.ts';
import { SEALED_TABLES, type SealedFieldSpec, type SealedTableName } from '../../src/gate/sealed-tables.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import type { TestApp } from '../support/http.ts';
import { ctx, portalCtx } from '../support/sigilo.ts';
import { generateCdrs } from '../support/synthetic/synthetic-cdr.ts';
import { JOAO, MARIA, seedCustomer, type Customer } from '../support/vault.ts';

type Row = Record<string, unknown>;

/** The attacks tried on every unit (those that make no sense for a unit are reported as not applicable). */
export const ATTACKS = [
  'flip-byte',
  'swap-units',
  'move-owner',
  'move-owner-and-subject',
  'change-period',
] as const;
export type Attack = (typeof ATTACKS)[number];

export interface TamperCase {
  /** `table.column` (or `table` for whole-row units) and the row. */
  unit: string;
  attack: Attack;
  detected: boolean;
  /** What was missing when not detected (or detected incompletely): status/code, unit named, logged, counted. */
  problems: string[];
}

export interface TamperReport {
  units: string[];
  cases: TamperCase[];
  /** Views of the specs that no service writes yet (nothing to tamper with). */
  notWritten: string[];
  notApplicable: number;
}

/**
 * Cases the suite runs but does not expect to be detected yet. Empty since row MACs (src/gate/row-mac.ts) bind the
 * owner and date columns of the core rows; each entry would be an `it.fails` in the test, and the test fails if an
 * entry stops being a case the suite runs.
 */
export const KNOWN_GAPS: ReadonlySet<string> = new Set<string>([]);

/** Views whose rows no service or route writes today: reported, never silently skipped. */
export const NOT_WRITTEN: readonly SealedTableName[] = ['mfaSecrets'];

interface World {
  customers: [Customer, Customer];
  portalPasswords: boolean;
  authorityRequests: string[];
  /** One legal hold per customer account (released, so every text column is written). */
  holds: string[];
  /** One subject request per customer person. */
  subjectRequests: string[];
}

type HttpRead = { method: 'GET' | 'POST'; url: string; role: string; purpose: string };

/** How a view is read back, which plain columns name its owner, and which one its period. */
interface Reader {
  /** The request that opens `row`'s `column` (over HTTP, so /metrics sees it). */
  http?: (row: Row, column: string) => HttpRead;
  /** Through the gate, where no route opens the value (a portal password is only ever verified). */
  gate?: (t: TestApp, row: Row) => Promise<{ requestId: string; run: Promise<unknown> }>;
  /** The owner columns of a row, set to `other`'s to move it there. */
  owner?: (other: Customer) => Record<string, string>;
  period?: string;
}

const ALL_TIME = 'from=2000-01-01T00:00:00.000Z&to=2100-01-01T00:00:00.000Z';

const person = (column: string): Reader => ({
  http: (row) => ({
    method: 'GET',
    url: `/v1/people/${String(row[column])}`,
    role: 'support_agent',
    purpose: 'support',
  }),
  owner: (o) => ({ [column]: o.personId }),
});

/** One reader per sealed view: `satisfies` makes a view added to the specs fail here until it gets one. */
const READERS = {
  accounts: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/accounts/${String(row.id)}`,
      role: 'support_agent',
      purpose: 'contracting',
    }),
  },
  people: { http: person('id').http },
  phones: person('person_id'),
  emails: person('person_id'),
  ipAddresses: person('person_id'),
  addresses: person('owner_id'),
  contracts: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/contracts/${String(row.id)}`,
      role: 'support_agent',
      purpose: 'contracting',
    }),
    owner: (o) => ({ account_id: o.accountId }),
    period: 'started_on',
  },
  contractEvents: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/contracts/${String(row.contract_id)}/history`,
      role: 'support_agent',
      purpose: 'contracting',
    }),
    owner: (o) => ({ contract_id: o.contractId }),
    period: 'occurred_at',
  },
  invoices: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/accounts/${String(row.account_id)}/invoices`,
      role: 'billing',
      purpose: 'billing',
    }),
    owner: (o) => ({ account_id: o.accountId, contract_id: o.contractId }),
    period: 'issued_on',
  },
  tickets: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/tickets/${String(row.id)}`,
      role: 'support_agent',
      purpose: 'support',
    }),
    owner: (o) => ({ account_id: o.accountId, person_id: o.personId }),
    period: 'opened_at',
  },
  ticketMessages: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/tickets/${String(row.ticket_id)}`,
      role: 'support_agent',
      purpose: 'support',
    }),
    owner: (o) => ({ ticket_id: o.ticketId }),
    period: 'sent_at',
  },
  portalPasswords: {
    gate: async (t, row) => {
      const c = portalCtx('provisioning', String(row.person_id));
      return {
        requestId: c.requestId,
        run: t.sigilo.gate.run(c, (s) =>
          t.sigilo.services.credentials.verifyPortalPassword(s, String(row.person_id), PORTAL_PASSWORD),
        ),
      };
    },
    owner: (o) => ({ person_id: o.personId }),
  },
  mfaSecrets: {},
  attributionRules: {
    http: () => ({
      method: 'GET',
      url: '/v1/attribution-rules',
      role: 'provisioning',
      purpose: 'provisioning',
    }),
    owner: (o) => ({ account_id: o.accountId }),
  },
  securityIncidents: {
    http: (row) => ({
      method: 'GET',
      url: `/v1/incidents/${String(row.id)}`,
      role: 'dpo',
      purpose: 'legal_obligation',
    }),
    period: 'known_at',
  },
  provisioningSecrets: {
    http: (row) => ({
      method: 'POST',
      url: `/v1/credentials/${String(row.id)}/reveal`,
      role: 'provisioning',
      purpose: 'provisioning',
    }),
    owner: (o) => ({ person_id: o.personId }),
  },
  authorityRequests: {
    http: (row, column) => ({
      method: 'GET',
      url: `/v1/authority-requests/${String(row.id)}${column === 'targets_ct' ? '/targets' : ''}`,
      role: 'legal',
      purpose: 'authority_order',
    }),
  },
} as const satisfies Record<SealedTableName, Reader>;

const PORTAL_PASSWORD = 'senha-do-portal-de-teste-9';

/** A small deterministic generator (the byte to flip), so a failing case replays with the same seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function* outcomes(cdrs: ParsedCdr[]): AsyncGenerator<ParseOutcome> {
  for (const record of cdrs) yield { ok: true, record };
}

/** Two full customers, portal passwords, two authority requests, CDRs of both accounts, signed checkpoints. */
export async function seedTamperWorld(t: TestApp, options: { cdrs: number }): Promise<World> {
  const customers: [Customer, Customer] = [
    await seedCustomer(t.sigilo, MARIA),
    await seedCustomer(t.sigilo, JOAO),
  ];
  const { gate, services } = t.sigilo;
  for (const c of customers) {
    await gate.run(portalCtx('provisioning', c.personId), (s) =>
      services.credentials.setPortalPassword(s, c.personId, PORTAL_PASSWORD),
    );
    await services.telecomIngest.ingestCdrs(
      ctx('network_platform', 'provisioning'),
      outcomes([...generateCdrs({ count: options.cdrs, seed: c === customers[0] ? 41 : 42 })]),
      { accountId: c.accountId },
    );
  }
  const authorityRequests: string[] = [];
  for (const ref of ['IP 1234/2026-DEIC', 'IP 5678/2026-DEIC']) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: await t.headers('legal', 'authority_order'),
      payload: cdrOrder({ externalReference: ref }),
    });
    if (res.statusCode !== 201) throw new Error(`authority request not created: ${res.statusCode}`);
    authorityRequests.push(res.json<{ id: string }>().id);
    // A signed checkpoint between pieces of work, so the checkpoints are units too.
    await t.sigilo.store.transaction((tx) => t.sigilo.accessLog.writer.checkpoint(tx));
  }
  // An attribution rule per account, and two register entries (each its own subject).
  for (const [i, c] of customers.entries()) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/attribution-rules',
      headers: await t.headers('provisioning', 'provisioning'),
      payload: { kind: 'username', pattern: `ramal.tamper${i}`, accountId: c.accountId },
    });
    if (res.statusCode !== 201) throw new Error(`attribution rule not created: ${res.statusCode}`);
    await gate.run(ctx('dpo', 'legal_obligation'), (s) =>
      services.incidents.record(s, {
        knownAt: `2026-11-2${i}T15:00:00.000Z`,
        occurredAt: null,
        description: `Incidente de teste ${i}: planilha exposta.`,
        categories: ['name'],
        affectedSubjects: 2,
        measures: 'Acesso revogado.',
        risks: 'Phishing.',
        delayReason: 'Apuração em curso.',
      }),
    );
  }
  // Staff free text: a released hold per account, a subject request per person.
  const holds: string[] = [];
  const subjectRequests: string[] = [];
  const legal = await t.headers('legal', 'legal_obligation');
  for (const [i, c] of customers.entries()) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: legal,
      payload: {
        kind: 'preservation',
        scope: { kind: 'account', id: c.accountId },
        categories: ['call_record'],
        window: { from: '2026-11-01', to: '2026-11-30' },
        reason: `Preservação de teste ${i}`,
        authorityRequestRef: `Ofício ${i}/2026`,
        courtRequestRef: `Processo ${i}/2026`,
      },
    });
    if (res.statusCode !== 201) throw new Error(`hold not created: ${res.statusCode} ${res.body}`);
    const id = res.json<{ id: string }>().id;
    const released = await t.app.inject({
      method: 'POST',
      url: `/v1/holds/${id}/release`,
      headers: legal,
      payload: { reason: `Encerrada ${i}` },
    });
    if (released.statusCode !== 200) throw new Error(`hold not released: ${released.statusCode}`);
    holds.push(id);
    const request = await gate.run(ctx('dpo', 'subject_request'), (s) =>
      services.subjectRequests.create(s, {
        subjectId: c.personId,
        type: 'access_complete',
        channel: 'email',
      }),
    );
    subjectRequests.push(request.id);
  }
  return { customers, portalPasswords: true, authorityRequests, holds, subjectRequests };
}

/** A sealed staff-text column outside the specs, how it is read, and what moves a row to another owner. */
interface TextUnit {
  table: string;
  columns: string[];
  reader: Reader;
  /** Plain columns that move `row` to the other customer's owner (the other row of the table). */
  moveOwner: (row: Row, other: Row) => Row;
  /** Also its subject (or scope kind); undefined when the table names no subject. */
  moveOwnerAndSubject?: (row: Row, other: Row, w: World) => Row;
  period: string;
}

const TEXT_UNITS: TextUnit[] = [
  {
    table: 'legal_holds',
    columns: ['reason_ct', 'release_reason_ct', 'authority_request_ref_ct', 'court_request_ref_ct'],
    reader: {
      http: (row) => ({
        method: 'GET',
        url: `/v1/holds/${String(row.id)}`,
        role: 'legal',
        purpose: 'legal_obligation',
      }),
    },
    moveOwner: (_row, other) => ({ scope_id: other.scope_id }),
    moveOwnerAndSubject: (_row, other, w) => ({
      scope_kind: 'person',
      scope_id: w.customers.find((c) => c.accountId === other.scope_id)!.personId,
    }),
    period: 'requested_at',
  },
  {
    table: 'legal_hold_events',
    columns: ['details_ct'],
    reader: {
      http: (row) => ({
        method: 'GET',
        url: `/v1/holds/${String(row.hold_id)}`,
        role: 'legal',
        purpose: 'legal_obligation',
      }),
    },
    // A free position first: an event's (parent, seq) is unique, so a move needs one (columns are set in order).
    moveOwner: (_row, other) => ({ seq: 1000, hold_id: other.hold_id }),
    period: 'at',
  },
  {
    table: 'authority_request_events',
    columns: ['details_ct'],
    reader: {
      http: (row) => ({
        method: 'GET',
        url: `/v1/authority-requests/${String(row.request_id)}`,
        role: 'legal',
        purpose: 'authority_order',
      }),
    },
    moveOwner: (_row, other) => ({ seq: 1000, request_id: other.request_id }),
    period: 'at',
  },
  {
    table: 'subject_request_events',
    columns: ['details_ct'],
    reader: {
      http: (row) => ({
        method: 'GET',
        url: `/v1/subject-requests/${String(row.request_id)}`,
        role: 'dpo',
        purpose: 'subject_request',
      }),
    },
    moveOwner: (_row, other) => ({ seq: 1000, request_id: other.request_id }),
    period: 'at',
  },
];

/** Staff free text sealed outside the specs: the five attacks on each column (one row per table). */
async function tamperStaffText(
  t: TestApp,
  w: World,
  rnd: () => number,
  report: TamperReport,
  record: (unit: string, attack: Attack, problems: string[]) => void,
): Promise<void> {
  for (const u of TEXT_UNITS) {
    const rows = await rowsOf(t, u.table);
    for (const column of u.columns) {
      const sealed = rows.filter((r) => Buffer.isBuffer(r[column]));
      const row = sealed[0];
      if (!row) {
        report.notWritten.push(`${u.table}.${column}`);
        continue;
      }
      const id = String(row.id);
      const unit = `${u.table}.${column}`;
      report.units.push(`${unit}#${id}`);
      const restore = (): Promise<void> => setColumns(t, u.table, id, row);
      const fresh = (): Promise<Row> => rowById(t, u.table, id);
      // The other row: another owner's (another hold, request) where there is one.
      const owner = (r: Row): unknown => r.scope_id ?? r.hold_id ?? r.request_id;
      const other = sealed.find((r) => r.id !== row.id && owner(r) !== owner(row));

      await setColumns(t, u.table, id, { [column]: flip(row[column] as Buffer, rnd) });
      record(unit, 'flip-byte', await judge(t, u.reader, u.table, await fresh(), column));
      await restore();
      if (!other) {
        report.notApplicable += 3;
      } else {
        await setColumns(t, u.table, id, { [column]: other[column] });
        await setColumns(t, u.table, String(other.id), { [column]: row[column] });
        record(unit, 'swap-units', await judge(t, u.reader, u.table, await fresh(), column));
        await restore();
        await setColumns(t, u.table, String(other.id), other);

        await setColumns(t, u.table, id, u.moveOwner(row, other));
        record(unit, 'move-owner', await judge(t, u.reader, u.table, await fresh(), column));
        await restore();
        if (u.moveOwnerAndSubject) {
          await setColumns(t, u.table, id, u.moveOwnerAndSubject(row, other, w));
          record(unit, 'move-owner-and-subject', await judge(t, u.reader, u.table, await fresh(), column));
          await restore();
        } else report.notApplicable++;
      }
      await setColumns(t, u.table, id, { [u.period]: earlier(row[u.period]) });
      record(unit, 'change-period', await judge(t, u.reader, u.table, await fresh(), column));
      await restore();
    }
  }
}

async function rowsOf(t: TestApp, table: string, fixed?: Record<string, string>): Promise<Row[]> {
  let q = sql<Row>`select * from ${sql.table(table)}`;
  if (fixed) {
    const [k, v] = Object.entries(fixed)[0]!;
    q = sql<Row>`select * from ${sql.table(table)} where ${sql.ref(k)} = ${v}`;
  }
  return (await q.execute(t.sigilo.store.db)).rows.sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
}

async function rowById(t: TestApp, table: string, id: string): Promise<Row> {
  const r = (await sql<Row>`select * from ${sql.table(table)} where id = ${id}`.execute(t.sigilo.store.db))
    .rows[0];
  if (!r) throw new Error(`no row ${id} in ${table}`);
  return r;
}

async function setColumns(t: TestApp, table: string, id: string, values: Row): Promise<void> {
  for (const [column, value] of Object.entries(values)) {
    await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where id = ${id}`.execute(
      t.sigilo.store.db,
    );
  }
}

async function integrityCount(t: TestApp): Promise<number> {
  const res = await t.app.inject({ url: '/metrics' });
  const m = /^sigilo_errors_total\{code="INTEGRITY_ERROR"\} (\d+)/m.exec(res.body);
  return m ? Number(m[1]) : 0;
}

async function loggedError(t: TestApp, requestId: string): Promise<boolean> {
  const rows = await t.sigilo.store.db
    .selectFrom('access_log')
    .select(['outcome', 'reason'])
    .where('request_id', '=', requestId)
    .execute();
  return rows.some((r) => r.outcome === 'error' && (r.reason ?? '').startsWith('INTEGRITY_ERROR'));
}

function flip(bytes: Buffer, rnd: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const i = Math.floor(rnd() * copy.length);
  copy[i] = copy[i]! ^ (1 + Math.floor(rnd() * 255));
  return copy;
}

function otherCustomer(w: World, subjectId: string): Customer {
  const [a, b] = w.customers;
  const mine = [a.accountId, a.personId].includes(subjectId) ? a : b;
  return mine === a ? b : a;
}

/** A date or timestamp moved a year back, kept in its own format. */
function earlier(value: unknown): string {
  const s = String(value);
  const year = Number(s.slice(0, 4));
  return `${year - 1}${s.slice(4)}`;
}

/** Runs one read and judges it: INTEGRITY_ERROR naming `table`/`rowId`, logged, counted (over HTTP). */
async function judge(t: TestApp, reader: Reader, table: string, row: Row, column: string): Promise<string[]> {
  const problems: string[] = [];
  if (reader.http) {
    const r = reader.http(row, column);
    const before = await integrityCount(t);
    const res = await t.app.inject({
      method: r.method,
      url: r.url,
      headers: await t.headers(r.role, r.purpose),
    });
    const body = res.json<{ error?: { code?: string; details?: Record<string, unknown> } }>();
    if (res.statusCode !== 500 || body.error?.code !== 'INTEGRITY_ERROR') {
      problems.push(`answered ${res.statusCode} ${body.error?.code ?? ''}`.trim());
      return problems;
    }
    const d = body.error.details ?? {};
    if (d.table !== table || d.rowId !== row.id) problems.push('error does not name the unit');
    if (!(await loggedError(t, String(res.headers['x-request-id'])))) problems.push('not in the access log');
    if ((await integrityCount(t)) <= before) problems.push('not counted in /metrics');
    return problems;
  }
  const { requestId, run } = await reader.gate!(t, row);
  const err: unknown = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isSigiloError(err, 'INTEGRITY_ERROR')) {
    problems.push(`answered ${isSigiloError(err) ? err.code : 'success'}`);
    return problems;
  }
  if (err.details.table !== table || err.details.rowId !== row.id)
    problems.push('error does not name the unit');
  if (!(await loggedError(t, requestId))) problems.push('not in the access log');
  return problems;
}

/** Every attack on every sealed unit the world holds; each row is restored before the next attack. */
export async function runTamperSuite(
  t: TestApp,
  w: World,
  options: { seed: number; rowsPerView: number },
): Promise<TamperReport> {
  const rnd = prng(options.seed);
  const report: TamperReport = { units: [], cases: [], notWritten: [], notApplicable: 0 };
  const record = (unit: string, attack: Attack, problems: string[]): void =>
    void report.cases.push({ unit, attack, detected: problems.length === 0, problems });

  for (const [name, spec] of Object.entries(SEALED_TABLES) as [
    SealedTableName,
    (typeof SEALED_TABLES)[SealedTableName],
  ][]) {
    const reader: Reader = READERS[name];
    const rows = await rowsOf(t, spec.table, 'fixed' in spec ? spec.fixed : undefined);
    if (rows.length === 0 || (!reader.http && !reader.gate)) {
      report.notWritten.push(name);
      continue;
    }
    for (const field of Object.values(spec.fields) as SealedFieldSpec[]) {
      const column = field.column;
      const sealed = rows.filter((r) => Buffer.isBuffer(r[column]));
      for (const row of sealed.slice(0, options.rowsPerView)) {
        const id = String(row.id);
        const unit = `${spec.table}.${column}[${name}]`;
        report.units.push(`${unit}#${id}`);
        const restore = (): Promise<void> => setColumns(t, spec.table, id, row);
        const fresh = (): Promise<Row> => rowById(t, spec.table, id);

        await setColumns(t, spec.table, id, { [column]: flip(row[column] as Buffer, rnd) });
        record(unit, 'flip-byte', await judge(t, reader, spec.table, await fresh(), column));
        await restore();

        // The other row of the view: another subject's where there is one.
        const other =
          sealed.find((r) => r.id !== row.id && r.subject_id !== row.subject_id) ??
          sealed.find((r) => r.id !== row.id);
        if (other) {
          await setColumns(t, spec.table, id, { [column]: other[column] });
          await setColumns(t, spec.table, String(other.id), { [column]: row[column] });
          record(unit, 'swap-units', await judge(t, reader, spec.table, await fresh(), column));
          await restore();
          await setColumns(t, spec.table, String(other.id), other);
        } else report.notApplicable++;

        const to = otherCustomer(w, String(row.subject_id));
        if (reader.owner) {
          await setColumns(t, spec.table, id, reader.owner(to));
          record(unit, 'move-owner', await judge(t, reader, spec.table, await fresh(), column));
          await restore();
        } else report.notApplicable++;

        const toSubject =
          String(row.subject_id) === w.customers[0].personId ||
          String(row.subject_id) === w.customers[1].personId
            ? to.personId
            : to.accountId;
        await setColumns(t, spec.table, id, { ...reader.owner?.(to), subject_id: toSubject });
        record(unit, 'move-owner-and-subject', await judge(t, reader, spec.table, await fresh(), column));
        await restore();

        if (reader.period) {
          await setColumns(t, spec.table, id, { [reader.period]: earlier(row[reader.period]) });
          record(unit, 'change-period', await judge(t, reader, spec.table, await fresh(), column));
          await restore();
        } else report.notApplicable++;
      }
    }
  }

  await tamperSegments(t, w, rnd, options.rowsPerView, report, record);
  await tamperStaffText(t, w, rnd, report, record);
  await tamperWrappedKeys(t, w, rnd, report, record);
  await tamperCheckpoints(t, rnd, report, record);
  return report;
}

/** Telecom record segments: the sealed payload, the owner, the day. */
async function tamperSegments(
  t: TestApp,
  w: World,
  rnd: () => number,
  perAccount: number,
  report: TamperReport,
  record: (unit: string, attack: Attack, problems: string[]) => void,
): Promise<void> {
  const reader: Reader = {
    http: (row) => ({
      method: 'GET',
      url: `/v1/accounts/${String(row.account_id)}/records/${String(row.kind)}?${ALL_TIME}&limit=1000`,
      role: 'support_agent',
      purpose: 'support',
    }),
  };
  const all = await rowsOf(t, 'telecom_segments');
  const picked = w.customers.flatMap((c) =>
    all.filter((r) => r.account_id === c.accountId).slice(0, perAccount),
  );
  for (const row of picked) {
    const id = String(row.id);
    const unit = `telecom_segments.payload_ct[${String(row.kind)}]`;
    report.units.push(`${unit}#${id}`);
    const restore = (): Promise<void> => setColumns(t, 'telecom_segments', id, row);
    const fresh = (): Promise<Row> => rowById(t, 'telecom_segments', id);
    const to = otherCustomer(w, String(row.subject_id));
    const other = all.find((r) => r.account_id === to.accountId && r.kind === row.kind);

    await setColumns(t, 'telecom_segments', id, { payload_ct: flip(row.payload_ct as Buffer, rnd) });
    record(unit, 'flip-byte', await judge(t, reader, 'telecom_segments', await fresh(), 'payload_ct'));
    await restore();
    if (other) {
      await setColumns(t, 'telecom_segments', id, { payload_ct: other.payload_ct });
      await setColumns(t, 'telecom_segments', String(other.id), { payload_ct: row.payload_ct });
      record(unit, 'swap-units', await judge(t, reader, 'telecom_segments', await fresh(), 'payload_ct'));
      await restore();
      await setColumns(t, 'telecom_segments', String(other.id), other);
    } else report.notApplicable++;
    await setColumns(t, 'telecom_segments', id, { account_id: to.accountId });
    record(unit, 'move-owner', await judge(t, reader, 'telecom_segments', await fresh(), 'payload_ct'));
    await restore();
    await setColumns(t, 'telecom_segments', id, { account_id: to.accountId, subject_id: to.accountId });
    record(
      unit,
      'move-owner-and-subject',
      await judge(t, reader, 'telecom_segments', await fresh(), 'payload_ct'),
    );
    await restore();
    await setColumns(t, 'telecom_segments', id, { day: earlier(row.day) });
    record(unit, 'change-period', await judge(t, reader, 'telecom_segments', await fresh(), 'payload_ct'));
    await restore();
  }
}

/** Wrapped data keys: a flipped byte, two subjects' keys swapped; the subject's next read must fail. */
async function tamperWrappedKeys(
  t: TestApp,
  w: World,
  rnd: () => number,
  report: TamperReport,
  record: (unit: string, attack: Attack, problems: string[]) => void,
): Promise<void> {
  const db = t.sigilo.store.db;
  const keyOf = async (subject: string): Promise<Row> =>
    (await sql<Row>`select * from data_keys where subject_id = ${subject} order by version desc`.execute(db))
      .rows[0]!;
  const put = (subject: string, version: unknown, wrapped: unknown): Promise<unknown> =>
    sql`update data_keys set wrapped = ${wrapped} where subject_id = ${subject} and version = ${version}`.execute(
      db,
    );
  const [a, b] = w.customers;
  const read = (personId: string): HttpRead => ({
    method: 'GET',
    url: `/v1/people/${personId}`,
    role: 'support_agent',
    purpose: 'support',
  });
  const mine = await keyOf(a.personId);
  const theirs = await keyOf(b.personId);
  const unit = 'data_keys.wrapped';
  report.units.push(`${unit}#${a.personId}`);
  const judgeKey = async (): Promise<string[]> => {
    const r = read(a.personId);
    const before = await integrityCount(t);
    const res = await t.app.inject({
      method: 'GET',
      url: r.url,
      headers: await t.headers(r.role, r.purpose),
    });
    const code = res.json<{ error?: { code?: string; details?: Record<string, unknown> } }>().error;
    if (res.statusCode !== 500 || code?.code !== 'INTEGRITY_ERROR')
      return [`answered ${res.statusCode} ${code?.code ?? ''}`.trim()];
    const problems: string[] = [];
    if (!(await loggedError(t, String(res.headers['x-request-id'])))) problems.push('not in the access log');
    if ((await integrityCount(t)) <= before) problems.push('not counted in /metrics');
    return problems;
  };
  await put(a.personId, mine.version, flip(mine.wrapped as Buffer, rnd));
  record(unit, 'flip-byte', await judgeKey());
  await put(a.personId, mine.version, mine.wrapped);
  await put(a.personId, mine.version, theirs.wrapped);
  record(unit, 'swap-units', await judgeKey());
  await put(a.personId, mine.version, mine.wrapped);
  report.notApplicable += 3;
}

/** Signed checkpoints: verification must name the checkpoint's entry for each attack. */
async function tamperCheckpoints(
  t: TestApp,
  rnd: () => number,
  report: TamperReport,
  record: (unit: string, attack: Attack, problems: string[]) => void,
): Promise<void> {
  const db = t.sigilo.store.db;
  const cps = (await sql<Row>`select * from access_log_checkpoints where seq > 0 order by seq`.execute(db))
    .rows;
  const verify = async (expectSeq: number): Promise<string[]> => {
    const res = await t.app.inject({
      url: '/v1/audit/verify',
      headers: await t.headers('auditor', 'legal_obligation'),
    });
    if (res.statusCode !== 200) return [`verify answered ${res.statusCode}`];
    const r = res.json<{ ok: boolean; firstBroken: { seq: number } | null }>();
    if (r.ok) return ['verification passed'];
    return r.firstBroken?.seq === expectSeq
      ? []
      : [`verification named seq ${r.firstBroken?.seq}, not ${expectSeq}`];
  };
  const set = (seq: unknown, values: Row): Promise<unknown> =>
    Promise.all(
      Object.entries(values).map(([c, v]) =>
        sql`update access_log_checkpoints set ${sql.ref(c)} = ${v as Buffer} where seq = ${seq as number}`.execute(
          db,
        ),
      ),
    );
  for (const [i, cp] of cps.entries()) {
    const unit = `access_log_checkpoints.signature`;
    report.units.push(`${unit}#${String(cp.seq)}`);
    await set(cp.seq, { signature: flip(cp.signature as Buffer, rnd) });
    record(unit, 'flip-byte', await verify(Number(cp.seq)));
    await set(cp.seq, { signature: cp.signature });
    await set(cp.seq, { hash: flip(cp.hash as Buffer, rnd) });
    record('access_log_checkpoints.hash', 'flip-byte', await verify(Number(cp.seq)));
    await set(cp.seq, { hash: cp.hash });
    const other = cps[(i + 1) % cps.length];
    if (other && other !== cp) {
      await set(cp.seq, { signature: other.signature, hash: other.hash });
      record(unit, 'swap-units', await verify(Number(cp.seq)));
      await set(cp.seq, { signature: cp.signature, hash: cp.hash });
    } else report.notApplicable++;
    report.notApplicable += 3;
  }
}
