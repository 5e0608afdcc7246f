import { describe, expect, it } from 'vitest';
import { base32 } from './telecom-record-id.ts';

describe('base32', () => {
  it('encodes the RFC 4648 test vectors (lower case, no padding)', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [input, out] of vectors) expect(base32(Buffer.from(input))).toBe(out);
  });

  it('gives 26 characters for a 16-byte hash', () => {
    expect(base32(Buffer.alloc(16, 0xff))).toMatch(/^[a-z2-7]{26}$/);
  });
});
