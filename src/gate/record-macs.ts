/* eslint-disable @typescript-eslint/no-explicit-any -- the MACed tables are addressed by name from RECORD_MACS,
   so heads and histories use Kysely's dynamic (untyped) view of them. */
/**
 * Record MACs (issue 13, the last trust gaps): the rows that are not sealed personal data but decide what is kept
 * and for whom — a legal hold (what it keeps and until when), a subject request (whose it is, what it asks, when
 * it is due), an account link (which person belongs to which account, and how) — and the histories of holds,
 * authority requests and subject requests. Each row's `row_mac` is a keyed BLAKE3 over the table, the row's key
 * and every column listed in RECORD_MACS, under a key derived from the record-MAC root (`Keyring.recordMacHasher`,
 * key_material 'row-mac-2'); whoever writes the row legitimately recomputes it, every read that decides checks it.
 *
 * A MAC per row cannot tell that a row is gone. `record_heads` holds keyed heads over sets of rows: the holds not
 * released (`legal_holds`) and each history (`legal_hold_events:<hold id>` …), a MAC over the name, the count and
 * the members' MACs in order. A deleted, inserted, duplicated, reordered or rolled-back member breaks the head; a
 * history event's MAC binds its position (`seq`), so the order is part of what the head covers.
 * Once the record-MAC key exists every such row has a MAC (src/gate/record-mac-backfill.ts): NULL is a mismatch.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { KEYED_HASH_BYTES, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { SigiloError } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Db, KernelDb, KernelTx, StoreDialect, Tx } from '../store/store.ts';
import { canonicalMacValue } from './row-mac.ts';

interface RecordMacSpec {
  /** The columns that name the row (its primary key). */
  key: readonly string[];
  /** The columns the MAC covers, in this order (append only together with a migration that re-MACs). */
  columns: readonly string[];
}

/**
 * The MACed records and their bound columns. A hold and a subject request bind every plain column (each decides
 * something: scope, window, end, release, state, due date, what was asked and answered); the sealed text beside
 * them is bound to the row by its associated data already.
 */
export const RECORD_MACS = {
  legal_holds: {
    key: ['id'],
    columns: [
      'kind',
      'scope_kind',
      'scope_id',
      'categories',
      'window_from',
      'window_to',
      'requested_at',
      'expires_at',
      'created_at',
      'created_by',
      'updated_at',
      'released_at',
      'released_by',
    ],
  },
  subject_requests: {
    key: ['id'],
    columns: [
      'subject_id',
      'type',
      'state',
      'channel',
      'received_at',
      'due_at',
      'original_due_at',
      'extension_reason',
      'extended_at',
      'params',
      'verification_method',
      'verification_evidence',
      'verified_at',
      'verified_by',
      'representative_kind',
      'representative_person_id',
      'representative_proof',
      'refusal_reason',
      'answered_at',
      'answer',
      'created_by',
      'created_at',
      'updated_at',
    ],
  },
  account_people: { key: ['account_id', 'person_id'], columns: ['relation', 'created_at'] },
  legal_hold_events: { key: ['id'], columns: ['hold_id', 'seq', 'kind', 'at', 'actor'] },
  authority_request_events: { key: ['id'], columns: ['request_id', 'seq', 'kind', 'at', 'actor'] },
  subject_request_events: { key: ['id'], columns: ['request_id', 'seq', 'kind', 'at', 'actor', 'role'] },
} as const satisfies Record<string, RecordMacSpec>;
export type RecordTable = keyof typeof RECORD_MACS;

/** The history tables and the column naming each event's parent. */
export const HISTORIES = {
  legal_hold_events: 'hold_id',
  authority_request_events: 'request_id',
  subject_request_events: 'request_id',
} as const;
export type HistoryTable = keyof typeof HISTORIES;

/** The name of the head of the subject requests in an open state (src/subject-requests/sealing). */
export const OPEN_REQUESTS_HEAD = 'subject_requests:open';

/** The name of the head of the holds not released. */
export const HOLDS_HEAD = 'legal_holds';

/**
 * The name of the head of one person's links (side `person`, members in account order) or one account's (side
 * `account`, members in person order): every person and account has one from its creation, so a link deleted
 * outright — or all of them, with the head — is a mismatch, not "not linked".
 */
export function linksHead(side: 'person' | 'account', id: string): string {
  return `account_people:${side}:${id}`;
}

/** The name of the head of one history. */
export function historyHead(table: HistoryTable, parentId: string): string {
  return `${table}:${parentId}`;
}

/** The columns to select to check a record's MAC: its key, the bound columns and the MAC. */
export function recordMacSelection(table: RecordTable): string[] {
  const spec: RecordMacSpec = RECORD_MACS[table];
  return [...spec.key, ...spec.columns, 'row_mac'];
}

/** How a record is named in an INTEGRITY_ERROR: its id, or its key columns joined with `/`. */
export function recordIdOf(table: RecordTable, row: Readonly<Record<string, unknown>>): string {
  return RECORD_MACS[table].key.map((c) => String(row[c])).join('/');
}

/** The MAC of `row` (as it is or will be stored) in `table`. */
export function sealRecordMac(
  h: KeyedHasher,
  table: RecordTable,
  row: Readonly<Record<string, unknown>>,
): Buffer {
  const spec: RecordMacSpec = RECORD_MACS[table];
  return h.hash(
    JSON.stringify([
      'sigilo/record-mac/v1',
      table,
      ...spec.key.map((c) => canonicalMacValue(row[c])),
      ...spec.columns.map((c) => canonicalMacValue(row[c])),
    ]),
  );
}

function sameMac(expected: Buffer, stored: unknown): boolean {
  return Buffer.isBuffer(stored) && stored.length === KEYED_HASH_BYTES && timingSafeEqual(expected, stored);
}

/** The head MAC over `name`, the member count and the members' MACs in order. */
function headMac(h: KeyedHasher, name: string, macs: readonly Buffer[]): Buffer {
  return h.hash(
    JSON.stringify(['sigilo/record-head/v1', name, macs.length, ...macs.map((m) => m.toString('base64'))]),
  );
}

/** INTEGRITY_ERROR naming a record (or head) that does not verify. */
export function recordTampered(table: string, rowId: string, why: string): SigiloError {
  return new SigiloError('INTEGRITY_ERROR', `${table} ${rowId} does not verify: ${why}`, { table, rowId });
}

/** Any transaction or connection, plain or sealed view (heads and MACs are plain columns). */
type AnyDb = Tx | Db | KernelTx | KernelDb;

/** Seals and checks record MACs and heads with the record-MAC key of a key ring. */
export class RecordMacs {
  constructor(private readonly keys: Pick<Keyring, 'recordMacHasher'>) {}

  private hasher(): Promise<KeyedHasher> {
    return this.keys.recordMacHasher();
  }

  /** The MAC to store with `row`. */
  async seal(table: RecordTable, row: object): Promise<Buffer> {
    return sealRecordMac(await this.hasher(), table, row as Readonly<Record<string, unknown>>);
  }

  /** INTEGRITY_ERROR naming the first of `rows` (each with its `row_mac`) whose MAC does not match. */
  async check(table: RecordTable, rows: readonly Readonly<Record<string, unknown>>[]): Promise<void> {
    if (rows.length === 0) return;
    const h = await this.hasher();
    for (const r of rows) {
      if (!sameMac(sealRecordMac(h, table, r), r.row_mac)) {
        throw recordTampered(table, recordIdOf(table, r), r.row_mac == null ? 'no MAC' : 'MAC mismatch');
      }
    }
  }

  /**
   * Locks head `name` for the rest of the transaction (PostgreSQL; SQLite's `begin immediate` already serialises
   * writers), so that two changes of one set never compute its head from each other's stale view.
   */
  async lockHead(db: AnyDb, dialect: StoreDialect, name: string): Promise<void> {
    if (dialect !== 'postgres') return;
    await (db as unknown as Kysely<any>)
      .selectFrom('record_heads')
      .select('name')
      .where('name', '=', name)
      .forUpdate()
      .execute();
  }

  /** Writes head `name` over the members' MACs (in the order the readers check them). */
  async writeHead(db: AnyDb, name: string, macs: readonly Buffer[], at: string): Promise<void> {
    const row_mac = headMac(await this.hasher(), name, macs);
    await (db as unknown as Kysely<any>)
      .insertInto('record_heads')
      .values({ name, count: macs.length, row_mac, updated_at: at })
      .onConflict((oc) => oc.column('name').doUpdateSet({ count: macs.length, row_mac, updated_at: at }))
      .execute();
  }

  /**
   * INTEGRITY_ERROR naming head `name` (table `record_heads`) when it is missing or does not cover exactly the
   * members' MACs read now (a member deleted, added, reordered or rolled back).
   */
  async checkHead(db: AnyDb, name: string, macs: readonly unknown[]): Promise<void> {
    const kdb = db as Kysely<any>;
    const head: { count: number | string; row_mac: unknown } | undefined = await kdb
      .selectFrom('record_heads')
      .select(['count', 'row_mac'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!head) throw recordTampered('record_heads', name, 'the head is missing');
    const members = macs.map((m) => (Buffer.isBuffer(m) ? m : Buffer.alloc(0)));
    if (Number(head.count) !== members.length) {
      throw recordTampered(
        'record_heads',
        name,
        `${members.length} rows where the head counts ${head.count}`,
      );
    }
    if (!sameMac(headMac(await this.hasher(), name, members), head.row_mac)) {
      throw recordTampered('record_heads', name, 'the rows are not the ones the head covers');
    }
  }

  /**
   * Checks the heads of the link sets of `ids` (side `person` or `account`) against `rows`, every link of those
   * ids as read now (row MACs already checked), in one statement per 500 ids. INTEGRITY_ERROR naming the head.
   */
  async checkLinkHeads(
    db: AnyDb,
    side: 'person' | 'account',
    ids: readonly string[],
    rows: readonly Readonly<Record<string, unknown>>[],
  ): Promise<void> {
    const own = side === 'person' ? 'person_id' : 'account_id';
    const other = side === 'person' ? 'account_id' : 'person_id';
    const members = new Map<string, Readonly<Record<string, unknown>>[]>();
    for (const r of rows) {
      const id = String(r[own]);
      members.set(id, [...(members.get(id) ?? []), r]);
    }
    const h = await this.hasher();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const part = unique.slice(i, i + 500);
      const heads = (await (db as Kysely<any>)
        .selectFrom('record_heads')
        .select(['name', 'count', 'row_mac'])
        .where(
          'name',
          'in',
          part.map((id) => linksHead(side, id)),
        )
        .execute()) as { name: string; count: number | string; row_mac: unknown }[];
      const byName = new Map(heads.map((x) => [x.name, x]));
      // An id that names no person (or account) row at all — a guessed id, a typo, one deleted by retention — has
      // no set to check. Its own row, not its `subjects` row: the sqlite3 CLI does not enforce foreign keys, so a
      // subjects row is easy to delete, while deleting the person's row makes the person unreadable anyway.
      const headless = part.filter((id) => !byName.has(linksHead(side, id)) && !members.has(id));
      const existing =
        headless.length === 0
          ? new Set<string>()
          : new Set(
              (
                (await (db as Kysely<any>)
                  .selectFrom(side === 'person' ? 'people' : 'accounts')
                  .select('id')
                  .where('id', 'in', headless)
                  .execute()) as { id: string }[]
              ).map((r) => r.id),
            );
      for (const id of part) {
        const name = linksHead(side, id);
        const head = byName.get(name);
        if (!head && headless.includes(id) && !existing.has(id)) continue;
        if (!head) throw recordTampered('record_heads', name, 'the head is missing');
        const macs = (members.get(id) ?? [])
          .slice()
          .sort((a, b) => String(a[other]).localeCompare(String(b[other])))
          .map((r) => (Buffer.isBuffer(r.row_mac) ? r.row_mac : Buffer.alloc(0)));
        if (Number(head.count) !== macs.length || !sameMac(headMac(h, name, macs), head.row_mac)) {
          throw recordTampered('record_heads', name, 'the links are not the ones the head covers');
        }
      }
    }
  }

  /** Rewrites the head of one link set from the links stored now (after a change, in its transaction). */
  async writeLinkHead(db: AnyDb, side: 'person' | 'account', id: string, at: string): Promise<void> {
    const own = side === 'person' ? 'person_id' : 'account_id';
    const other = side === 'person' ? 'account_id' : 'person_id';
    const rows = (await (db as Kysely<any>)
      .selectFrom('account_people')
      .select([other, 'row_mac'])
      .where(own, '=', id)
      .execute()) as Record<string, unknown>[];
    const macs = rows
      .sort((a, b) => String(a[other]).localeCompare(String(b[other])))
      .map((r) => (Buffer.isBuffer(r.row_mac) ? r.row_mac : Buffer.alloc(0)));
    await this.writeHead(db, linksHead(side, id), macs, at);
  }

  /**
   * Appends an event to a history: locks its head, numbers the event after the last one, MACs it and moves the
   * head. `insert` writes the event row (with `seq` and `row_mac` as given).
   */
  async appendEvent(
    db: AnyDb,
    dialect: StoreDialect,
    table: HistoryTable,
    event: Readonly<Record<string, unknown>>,
    insert: (row: { seq: number; row_mac: Buffer }) => Promise<void>,
  ): Promise<void> {
    const parentId = String(event[HISTORIES[table]]);
    const name = historyHead(table, parentId);
    await this.lockHead(db, dialect, name);
    const before = await this.historyMacs(db, table, parentId);
    const seq = before.length + 1;
    const row_mac = await this.seal(table, { ...event, seq });
    await insert({ seq, row_mac });
    await this.writeHead(db, name, [...before, row_mac], String(event.at));
  }

  /** The MACs of a history's events in `seq` order (unchecked: for the head of an append). */
  private async historyMacs(db: AnyDb, table: HistoryTable, parentId: string): Promise<Buffer[]> {
    const rows = (await (db as unknown as Kysely<any>)
      .selectFrom(table)
      .select('row_mac')
      .where(HISTORIES[table], '=', parentId)
      .orderBy('seq')
      .execute()) as { row_mac: Buffer | null }[];
    return rows.map((r) => r.row_mac ?? Buffer.alloc(0));
  }

  /**
   * Checks one history as read (all its events, each with `seq` and `row_mac`, in `seq` order): every event's MAC,
   * positions 1…n without a gap or a repeat, and the head over them. INTEGRITY_ERROR naming the first bad event,
   * or the head.
   */
  async checkHistory(
    db: AnyDb,
    table: HistoryTable,
    parentId: string,
    events: readonly Readonly<Record<string, unknown>>[],
  ): Promise<void> {
    await this.check(table, events);
    events.forEach((e, i) => {
      if (Number(e.seq) !== i + 1)
        throw recordTampered(table, String(e.id), `at position ${i + 1} of the history`);
    });
    await this.checkHead(
      db,
      historyHead(table, parentId),
      events.map((e) => e.row_mac),
    );
  }
}
