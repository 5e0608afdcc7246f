/**
 * Blobs (recording audio, authority order documents) are removed only after the deletion of their row commits.
 * The deleting session queues the blob key in `blob_deletions`, in its own transaction; once it commits, the blob
 * is removed and the key dequeued. A transaction that rolls back queues nothing and removes nothing, so a row never
 * outlives its blob; a blob store that fails after the commit leaves the key queued, and the next drain (every
 * retention sweep, every start) removes it. Before, the blob went first and a rollback afterwards kept a row whose
 * audio or document was already gone.
 *
 * A queued key carries a row MAC: someone who can write the database but holds no key cannot plant a live
 * recording's blob key here to have Sigilo destroy its audio. A planted or edited row is refused and left in place.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AccessContext } from '../../gate/access-context.ts';
import type { Gate, GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import type { BlobStore } from '../blob-store.ts';
import { assertBlobKey } from '../blob-store.ts';

const TABLE = 'blob_deletions';
// Keys one drain of the whole queue takes on (the next sweep takes the rest).
const DRAIN_BATCH = 500;

// Upkeep of what an authorised, logged deletion already decided: the queue holds random blob keys only.
const UPKEEP: AccessContext = {
  actor: 'sigilo',
  role: 'system',
  purpose: 'legal_obligation',
  requestId: 'upkeep:blob-deletions',
};

/** What one drain did. */
export interface BlobDrainReport {
  /** Blobs removed and dequeued. */
  removed: number;
  /** Blobs the store failed to remove (still queued). */
  failed: number;
  /** Queued keys whose MAC does not match (planted or edited; left in place, never acted on). */
  refused: number;
}

/** The outbox of blob deletions (see the file comment). */
export class BlobDeletions {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly gate: Gate,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * In `session`'s transaction: queues `blobKey`, and removes the blob once the transaction has committed (never
   * after a rollback). The caller has authorised and logged the deletion of what the blob belongs to.
   */
  async queue(session: GateSession, blobKey: string): Promise<void> {
    assertBlobKey(blobKey);
    const k = kernelOf(session);
    const row = { id: blobKey, queued_at: k.now().toISOString() };
    await k.tx
      .insertInto(TABLE)
      .values({ ...row, row_mac: await k.rowMacOf(TABLE, row) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    k.afterCommit(() => {
      this.pending = this.pending.then(() => this.drain([blobKey])).catch(() => undefined);
    });
  }

  /**
   * Removes the queued blobs (only `keys` when given), then dequeues them; what fails stays for the next drain.
   * No transaction is held while the blob store works (it may be S3).
   */
  async drain(keys?: readonly string[]): Promise<BlobDrainReport> {
    const report: BlobDrainReport = { removed: 0, failed: 0, refused: 0 };
    if (keys?.length === 0) return report;
    const good = await this.gate.run(UPKEEP, async (s) => {
      const k = kernelOf(s);
      let q = k.tx.selectFrom(TABLE).select(['id', 'queued_at', 'row_mac']).orderBy('queued_at');
      q = keys ? q.where('id', 'in', keys) : q.limit(DRAIN_BATCH);
      const out: string[] = [];
      for (const r of await q.execute()) {
        const want = await k.rowMacOf(TABLE, r);
        const mac = r.row_mac as Buffer | null;
        if (mac && mac.length === want.length && timingSafeEqual(mac, want)) out.push(r.id);
        else report.refused++;
      }
      return out;
    });
    const removed: string[] = [];
    for (const key of good) {
      try {
        await this.blobs.delete(key);
        removed.push(key);
      } catch {
        report.failed++;
      }
    }
    if (removed.length > 0) {
      await this.gate.run(UPKEEP, (s) =>
        kernelOf(s).tx.deleteFrom(TABLE).where('id', 'in', removed).execute(),
      );
    }
    report.removed = removed.length;
    return report;
  }

  /** Resolves once the removals started by commits so far have run (shutdown, tests). */
  settled(): Promise<void> {
    return this.pending.then(() => undefined);
  }
}
