/**
 * Read-only SQL over the plain columns of `recordings`, for sweeps (garbage collection and retention). It never
 * reads or releases audio and changes nothing: creating, completing and deleting recordings is the gate's job
 * (src/gate/recordings.gate.ts), so that every change is authorized and logged.
 */
import type { AnchorRange } from '../retention/targets/anchored-scan.ts';
import { anchorPage, presentIn } from '../retention/targets/target-queries.ts';
import type { Db, Tx } from '../store/store.ts';

/** A recording as a retention sweep sees it: ids, owners and the instant retention counts from. */
export interface RecordingAnchorRow {
  id: string;
  /** `recorded_at`, ISO-8601 UTC. */
  anchor: string;
  account_id: string;
  subject_id: string;
  /** The ticket's person, when the recording belongs to one. */
  person_id: string | null;
}

/** Ids of complete recordings made before `before` (oldest first). */
export async function expiredRecordingIds(db: Tx | Db, before: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('recordings')
    .select('id')
    .where('status', '=', 'complete')
    .where('recorded_at', '<', before)
    .orderBy('recorded_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Ids of uploads begun before `before` and never completed (oldest first). */
export async function abandonedUploadIds(db: Tx | Db, before: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('recordings')
    .select('id')
    .where('status', '=', 'uploading')
    .where('created_at', '<', before)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Complete recordings in (recorded_at, id) order within a range, for the retention engine's keyset scans. */
export async function recordingsByAnchor(db: Tx | Db, range: AnchorRange): Promise<RecordingAnchorRow[]> {
  const q = db
    .selectFrom('recordings as r')
    .innerJoin('tickets as t', 't.id', 'r.ticket_id')
    .select(['r.id', 'r.recorded_at', 'r.account_id', 'r.subject_id', 't.person_id'])
    .where('r.status', '=', 'complete');
  const rows = await anchorPage(q, 'r.recorded_at', 'r.id', range).execute();
  return rows.map((r) => ({
    id: r.id,
    anchor: r.recorded_at,
    account_id: r.account_id,
    subject_id: r.subject_id,
    person_id: r.person_id,
  }));
}

/** Of `subjectIds`, those some recording (complete or not) still refers to, as its account or its subject. */
export function subjectsWithRecordings(db: Tx | Db, subjectIds: readonly string[]): Promise<Set<string>> {
  return presentIn(db, 'recordings', ['account_id', 'subject_id'], subjectIds);
}

/** Of `ticketIds`, those that still have a recording (complete or not): the ticket must outlive them. */
export function ticketsWithRecordings(db: Tx | Db, ticketIds: readonly string[]): Promise<Set<string>> {
  return presentIn(db, 'recordings', ['ticket_id'], ticketIds);
}
