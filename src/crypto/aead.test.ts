import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, open, seal } from './aead.ts';
import { randomBytes } from './random.ts';

const key = randomBytes(KEY_BYTES);
const aad = Buffer.from('person|42|email|v1');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isSigiloError(err) ? err.code : `not a SigiloError: ${String(err)}`;
  }
  return 'no error';
}

describe('seal / open', () => {
  it('round-trips, including the empty plaintext, as nonce | ciphertext | tag', () => {
    for (const size of [0, 1, 16, 1000]) {
      const plaintext = randomBytes(size);
      const sealed = seal(key, plaintext, aad);
      expect(sealed.length).toBe(NONCE_BYTES + size + TAG_BYTES);
      expect(open(key, sealed, aad).equals(plaintext)).toBe(true);
    }
  });

  it('uses a fresh nonce each time, so equal plaintexts give unrelated outputs', () => {
    const plaintext = Buffer.from('+5511987654321');
    const nonces = new Set<string>();
    for (let i = 0; i < 3000; i++)
      nonces.add(seal(key, plaintext, aad).subarray(0, NONCE_BYTES).toString('hex'));
    expect(nonces.size).toBe(3000); // crosses the nonce pool refill at 1,024
  });

  it('refuses a flipped bit in every byte of the sealed value with INTEGRITY_ERROR', () => {
    const sealed = seal(key, Buffer.from('maria@example.com.br'), aad);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(
        codeOf(() => open(key, tampered, aad)),
        `byte ${i}`,
      ).toBe('INTEGRITY_ERROR');
    }
  });

  it('refuses a value moved to another row, field or key version (different aad)', () => {
    const sealed = seal(key, Buffer.from('maria@example.com.br'), aad);
    for (const other of ['person|43|email|v1', 'person|42|phone|v1', 'person|42|email|v2', '']) {
      expect(
        codeOf(() => open(key, sealed, Buffer.from(other))),
        other,
      ).toBe('INTEGRITY_ERROR');
    }
  });

  it('refuses another key, truncation and values too short to hold a nonce and tag', () => {
    const sealed = seal(key, Buffer.from('x'), aad);
    expect(codeOf(() => open(randomBytes(KEY_BYTES), sealed, aad))).toBe('INTEGRITY_ERROR');
    expect(codeOf(() => open(key, sealed.subarray(0, sealed.length - 1), aad))).toBe('INTEGRITY_ERROR');
    expect(codeOf(() => open(key, Buffer.concat([sealed, Buffer.alloc(1)]), aad))).toBe('INTEGRITY_ERROR');
    for (const size of [0, 1, NONCE_BYTES + TAG_BYTES - 1]) {
      expect(
        codeOf(() => open(key, Buffer.alloc(size), aad)),
        `size ${size}`,
      ).toBe('INTEGRITY_ERROR');
    }
  });

  it('never puts plaintext into the error', () => {
    const sealed = seal(key, Buffer.from('12345678909'), aad);
    sealed[NONCE_BYTES] = sealed[NONCE_BYTES]! ^ 0xff;
    try {
      open(key, sealed, aad);
      expect.unreachable();
    } catch (err) {
      expect(JSON.stringify(err)).not.toContain('12345678909');
      expect((err as Error).message).toBe('ciphertext failed authentication');
    }
  });

  it('treats a wrong key length as a programming error, not tampered data', () => {
    expect(() => seal(randomBytes(16), Buffer.from('x'), aad)).toThrow(RangeError);
    expect(() => open(randomBytes(16), Buffer.alloc(40), aad)).toThrow(RangeError);
  });
});

describe('aesGcmEncrypt / aesGcmDecrypt', () => {
  it('refuses nonces other than 12 bytes and tags other than 16', () => {
    const nonce = randomBytes(NONCE_BYTES);
    const { ciphertext, tag } = aesGcmEncrypt(key, nonce, Buffer.from('abc'), aad);
    expect(aesGcmDecrypt(key, nonce, ciphertext, tag, aad).toString()).toBe('abc');
    expect(() => aesGcmEncrypt(key, randomBytes(16), Buffer.from('abc'), aad)).toThrow(RangeError);
    expect(codeOf(() => aesGcmDecrypt(key, randomBytes(16), ciphertext, tag, aad))).toBe('INTEGRITY_ERROR');
    // A 12-byte prefix of a valid tag is a legal GCM tag elsewhere; here it must not authenticate.
    expect(codeOf(() => aesGcmDecrypt(key, nonce, ciphertext, tag.subarray(0, 12), aad))).toBe(
      'INTEGRITY_ERROR',
    );
  });
});
