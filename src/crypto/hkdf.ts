import { hkdfSync } from 'node:crypto';

/** The largest output HKDF-SHA-256 can produce (RFC 5869: 255 hash lengths). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/** HKDF-SHA-256 (RFC 5869): derives `length` bytes from `ikm`, separated by `salt` and `info`. */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer | string, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`HKDF-SHA-256 output length must be 1..${HKDF_SHA256_MAX_LENGTH} bytes`);
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}
