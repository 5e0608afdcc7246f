/**
 * Ed25519 signatures (access-log checkpoints, deletion certificates, export manifests) over raw 32-byte
 * seeds and public keys, as they are stored.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

// Fixed DER headers that turn raw Ed25519 bytes into PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// Importing a key costs tens of µs, signing a few; checkpoints and certificates reuse a handful of keys.
const CACHE_LIMIT = 32;
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function remember(cache: Map<string, KeyObject>, id: string, key: KeyObject): KeyObject {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(id, key);
  return key;
}

function privateKeyOf(seed: Buffer): KeyObject {
  if (seed.length !== ED25519_SEED_BYTES)
    throw new RangeError(`Ed25519 seed must be ${ED25519_SEED_BYTES} bytes`);
  // Indexed by a hash so that the cache never holds the secret seed as a string.
  const id = createHash('sha256').update(seed).digest('base64');
  return (
    privateKeys.get(id) ??
    remember(
      privateKeys,
      id,
      createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
    )
  );
}

function publicKeyOf(publicKey: Buffer): KeyObject {
  const id = publicKey.toString('base64');
  return (
    publicKeys.get(id) ??
    remember(
      publicKeys,
      id,
      createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }),
    )
  );
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** A fresh Ed25519 key pair as raw bytes (the seed is the private key). */
export function generateSigningKey(): { seed: Buffer; publicKey: Buffer } {
  const pair = generateKeyPairSync('ed25519');
  const seed = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { seed: Buffer.from(seed), publicKey: Buffer.from(rawPublicKey(pair.publicKey)) };
}

/** The raw 32-byte public key of a seed. */
export function publicKeyFromSeed(seed: Buffer): Buffer {
  return Buffer.from(rawPublicKey(createPublicKey(privateKeyOf(seed))));
}

/** A 64-byte Ed25519 signature of `msg`. */
export function signEd25519(seed: Buffer, msg: Buffer): Buffer {
  return sign(null, msg, privateKeyOf(seed));
}

/** True only for a valid signature; malformed keys or signatures give false, never an exception. */
export function verifyEd25519(publicKey: Buffer, msg: Buffer, sig: Buffer): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || sig.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verify(null, msg, publicKeyOf(publicKey), sig);
  } catch {
    return false;
  }
}
