import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTermFilter, mayHoldTerm } from './term-filter.ts';

describe('segment term filter', () => {
  it('never misses a term it holds, and rarely claims one it does not', () => {
    const terms = Array.from({ length: 4000 }, () => randomBytes(16));
    const filter = buildTermFilter(terms, terms.length);
    for (const t of terms) expect(mayHoldTerm(filter, t)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (mayHoldTerm(filter, randomBytes(16))) falsePositives++;
    // 10 bits and 7 probes per term: about 0.8 %.
    expect(falsePositives / 20_000).toBeLessThan(0.03);
  });

  it('an empty segment claims nothing; a missing or unknown filter means "open and check"', () => {
    const empty = buildTermFilter([], 0);
    expect(mayHoldTerm(empty, randomBytes(16))).toBe(false);
    expect(mayHoldTerm(null, randomBytes(16))).toBe(true);
    const unknown = Buffer.from(empty);
    unknown[0] = 9;
    expect(mayHoldTerm(unknown, randomBytes(16))).toBe(true);
  });
});
