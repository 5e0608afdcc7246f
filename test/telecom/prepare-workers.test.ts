/**
 * CDR batches are prepared in the calling thread while a worker hashes their natural keys and terms from the encoded payloads: the result must be
 * exactly what preparing everything in one thread gives, including the records dropped as repeats in the batch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TelecomPreparer } from '../../src/telecom/sealing/telecom-prepare.pool.ts';
import { generateCdrs } from '../support/synthetic/synthetic-cdr.ts';
import { createTestSigilo } from '../support/sigilo.ts';

describe('CDR preparation with a key-hashing worker', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('gives the same segments, keys and duplicate counts as preparing in one thread', async () => {
    const t = await createTestSigilo('sqlite');
    const here = new TelecomPreparer(t.sigilo.keyring, 0);
    const pooled = new TelecomPreparer(t.sigilo.keyring, 2);
    cleanup = async () => {
      await pooled.close();
      await t.cleanup();
    };
    const cdrs = [...generateCdrs({ count: 5000, seed: 31 })];
    // Repeats inside the batch, within one segment and across segments of the same day.
    const batch = [...cdrs, cdrs[10]!, cdrs[4000]!, cdrs[10]!];
    const target = { accountId: 'acct-1' };
    const a = await here.prepareCdrs(batch, target);
    const [b, c] = await Promise.all([pooled.prepareCdrs(batch, target), pooled.prepareCdrs(cdrs, target)]);
    expect(b).toEqual(a);
    expect(a.accounts[0]!.duplicates).toBe(3);
    const count = (x: typeof a) => x.accounts[0]!.segments.reduce((n, s) => n + s.count, 0);
    expect(count(a)).toBe(5000);
    expect(count(c)).toBe(5000);
    // Two workers each load the sources through tsx first: tens of seconds on a loaded 2-core machine.
  }, 120_000);

  it('a batch whose worker is stopped mid-hash is refused, and the next batch gets a new worker', async () => {
    const t = await createTestSigilo('sqlite');
    const pooled = new TelecomPreparer(t.sigilo.keyring, 1);
    cleanup = async () => {
      await pooled.close();
      await t.cleanup();
    };
    const cdrs = [...generateCdrs({ count: 2000, seed: 32 })];
    const target = { accountId: 'acct-1' };
    await pooled.prepareCdrs(cdrs, target); // starts the worker
    const inFlight = pooled.prepareCdrs(cdrs, target);
    await pooled.close();
    await expect(inFlight).rejects.toThrow();
    const again = await pooled.prepareCdrs(cdrs, target);
    expect(again.accounts[0]!.segments.reduce((n, s) => n + s.count, 0)).toBe(2000);
  });
});
