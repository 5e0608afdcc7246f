/**
 * Field-level envelope encryption: `0x01 | dek version (u32 BE) | nonce | ciphertext | tag`, with associated data
 * binding table, row id, column, subject and key version, so a ciphertext moved anywhere else fails to open.
 */
import { SigiloError } from '../errors.ts';
import { open, seal } from '../crypto/aead.ts';

const FORMAT_V1 = 1;
const HEADER = 5;

/** Where a ciphertext lives; all of it is authenticated. */
export interface FieldAddress {
  table: string;
  rowId: string;
  column: string;
  subjectId: string;
}

function aad(a: FieldAddress, dekVersion: number): Buffer {
  return Buffer.from(`sigilo/field/v1|${a.table}|${a.rowId}|${a.column}|${a.subjectId}|${dekVersion}`);
}

/** Seals one field value under the subject's data key. */
export function sealField(dek: Buffer, dekVersion: number, address: FieldAddress, plaintext: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt8(FORMAT_V1, 0);
  header.writeUInt32BE(dekVersion, 1);
  return Buffer.concat([header, seal(dek, plaintext, aad(address, dekVersion))]);
}

/**
 * Throws INTEGRITY_ERROR unless `sealed` is bytes of the sealed format. Whoever can write the database can put
 * text, a number or NULL in a ciphertext column; that is tampering, not a crash.
 */
function assertSealed(sealed: unknown): asserts sealed is Buffer {
  if (!Buffer.isBuffer(sealed)) throw new SigiloError('INTEGRITY_ERROR', 'ciphertext is not stored as bytes');
  if (sealed.length < HEADER || sealed.readUInt8(0) !== FORMAT_V1) {
    throw new SigiloError('INTEGRITY_ERROR', 'ciphertext has an unknown format');
  }
}

/** The data-key version a sealed field was written with (read before fetching the key). */
export function sealedKeyVersion(sealed: unknown): number {
  assertSealed(sealed);
  return sealed.readUInt32BE(1);
}

/** Opens one sealed field (a column value as read); INTEGRITY_ERROR when any byte or its address differs. */
export function openField(dek: Buffer, address: FieldAddress, sealed: unknown): Buffer {
  const version = sealedKeyVersion(sealed);
  return open(dek, (sealed as Buffer).subarray(HEADER), aad(address, version));
}
