import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chainHash, keyedChainHash, type ChainedEntry } from './access-log.entry.ts';
import { LinkHasher } from './access-log.link-hasher.ts';

const entry = fc.record({
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
  at: fc.string(),
  actor: fc.string({ unit: 'binary' }),
  role: fc.string(),
  purpose: fc.option(fc.string({ unit: 'grapheme' })),
  legalBasis: fc.option(fc.string()),
  subjectId: fc.option(fc.uuid()),
  categories: fc.array(fc.string()),
  operation: fc.string({ maxLength: 4000 }),
  outcome: fc.constantFrom('allowed' as const, 'denied' as const, 'error' as const),
  reason: fc.option(fc.string({ unit: 'binary', maxLength: 20_000 })),
  requestId: fc.string(),
  policyVersion: fc.nat(),
  justification: fc.option(fc.string()),
  legalSecrecy: fc.option(fc.boolean(), { nil: undefined }),
  prevHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a)),
  keyVersion: fc.integer({ min: 0, max: 3 }),
});

describe('the batch link hasher', () => {
  it('computes exactly the plain and keyed links of the chain, for any entry and key length', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 20 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat({ max: 10 }),
        (raw, keyBytes, epochAt) => {
          const key = Buffer.from(keyBytes);
          const hasher = new LinkHasher((v) => (v === 3 ? null : Buffer.concat([key, Buffer.from([v])])));
          const entries = raw.map((e) => {
            const { legalSecrecy, ...rest } = e;
            return {
              ...rest,
              ...(legalSecrecy === undefined ? {} : { legalSecrecy }),
              hash: Buffer.alloc(32),
            };
          }) as ChainedEntry[];
          const epoch = entries[epochAt]?.seq ?? 0;
          const links = hasher.links(entries, epoch);
          entries.forEach((e, i) => {
            const want =
              e.seq <= epoch
                ? chainHash(e.prevHash, e.seq, e)
                : e.keyVersion === 3 || e.keyVersion === 0
                  ? null
                  : keyedChainHash(
                      Buffer.concat([key, Buffer.from([e.keyVersion])]),
                      e.keyVersion,
                      e.prevHash,
                      e.seq,
                      e,
                    );
            expect(links[i] ?? null).toEqual(want);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
