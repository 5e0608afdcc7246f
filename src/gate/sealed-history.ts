/* eslint-disable @typescript-eslint/no-explicit-any -- the three history tables are addressed by name. */
/**
 * The insert-only histories of legal holds, authority requests and subject requests, written and read in one
 * place. Each event's details are sealed (under the staff-text key, or under the authority request's subject key)
 * with the event's parent, kind, time and actor bound into the associated data (staff-text.cipher.ts); each event
 * carries its position (`seq`) under its record MAC, and the history's head in `record_heads` covers the events'
 * MACs in order (record-macs.ts). Reading a history checks all three: an event edited, moved to another parent or
 * time, deleted, duplicated, reordered or inserted is an INTEGRITY_ERROR naming the event (or the head).
 */
import type { Kysely } from 'kysely';
import { SigiloError, isSigiloError } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { StoreDialect } from '../store/store.ts';
import type { GateKernel } from './gate-kernel.ts';
import { HISTORIES, type HistoryTable, type RecordMacs } from './record-macs.ts';
import { openField, sealField, sealedKeyVersion } from './sealed-field.cipher.ts';
import { bindingOf, boundFieldAddress, openStaffText, sealStaffText } from './staff-text.cipher.ts';

/** An event's plain columns as written (its parent column, `hold_id` or `request_id`, among them). */
export type HistoryEventRow = { id: string; kind: string; at: string; actor: string } & Record<
  string,
  unknown
>;

/** An event as read: its plain columns, its position and its details opened. */
export type OpenedHistoryEvent = HistoryEventRow & { seq: number; details: unknown };

/** How a history's details are sealed and opened. */
export interface HistoryCipher {
  seal(table: HistoryTable, row: HistoryEventRow, text: string): Promise<Buffer>;
  open(table: HistoryTable, row: HistoryEventRow, sealed: unknown): Promise<string>;
}

/** Details sealed under the staff-text key (holds, subject requests: they outlive the subject's keys). */
export function staffTextHistory(keyring: Pick<Keyring, 'staffTextKey'>): HistoryCipher {
  return {
    seal: (table, row, text) =>
      Promise.resolve(sealStaffText(keyring, table, row.id, 'details_ct', text, bindingOf(table, row))),
    open: (table, row, sealed) =>
      Promise.resolve(openStaffText(keyring, table, row.id, 'details_ct', sealed, bindingOf(table, row))),
  };
}

/** Details sealed under subject `subjectId`'s data key (an authority request is its own subject). */
export function subjectKeyHistory(k: GateKernel, subjectId: string): HistoryCipher {
  return {
    seal: async (table, row, text) => {
      const dek = await k.currentDataKey(subjectId);
      const address = boundFieldAddress(table, row, 'details_ct', subjectId);
      return sealField(dek.key, dek.version, address, Buffer.from(text, 'utf8'));
    },
    open: async (table, row, sealed) => {
      const dek = await k.dataKey(subjectId, sealedKeyVersion(sealed));
      return openField(dek, boundFieldAddress(table, row, 'details_ct', subjectId), sealed).toString('utf8');
    },
  };
}

/** Where a history lives: the transaction (sealed view), its dialect, the record-MAC keys and the cipher. */
export interface HistoryStore {
  db: unknown;
  dialect: StoreDialect;
  macs: RecordMacs;
  cipher: HistoryCipher;
}

/** Appends one event to its parent's history: details sealed, position numbered and MACed, head moved. */
export async function appendHistoryEvent(
  h: HistoryStore,
  table: HistoryTable,
  row: HistoryEventRow,
  details: unknown,
): Promise<void> {
  const db = h.db as Kysely<any>;
  const details_ct = await h.cipher.seal(table, row, JSON.stringify(details ?? {}));
  await h.macs.appendEvent(db, h.dialect, table, row, async ({ seq, row_mac }) => {
    await db
      .insertInto(table)
      .values({ ...row, seq, row_mac, details_ct })
      .execute();
  });
}

/** Parent `parentId`'s history, oldest first, checked (see the file comment) and its details opened. */
export async function readHistory(
  h: HistoryStore,
  table: HistoryTable,
  parentId: string,
): Promise<OpenedHistoryEvent[]> {
  const db = h.db as Kysely<any>;
  const rows = (await db
    .selectFrom(table)
    .selectAll()
    .where(HISTORIES[table], '=', parentId)
    .orderBy('seq')
    .orderBy('id')
    .execute()) as (HistoryEventRow & { seq: number; row_mac: Buffer | null; details_ct: unknown })[];
  await h.macs.checkHistory(db, table, parentId, rows);
  const out: OpenedHistoryEvent[] = [];
  for (const { details_ct, row_mac: _mac, ...row } of rows) {
    let details: unknown;
    try {
      details = JSON.parse(await h.cipher.open(table, row, details_ct));
    } catch (err) {
      if (!isSigiloError(err, 'INTEGRITY_ERROR') && !(err instanceof SyntaxError)) throw err;
      throw new SigiloError('INTEGRITY_ERROR', `history event ${row.id} does not verify`, {
        table,
        rowId: row.id,
      });
    }
    out.push({ ...row, details });
  }
  return out;
}
