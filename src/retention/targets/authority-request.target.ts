/**
 * Retention of authority requests (category `authority_request`): kept by default 5 years from the request (the
 * policy's rule: LGPD Art. 16, I and II — compliance with a legal obligation — with the limitation periods the
 * provider may have to answer within; marked unverified, **to be confirmed** by the legal team), then deleted
 * through the gate with a deletion certificate: the request's history, its row, its sealed order document in the
 * blob store, and its own subject key (crypto-shredded, so any copy of its sealed fields in a backup is unreadable).
 * Only requests that are done (delivered, closed, rejected, cancelled) expire; one whose preservation holds are
 * still active is kept until they are released or lapse. Answer packages are not stored (only their SHA-256).
 */
import { historyHead } from '../../gate/record-macs.ts';
import type { GateSession } from '../../gate/gate.ts';
import type { RetentionRule } from '../../policy/policy.schema.ts';
import type { BlobDeletions } from '../../recordings/sealing/blob-deletions.ts';
import type { Tx } from '../../store/store.ts';
import type { RetentionClock } from '../retention-clock.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionRegistry,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch } from './anchored-scan.ts';
import { anchorPage, chunks } from './target-queries.ts';

/** Terminal states: nothing more is due on the request. */
const DONE = ['delivered', 'closed', 'rejected', 'cancelled'];

interface RequestAnchorRow {
  id: string;
  anchor: string;
  subject_id: string;
  window_from: string | null;
  hold_ids: string;
  created_at: string;
  updated_at: string;
}

/** Ids of holds among `ids` that are still active (not released, not lapsed) at `now`. */
async function activeHolds(db: Tx, ids: readonly string[], now: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...ids])) {
    const rows = await db
      .selectFrom('legal_holds')
      .select('id')
      .where('id', 'in', part)
      .where('released_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

/** Authority requests (with their history and order document) as a retention target. */
export class AuthorityRequestTarget implements RetentionTarget {
  readonly id = 'authority.requests';
  readonly category = 'authority_request';
  readonly description = 'requisições de autoridades, seu histórico e a cópia da ordem';
  readonly order = 90;

  constructor(private readonly deletions: BlobDeletions) {}

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && rule.anchor === 'record_created';
  }

  private fetch(db: Tx): AnchoredFetch<RequestAnchorRow> {
    return async (range) => {
      const q = db
        .selectFrom('authority_requests')
        .select(['id', 'subject_id', 'window_from', 'hold_ids', 'created_at', 'updated_at'])
        .where('state', 'in', DONE);
      const rows = await anchorPage(q, 'created_at', 'id', range).execute();
      return rows.map((r) => ({ ...r, anchor: r.created_at }));
    };
  }

  async scan(q: ScanQuery): Promise<ScanResult> {
    const held = new Map<string, string[]>();
    const page = await anchoredScan(q, 'instant', this.fetch(q.db), (row, at) => {
      const holds = JSON.parse(row.hold_ids) as string[];
      if (holds.length) held.set(row.id, holds);
      return {
        id: row.id,
        subjectId: row.subject_id,
        accounts: [],
        people: [],
        from: row.window_from && row.window_from < at ? row.window_from : at,
        to: row.updated_at > at ? row.updated_at : at,
      };
    });
    if (held.size === 0) return page;
    // A request whose preservation holds still run is kept with them.
    const active = await activeHolds(q.db, [...held.values()].flat(), nowOf(q.clock));
    return {
      ...page,
      items: page.items.filter((i) => !(held.get(i.id) ?? []).some((h) => active.has(h))),
    };
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    let records = 0;
    const blobs: string[] = [];
    for (const part of chunks(items.map((i) => i.id))) {
      for (const r of await session.tx
        .selectFrom('authority_requests')
        .select('document_blob_key')
        .where('id', 'in', part)
        .execute())
        if (r.document_blob_key) blobs.push(r.document_blob_key);
      records += Number(
        (
          await session.tx
            .deleteFrom('authority_request_events')
            .where('request_id', 'in', part)
            .executeTakeFirst()
        ).numDeletedRows,
      );
      // The histories' heads go with them (record-macs.ts): a head left behind would bind nothing.
      await session.tx
        .deleteFrom('record_heads')
        .where(
          'name',
          'in',
          part.map((id) => historyHead('authority_request_events', id)),
        )
        .execute();
      records += await session.deleteWhereIn('authorityRequests', 'id', part);
    }
    // Each request is its own subject: its key goes with it, so a backup's copy of its sealed fields is unreadable.
    for (const i of items) await session.shredSubject(i.subjectId, 'authority request retention period over');
    // The documents go once this transaction commits: a failure above rolls the rows back and keeps them.
    for (const key of blobs) await this.deletions.queue(session, key);
    return { records, subjects: [] };
  }

  references(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }
}

function nowOf(clock: RetentionClock): string {
  return clock.nowIso();
}

/** Registers the authority requests' retention target. */
export function registerAuthorityRequestRetention(
  registry: RetentionRegistry,
  deletions: BlobDeletions,
): void {
  registry.register(new AuthorityRequestTarget(deletions));
}
