/**
 * The identifier Sigilo shows for a telecom record (issue 13 §6). A natural key is the platform's own text — an
 * Asterisk key ends with the dialled number, a JSON record without platform id is keyed by its content (both
 * numbers) — so it never leaves the gate: answers and exports carry a keyed hash of it instead (keyed BLAKE3
 * under a key derived from the master key, 128 bits, base32). Stable: the same record has the same id in every
 * answer, and re-imports do not change it; opaque: without the key it tells nothing of the record.
 */
import type { KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { Keyring } from '../../keys/keyring.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Computes record ids under one key ring. */
export class RecordIds {
  private constructor(private readonly h: KeyedHasher) {}

  static async of(keyring: Keyring): Promise<RecordIds> {
    return new RecordIds(await keyring.keyedHasher('telecom-record-id/v1'));
  }

  /** The shown id of the record with this natural key, of this kind and account. */
  id(kind: string, accountId: string, naturalKey: string): string {
    return base32(this.h.hash(JSON.stringify([kind, accountId, naturalKey])));
  }
}
