/**
 * Retention of support-call recordings (category `support_recording`): by default 6 months from the recording
 * (Res. Anatel 632/2014, Art. 26; Decreto 11.034/2022, Art. 12 §3º), counted from `recorded_at`. Each expired
 * recording goes through the gate (authorized, logged), blob first and then its row. Recordings go before
 * tickets (order 40 < 70), and a guard keeps a ticket while any recording of it remains (one under a legal hold,
 * say), since the row references it.
 */
import type { GateSession } from '../gate/gate.ts';
import { deleteRecording } from './sealing/recordings.gate.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionRegistry,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention/retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch } from '../retention/targets/anchored-scan.ts';
import type { Tx } from '../store/store.ts';
import type { BlobDeletions } from './sealing/blob-deletions.ts';
import {
  recordingsByAnchor,
  subjectsWithRecordings,
  ticketsWithRecordings,
  type RecordingAnchorRow,
} from './recording.repository.ts';

/** The id of the tickets target whose deletion must wait for recordings. */
const TICKETS_TARGET = 'core.tickets';

/** Support-call recordings as a retention target. */
export class RecordingRetentionTarget implements RetentionTarget {
  readonly id = 'recordings';
  readonly category = 'support_recording';
  readonly description = 'gravações dos atendimentos';
  readonly order = 40;

  constructor(private readonly deletions: BlobDeletions) {}

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && rule.anchor === 'record_created';
  }

  private fetch(db: Tx): AnchoredFetch<RecordingAnchorRow> {
    return (range) => recordingsByAnchor(db, range);
  }

  scan(q: ScanQuery): Promise<ScanResult> {
    return anchoredScan(q, 'instant', this.fetch(q.db), (row, at, expiresAt) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [row.account_id],
      people: row.person_id ? [row.person_id] : [],
      from: at,
      to: at,
      expiresAt,
    }));
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    for (const item of items) {
      const deleted = await deleteRecording(session, item.id, 'retention period over', (key) =>
        this.deletions.queue(session, key),
      );
      if (deleted) records += 1;
    }
    return {
      records,
      subjects: [...new Set(items.flatMap((i) => [...i.accounts, ...i.people, i.subjectId]))],
    };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    return subjectsWithRecordings(db, subjectIds);
  }
}

/** Plugs recordings into the retention engine: the target, and the guard that keeps their tickets. */
export function registerRecordingRetention(registry: RetentionRegistry, deletions: BlobDeletions): void {
  registry.register(new RecordingRetentionTarget(deletions));
  // Before and after every sweep: the blobs its commits queued, and any a crash or a failing store left.
  registry.upkeep(async () => {
    await deletions.settled();
    await deletions.drain();
  });
  registry.guard(TICKETS_TARGET, (db, ticketIds) => ticketsWithRecordings(db, ticketIds));
}
