/**
 * Staff free text that belongs to no data subject (a staff token's label) sealed under the staff-text key
 * (`Keyring.staffTextKey`), in the field format of sealed-field.cipher.ts: associated data binds table, row and
 * column, so a ciphertext moved to another row fails to open (INTEGRITY_ERROR).
 */
import type { Keyring } from '../keys/keyring.ts';
import { openField, sealField, type FieldAddress } from './sealed-field.cipher.ts';

/** The pseudo-subject in the associated data of staff text (no data key, no shredding). */
const STAFF_TEXT = 'sigilo:staff-text';
const KEY_VERSION = 1;

function address(table: string, rowId: string, column: string): FieldAddress {
  return { table, rowId, column, subjectId: STAFF_TEXT };
}

/** Seals `text` for the cell (`table`, `rowId`, `column`). */
export function sealStaffText(
  keyring: Pick<Keyring, 'staffTextKey'>,
  table: string,
  rowId: string,
  column: string,
  text: string,
): Buffer {
  return sealField(
    keyring.staffTextKey(),
    KEY_VERSION,
    address(table, rowId, column),
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
): string {
  return openField(keyring.staffTextKey(), address(table, rowId, column), sealed).toString('utf8');
}
