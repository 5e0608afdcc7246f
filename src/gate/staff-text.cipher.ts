/**
 * Staff free text that belongs to no data subject (a staff token's label), or that must outlive the subject's keys
 * (a legal hold's reason, the history of a subject request), sealed under the staff-text key
 * (`Keyring.staffTextKey`), in the field format of sealed-field.cipher.ts: associated data binds table, row and
 * column — and, for the tables in `STAFF_TEXT_BINDINGS`, the plain columns that say whose and when the row is —
 * so a ciphertext moved to another row, or a row moved to another owner or time, fails to open (INTEGRITY_ERROR).
 */
import type { Keyring } from '../keys/keyring.ts';
import { openField, sealField, type FieldAddress } from './sealed-field.cipher.ts';

/** The pseudo-subject in the associated data of staff text (no data key, no shredding). */
const STAFF_TEXT = 'sigilo:staff-text';
const KEY_VERSION = 1;

function address(table: string, rowId: string, column: string, bound?: string): FieldAddress {
  return { table, rowId, column, subjectId: bound === undefined ? STAFF_TEXT : `${STAFF_TEXT}|${bound}` };
}

/**
 * The plain columns bound into the associated data of a row's staff text: those that never change after the row
 * is written and decide whose it is (owner, scope) or when (period). Editing one makes the text fail to open.
 */
export const STAFF_TEXT_BINDINGS = {
  legal_holds: [
    'kind',
    'scope_kind',
    'scope_id',
    'categories',
    'window_from',
    'window_to',
    'requested_at',
    'created_at',
    'created_by',
  ],
  legal_hold_events: ['hold_id', 'kind', 'at', 'actor'],
  authority_request_events: ['request_id', 'kind', 'at', 'actor'],
  subject_request_events: ['request_id', 'kind', 'at', 'actor', 'role'],
} as const;
export type BoundTextTable = keyof typeof STAFF_TEXT_BINDINGS;

/** The binding of `row` (its columns named in `STAFF_TEXT_BINDINGS`), as bound into the associated data. */
export function bindingOf(table: BoundTextTable, row: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(STAFF_TEXT_BINDINGS[table].map((c) => (row[c] === undefined ? null : row[c])));
}

/**
 * The address of an event's details sealed under a subject's data key (authority requests): the binding rides in
 * the column part of the associated data, so the field format stays the one of sealed-field.cipher.ts.
 */
export function boundFieldAddress(
  table: BoundTextTable,
  row: Readonly<Record<string, unknown>>,
  column: string,
  subjectId: string,
): FieldAddress {
  return { table, rowId: String(row.id), column: `${column}|${bindingOf(table, row)}`, subjectId };
}

/** Seals `text` for the cell (`table`, `rowId`, `column`). */
export function sealStaffText(
  keyring: Pick<Keyring, 'staffTextKey'>,
  table: string,
  rowId: string,
  column: string,
  text: string,
  bound?: string,
): Buffer {
  return sealField(
    keyring.staffTextKey(),
    KEY_VERSION,
    address(table, rowId, column, bound),
    Buffer.from(text, 'utf8'),
  );
}

/** Opens a cell sealed by `sealStaffText`; INTEGRITY_ERROR when it was edited, moved or is not a ciphertext. */
export function openStaffText(
  keyring: Pick<Keyring, 'staffTextKey'>,
  table: string,
  rowId: string,
  column: string,
  sealed: unknown,
  bound?: string,
): string {
  return openField(keyring.staffTextKey(), address(table, rowId, column, bound), sealed).toString('utf8');
}
