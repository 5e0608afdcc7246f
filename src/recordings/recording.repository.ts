/**
 * Read-only SQL over the plain columns of `recordings`, for sweeps (garbage collection and retention). It never
 * reads or releases audio and changes nothing: creating, completing and deleting recordings is the gate's job
 * (src/gate/recordings.gate.ts), so that every change is authorized and logged.
 */
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
export async function recordingsByAnchor(
  db: Tx | Db,
  range: { max?: string; min?: string; after: [string, string] | null; limit: number },
): Promise<RecordingAnchorRow[]> {
  let q = db
    .selectFrom('recordings as r')
    .innerJoin('tickets as t', 't.id', 'r.ticket_id')
    .select(['r.id', 'r.recorded_at', 'r.account_id', 'r.subject_id', 't.person_id'])
    .where('r.status', '=', 'complete');
  if (range.max !== undefined) q = q.where('r.recorded_at', '<=', range.max);
  if (range.min !== undefined) q = q.where('r.recorded_at', '>=', range.min);
  if (range.after) {
    const [anchor, id] = range.after;
    q = q.where((eb) =>
      eb.or([
        eb('r.recorded_at', '>', anchor),
        eb.and([eb('r.recorded_at', '=', anchor), eb('r.id', '>', id)]),
      ]),
    );
  }
  const rows = await q.orderBy('r.recorded_at').orderBy('r.id').limit(range.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    anchor: r.recorded_at,
    account_id: r.account_id,
    subject_id: r.subject_id,
    person_id: r.person_id,
  }));
}

/** Of `subjectIds`, the accounts and subjects some recording (complete or not) still refers to. */
export async function subjectsWithRecordings(
  db: Tx | Db,
  subjectIds: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ids of inChunks(subjectIds)) {
    const rows = await db
      .selectFrom('recordings')
      .select(['account_id', 'subject_id'])
      .where((eb) => eb.or([eb('account_id', 'in', ids), eb('subject_id', 'in', ids)]))
      .execute();
    for (const r of rows) {
      out.add(r.account_id);
      out.add(r.subject_id);
    }
  }
  return out;
}

/** Of `ticketIds`, those that still have a recording (complete or not): the ticket must outlive them. */
export async function ticketsWithRecordings(db: Tx | Db, ticketIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ids of inChunks(ticketIds)) {
    const rows = await db
      .selectFrom('recordings')
      .select('ticket_id')
      .distinct()
      .where('ticket_id', 'in', ids)
      .execute();
    for (const r of rows) out.add(r.ticket_id);
  }
  return out;
}

/** Lists cut to stay under every dialect's bound-parameter limit. */
function inChunks<T>(list: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
