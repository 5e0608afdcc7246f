import { describe, expect, it } from 'vitest';
import { generateSigningKey, publicKeyFromSeed, signEd25519, verifyEd25519 } from './signing.ts';

// RFC 8032 §7.1, TEST 2: the signature must be byte-exact because Ed25519 is deterministic.
const RFC_SEED = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex');
const RFC_PUBLIC = Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex');
const RFC_MSG = Buffer.from('72', 'hex');
const RFC_SIG = Buffer.from(
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
    '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  'hex',
);

describe('Ed25519', () => {
  it('reproduces the RFC 8032 vector from raw seed bytes', () => {
    expect(publicKeyFromSeed(RFC_SEED).equals(RFC_PUBLIC)).toBe(true);
    expect(signEd25519(RFC_SEED, RFC_MSG).equals(RFC_SIG)).toBe(true);
    expect(verifyEd25519(RFC_PUBLIC, RFC_MSG, RFC_SIG)).toBe(true);
  });

  it('signs and verifies with a generated key, and refuses another message or key', () => {
    const { seed, publicKey } = generateSigningKey();
    expect(seed.length).toBe(32);
    expect(publicKey.length).toBe(32);
    expect(publicKeyFromSeed(seed).equals(publicKey)).toBe(true);
    const msg = Buffer.from('checkpoint 1000 sha256:abc');
    const sig = signEd25519(seed, msg);
    expect(verifyEd25519(publicKey, msg, sig)).toBe(true);
    expect(verifyEd25519(publicKey, Buffer.from('checkpoint 1001 sha256:abc'), sig)).toBe(false);
    expect(verifyEd25519(generateSigningKey().publicKey, msg, sig)).toBe(false);
  });

  it('returns false, without throwing, for malformed keys and signatures', () => {
    const { seed, publicKey } = generateSigningKey();
    const msg = Buffer.from('m');
    const sig = signEd25519(seed, msg);
    expect(verifyEd25519(publicKey, msg, sig.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(publicKey, msg, Buffer.concat([sig, Buffer.alloc(1)]))).toBe(false);
    expect(verifyEd25519(publicKey.subarray(0, 31), msg, sig)).toBe(false);
    expect(verifyEd25519(Buffer.alloc(0), msg, sig)).toBe(false);
    expect(verifyEd25519(Buffer.alloc(32, 0xff), msg, sig)).toBe(false);
  });

  it('keeps working past the key cache limit', () => {
    const pairs = Array.from({ length: 40 }, () => generateSigningKey());
    for (const { seed, publicKey } of [...pairs, ...pairs]) {
      expect(verifyEd25519(publicKey, Buffer.from('x'), signEd25519(seed, Buffer.from('x')))).toBe(true);
    }
  });
});
