/**
 * Sealing and opening of one session's field values: encoding (text, JSON, argon2id hash), the subject's data
 * keys (cached for the session), blind indexes and masking. A ciphertext that fails to open is logged as an error.
 */
import { hashPassword } from '../crypto/password.ts';
import { isSigiloError } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Tx } from '../store/store.ts';
import type { PostalAddress } from '../validation/address.ts';
import { mask, maskAddress, type MaskLevel } from '../validation/masking.ts';
import type { AccessDecisions } from './access-decisions.ts';
import { openField, sealedKeyVersion, sealField, type FieldAddress } from './sealed-field.cipher.ts';
import type { SealedFieldSpec, SealedTableSpec } from './sealed-tables.ts';

/** The field cipher as one session uses it. */
export class FieldSealing {
  private readonly keys = new Map<string, Buffer>();
  private readonly current = new Map<string, { version: number; key: Buffer }>();
  /** Subjects this session's transaction created: they have no key to look up yet. */
  private readonly created = new Set<string>();

  constructor(
    private readonly keyring: Keyring,
    private readonly tx: Tx,
    private readonly decisions: AccessDecisions,
  ) {}

  /**
   * The subject's current data key (created on first use), read once per session: a person written with several
   * contact points seals them all under the key the first read found (`forget` drops it when the session shreds).
   */
  async currentDataKey(subjectId: string): Promise<{ version: number; key: Buffer }> {
    let dek = this.current.get(subjectId);
    if (!dek) {
      dek = await this.keyring.currentDataKey(this.tx, subjectId, this.created.delete(subjectId));
      this.current.set(subjectId, dek);
    }
    return dek;
  }

  /** Notes that the session's transaction inserted this subject's row (see Keyring.currentDataKey). */
  subjectCreated(subjectId: string): void {
    this.created.add(subjectId);
  }

  /** Drops what the session holds of a subject's keys (after shredding them). */
  forget(subjectId: string): void {
    this.current.delete(subjectId);
    this.created.delete(subjectId);
    for (const id of [...this.keys.keys()]) if (id.startsWith(`${subjectId}#`)) this.keys.delete(id);
  }

  /** A given version of the subject's data key, cached for the session; SUBJECT_SHREDDED when destroyed. */
  async dataKey(subjectId: string, version: number): Promise<Buffer> {
    const id = `${subjectId}#${version}`;
    let key = this.keys.get(id);
    if (!key) {
      key = await this.keyring.dataKey(this.tx, subjectId, version);
      this.keys.set(id, key);
    }
    return key;
  }

  /** Encodes and seals one value at its address under `dek`. */
  async seal(
    table: SealedTableSpec,
    field: SealedFieldSpec,
    rowId: string,
    subjectId: string,
    dek: { version: number; key: Buffer },
    value: unknown,
  ): Promise<Buffer> {
    let plaintext: string;
    if (field.encoding === 'json') plaintext = JSON.stringify(value);
    else if (field.encoding === 'password') plaintext = await hashPassword(String(value));
    else plaintext = String(value);
    const address: FieldAddress = { table: table.table, rowId, column: field.column, subjectId };
    return sealField(dek.key, dek.version, address, Buffer.from(plaintext, 'utf8'));
  }

  /** Opens and decodes one stored value; a tampered or shredded one is logged under `operation` and thrown. */
  async open(
    field: SealedFieldSpec,
    address: FieldAddress,
    sealed: Buffer,
    operation: string,
  ): Promise<unknown> {
    try {
      const key = await this.dataKey(address.subjectId, sealedKeyVersion(sealed));
      const text = openField(key, address, sealed).toString('utf8');
      return field.encoding === 'json' ? (JSON.parse(text) as unknown) : text;
    } catch (err) {
      if (isSigiloError(err, 'INTEGRITY_ERROR') || isSigiloError(err, 'SUBJECT_SHREDDED')) {
        this.decisions.fail(operation, address.subjectId, [field.category], 'error', err.code, err.message, {
          table: address.table,
          column: address.column,
          rowId: address.rowId,
        });
      }
      throw err;
    }
  }

  /** The blind index of a value the validation layer already normalised (E.164, lower-case e-mail, digits, IP). */
  index(field: SealedFieldSpec, value: unknown): Buffer {
    return this.keyring.blindIndex(field.index!.kind, String(value));
  }
}

/** An opened value as the policy lets this context see it. */
export function applyMasking(field: SealedFieldSpec, level: MaskLevel, value: unknown): unknown {
  if (level === 'none') return value;
  if (field.maskAs === 'address') return maskAddress(level, value as PostalAddress);
  if (field.maskAs === 'json') return '[oculto]';
  return mask(field.maskAs, level, String(value));
}
