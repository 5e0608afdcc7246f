import { describe, expect, it } from 'vitest';
import { blake3 } from '@noble/hashes/blake3.js';
import { randomBytes } from './random.ts';
import { createKeyedHasher } from './keyed-hash.ts';

describe('keyed BLAKE3', () => {
  it('matches the official keyed_hash vector (empty input, 16-byte prefix)', async () => {
    const h = await createKeyedHasher(Buffer.from('whats the Elvish word for friend', 'ascii'));
    expect(h.hash('').toString('hex')).toBe('92b2b75604ed3c761f9d6f62392c8a92');
  });

  it('agrees with an independent implementation, call after call (the hasher is reused)', async () => {
    const key = randomBytes(32);
    const h = await createKeyedHasher(key);
    for (const msg of ['', 'a', 'acct\u0000asterisk:1700000000.1', 'é'.repeat(300), 'x'.repeat(5000)]) {
      const want = Buffer.from(blake3(Buffer.from(msg, 'utf8'), { key, dkLen: 16 })).toString('hex');
      expect(h.hash(msg).toString('hex')).toBe(want);
      expect(h.hash(Buffer.from(msg, 'utf8')).toString('hex')).toBe(want);
    }
  });

  it('refuses keys that are not 32 bytes', async () => {
    await expect(createKeyedHasher(randomBytes(16))).rejects.toThrow();
  });
});
