import { describe, expect, it } from 'vitest';
import { hkdfSha256 } from './hkdf.ts';

describe('hkdfSha256', () => {
  it('separates keys by info, and a string info equals its UTF-8 bytes', () => {
    const ikm = Buffer.alloc(32, 7);
    const salt = Buffer.alloc(0);
    const a = hkdfSha256(ikm, salt, 'sigilo/blind-index/phone', 32);
    expect(a.equals(hkdfSha256(ikm, salt, Buffer.from('sigilo/blind-index/phone'), 32))).toBe(true);
    expect(a.equals(hkdfSha256(ikm, salt, 'sigilo/blind-index/email', 32))).toBe(false);
  });

  it('refuses output lengths outside 1..8160', () => {
    for (const bad of [0, -1, 1.5, 8161]) {
      expect(() => hkdfSha256(Buffer.alloc(32), Buffer.alloc(0), 'x', bad), String(bad)).toThrow(RangeError);
    }
  });
});
