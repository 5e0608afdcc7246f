import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTermFilter, mayHoldTerm } from './term-filter.ts';

describe('segment term filter', () => {
  it('never misses a term it holds, and rarely claims one it does not', () => {
    const hashes = randomBytes(4000 * 16);
    const filter = buildTermFilter(hashes, 4000);
    for (let i = 0; i < 4000; i++)
      expect(mayHoldTerm(filter, hashes.subarray(i * 16, i * 16 + 16))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (mayHoldTerm(filter, randomBytes(16))) falsePositives++;
    // 10 bits and 7 probes per term: about 0.8 %.
    expect(falsePositives / 20_000).toBeLessThan(0.03);
  });

  it('holds the first `count` terms of a buffer, sized for them alone', () => {
    const hashes = randomBytes(1000 * 16);
    const filter = buildTermFilter(hashes, 2);
    expect(mayHoldTerm(filter, hashes.subarray(0, 16))).toBe(true);
    expect(mayHoldTerm(filter, hashes.subarray(16, 32))).toBe(true);
    expect(filter.length).toBe(2 + 8);
  });

  it('an empty segment claims nothing; a missing or unknown filter means "open and check"', () => {
    const empty = buildTermFilter(new Uint8Array(0), 0);
    expect(mayHoldTerm(empty, randomBytes(16))).toBe(false);
    expect(mayHoldTerm(null, randomBytes(16))).toBe(true);
    const unknown = Buffer.from(empty);
    unknown[0] = 9;
    expect(mayHoldTerm(unknown, randomBytes(16))).toBe(true);
  });
});
