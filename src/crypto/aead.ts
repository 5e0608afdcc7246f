/**
 * AES-256-GCM, the one cipher of Sigilo. Sealed values are `nonce(12) | ciphertext | tag(16)`.
 * Every authentication failure becomes `SigiloError('INTEGRITY_ERROR')`: callers never see OpenSSL errors
 * and never get unauthenticated plaintext.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { SigiloError } from '../errors.ts';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

const ALGORITHM = 'aes-256-gcm';
const GCM_OPTIONS = { authTagLength: TAG_BYTES } as const;

// Drawing 12 random bytes per seal costs about 2 µs of the 6 µs an operation takes; drawing them 1,024 nonces
// at a time from the CSPRNG brings seal to about 4 µs. Nonces are not secret, so buffering them is safe; the
// pool is refilled in place, which is fine because every nonce is copied into its output before the next draw.
const NONCE_POOL_BYTES = NONCE_BYTES * 1024;
const noncePool = Buffer.allocUnsafe(NONCE_POOL_BYTES);
let noncePoolOffset = NONCE_POOL_BYTES;

function nextNonce(): Buffer {
  if (noncePoolOffset === NONCE_POOL_BYTES) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

function assertKey(key: Buffer): void {
  // A wrong key length is a programming error, not tampered data.
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM key must be ${KEY_BYTES} bytes`);
}

function integrityError(): SigiloError {
  return new SigiloError('INTEGRITY_ERROR', 'ciphertext failed authentication');
}

/** Encrypts with an explicit 12-byte nonce; the caller must never reuse a nonce under the same key. */
export function aesGcmEncrypt(
  key: Buffer,
  nonce: Buffer,
  plaintext: Buffer,
  aad: Buffer,
): { ciphertext: Buffer; tag: Buffer } {
  assertKey(key);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`AES-GCM nonce must be ${NONCE_BYTES} bytes`);
  const cipher = createCipheriv(ALGORITHM, key, nonce, GCM_OPTIONS);
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final(); // empty for GCM, kept so no byte can be lost if that ever changes
  const ciphertext = tail.length === 0 ? head : Buffer.concat([head, tail]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and authenticates; any mismatch (bytes, tag, nonce or aad) throws INTEGRITY_ERROR. */
export function aesGcmDecrypt(
  key: Buffer,
  nonce: Buffer,
  ciphertext: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer {
  assertKey(key);
  // Nonce and tag come from stored data, so a wrong length means damaged data, not a bug.
  // Other IV lengths are legal GCM but Sigilo never writes them, and short tags weaken authentication.
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw integrityError();
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce, GCM_OPTIONS);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const head = decipher.update(ciphertext);
    const tail = decipher.final(); // throws when the tag does not verify
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw integrityError();
  }
}

/** Encrypts under a fresh random 96-bit nonce and returns `nonce | ciphertext | tag`. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  assertKey(key);
  const nonce = nextNonce();
  const cipher = createCipheriv(ALGORITHM, key, nonce, GCM_OPTIONS);
  cipher.setAAD(aad);
  // One concat copies the nonce out of the pool and joins the parts; measured no slower than writing
  // into a preallocated buffer.
  return Buffer.concat(
    [nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()],
    NONCE_BYTES + plaintext.length + TAG_BYTES,
  );
}

/**
 * Opens a value made by `seal` with the same key and aad; anything else throws INTEGRITY_ERROR, including a
 * stored value that is not bytes at all (text, a number, NULL written into the column).
 */
export function open(key: Buffer, sealed: unknown, aad: Buffer): Buffer {
  if (!Buffer.isBuffer(sealed) || sealed.length < NONCE_BYTES + TAG_BYTES) {
    assertKey(key);
    throw integrityError();
  }
  const tagStart = sealed.length - TAG_BYTES;
  return aesGcmDecrypt(
    key,
    sealed.subarray(0, NONCE_BYTES),
    sealed.subarray(NONCE_BYTES, tagStart),
    sealed.subarray(tagStart),
    aad,
  );
}
