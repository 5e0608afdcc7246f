import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blake3 } from 'hash-wasm';
import {
  canonicalEntry,
  chainHash,
  keyedChainHash,
  LINK_V1,
  LINK_V2,
  type ChainedEntry,
} from './access-log.entry.ts';
import { LinkHasher } from './access-log.link-hasher.ts';
import { linkV2Hashers } from './access-log.link-v2.ts';

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
  linkFormat: fc.constantFrom(LINK_V1, LINK_V2),
});

/** The v2 link as docs/security.md defines it, computed apart from `createLinkV2`'s reused buffers. */
async function referenceV2(logKey: Buffer, e: ChainedEntry): Promise<Buffer> {
  const k2 = createHmac('sha256', logKey).update('sigilo/access-log-link/v2').digest();
  const input = Buffer.concat([
    Buffer.from(`sigilo/access-log-link/v2|${e.keyVersion}|`),
    e.prevHash,
    Buffer.from(canonicalEntry(e.seq, e), 'utf8'),
  ]);
  return Buffer.from(await blake3(input, 256, k2), 'hex');
}

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
              linkFormat: LINK_V1,
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

describe('the v2 (keyed BLAKE3) links', () => {
  it('are the documented keyed BLAKE3 of the format label, key version, previous link and canonical entry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 12 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        async (raw, keyBytes) => {
          const key = Buffer.from(keyBytes);
          const logKey = (v: number): Buffer | null =>
            v === 3 ? null : Buffer.concat([key, Buffer.from([v])]);
          const hasher = new LinkHasher(logKey, await linkV2Hashers(logKey, [0, 1, 2, 3]));
          const entries = raw.map((e) => {
            const { legalSecrecy, ...rest } = e;
            return {
              ...rest,
              ...(legalSecrecy === undefined ? {} : { legalSecrecy }),
              hash: Buffer.alloc(32),
            };
          }) as ChainedEntry[];
          const links = hasher.links(entries, 0);
          for (const [i, e] of entries.entries()) {
            const k = logKey(e.keyVersion);
            const want =
              e.keyVersion === 0 || !k
                ? null
                : e.linkFormat === LINK_V2
                  ? await referenceV2(k, e)
                  : keyedChainHash(k, e.keyVersion, e.prevHash, e.seq, e);
            expect(links[i] ?? null).toEqual(want);
            // A v2 link never equals the v1 link of the same entry under the same key.
            if (k && e.keyVersion !== 0)
              expect(want!.equals(keyedChainHash(k, e.keyVersion, e.prevHash, e.seq, e))).toBe(
                e.linkFormat === LINK_V1,
              );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
