import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeySet } from './key-set.ts';

describe('KeySet', () => {
  it('agrees with a Set of the same 16-byte keys through many growths', () => {
    const set = new KeySet();
    const reference = new Set<string>();
    const keys = Array.from({ length: 50_000 }, () => randomBytes(16));
    for (const k of keys.slice(0, 40_000)) {
      expect(set.add(k)).toBe(!reference.has(k.toString('hex')));
      reference.add(k.toString('hex'));
    }
    // Re-adding reports a duplicate; unseen keys are absent.
    for (const k of keys.slice(0, 1000)) expect(set.add(k)).toBe(false);
    for (const k of keys.slice(0, 40_000)) expect(set.has(k)).toBe(true);
    for (const k of keys.slice(40_000)) expect(set.has(k)).toBe(false);
    expect(set.size).toBe(40_000);
  });

  it('reads keys at an offset inside a larger buffer', () => {
    const packed = randomBytes(16 * 10 + 1);
    const set = new KeySet();
    for (let i = 0; i < 10; i++) set.add(packed, 1 + i * 16);
    for (let i = 0; i < 10; i++)
      expect(set.has(Buffer.from(packed.subarray(1 + i * 16, 17 + i * 16)))).toBe(true);
    expect(set.has(packed, 0)).toBe(false);
  });

  it('keys that differ only in their last word, or the all-zero key, are distinct members', () => {
    const a = Buffer.alloc(16, 7);
    const b = Buffer.from(a);
    b[15] = 8;
    const zero = Buffer.alloc(16);
    const set = new KeySet();
    expect(set.add(a)).toBe(true);
    expect(set.has(b)).toBe(false);
    expect(set.has(zero)).toBe(false);
    expect(set.add(zero)).toBe(true);
    expect(set.add(zero)).toBe(false);
    expect(set.add(b)).toBe(true);
    expect(set.size).toBe(3);
  });
});
