import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTermFilter, mayHoldTerm } from './term-filter.ts';

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('segment term filter', () => {
  it('never misses a term it holds, and rarely claims one it does not', () => {
    const hashes = randomBytes(4000 * 16);
    const filter = buildTermFilter(hashes, all(4000));
    for (let i = 0; i < 4000; i++)
      expect(mayHoldTerm(filter, hashes.subarray(i * 16, i * 16 + 16))).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (mayHoldTerm(filter, randomBytes(16))) falsePositives++;
    // 10 bits and 7 probes per term: about 0.8 %.
    expect(falsePositives / 20_000).toBeLessThan(0.03);
  });

  it('holds only the listed terms of a batch', () => {
    const hashes = randomBytes(10 * 16);
    const filter = buildTermFilter(hashes, [2, 5]);
    expect(mayHoldTerm(filter, hashes.subarray(32, 48))).toBe(true);
    expect(mayHoldTerm(filter, hashes.subarray(80, 96))).toBe(true);
  });

  it('an empty segment claims nothing; a missing or unknown filter means "open and check"', () => {
    const empty = buildTermFilter(new Uint8Array(0), []);
    expect(mayHoldTerm(empty, randomBytes(16))).toBe(false);
    expect(mayHoldTerm(null, randomBytes(16))).toBe(true);
    const unknown = Buffer.from(empty);
    unknown[0] = 9;
    expect(mayHoldTerm(unknown, randomBytes(16))).toBe(true);
  });
});
