import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildKeyedTermFilter,
  mayHoldTerm,
  TermFilterBuilder,
  termProbe,
  type SearchTerm,
} from './term-filter.ts';

const number = (i: number): string => `+55119${String(10_000_000 + i)}`;
const search = (kind: 'number' | 'ip', value: string): SearchTerm => ({
  probe: termProbe(kind, value),
  keyed: randomBytes(16),
});

describe('segment term filter (sealed format)', () => {
  it('never misses a term it holds, and rarely claims one it does not', () => {
    const b = new TermFilterBuilder();
    for (let i = 0; i < 4000; i++) b.add('number', number(i));
    const filter = b.build();
    for (let i = 0; i < 4000; i++) expect(mayHoldTerm(filter, search('number', number(i)))).toBe(true);
    let falsePositives = 0;
    for (let i = 4000; i < 24_000; i++)
      if (mayHoldTerm(filter, search('number', number(i)))) falsePositives++;
    // 10 bits and 7 probes per term: about 0.8 %, on consecutive numbers (the worst case for a weak hash).
    expect(falsePositives / 20_000).toBeLessThan(0.03);
  });

  it('tells kinds apart: a number is not the IP with the same text', () => {
    expect(termProbe('number', '10.0.0.1')).not.toEqual(termProbe('ip', '10.0.0.1'));
    const b = new TermFilterBuilder();
    b.add('ip', '10.0.0.1');
    expect(mayHoldTerm(b.build(), search('ip', '10.0.0.1'))).toBe(true);
  });

  it('an empty segment claims nothing; a missing or unknown filter means "open and check"', () => {
    const empty = new TermFilterBuilder().build();
    expect(mayHoldTerm(empty, search('number', number(1)))).toBe(false);
    expect(mayHoldTerm(null, search('number', number(1)))).toBe(true);
    const unknown = Buffer.from(empty);
    unknown[0] = 9;
    expect(mayHoldTerm(unknown, search('number', number(1)))).toBe(true);
  });
});

describe('segment term filter (clear format of keyed hashes, segments stored before 2026-11-26T1900)', () => {
  it('is still read through the keyed hash of the search term', () => {
    const keyed = Array.from({ length: 500 }, () => randomBytes(16));
    const filter = buildKeyedTermFilter(keyed, keyed.length);
    for (const k of keyed) expect(mayHoldTerm(filter, { probe: [0, 1], keyed: k })).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 5000; i++)
      if (mayHoldTerm(filter, { probe: [0, 1], keyed: randomBytes(16) })) falsePositives++;
    expect(falsePositives / 5000).toBeLessThan(0.03);
  });
});
