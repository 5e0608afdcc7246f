/**
 * SQL over the plain columns of authority requests and their insert-only history. The sealed columns (targets,
 * contact, order document) and the history (its details are sealed) are never selected here: they go through
 * the gate (src/authority-requests/sealing).
 */
import { sql } from 'kysely';
import type { Db, StoreDialect, Tx } from '../store/store.ts';

/** The plain columns of a request. */
export const PLAIN_COLUMNS = [
  'id',
  'subject_id',
  'external_reference',
  'country',
  'authority_name',
  'authority_type',
  'order_legal_basis',
  'court_order_ref',
  'request_types',
  'categories',
  'target_count',
  'window_from',
  'window_to',
  'deadline',
  'urgent',
  'secret',
  'state',
  'document_content_type',
  'document_sha256',
  'document_blob_key',
  'document_size',
  'hold_ids',
  'package_sha256',
  'created_by',
  'approved_by',
  'approved_at',
  'delivered_at',
  'closed_at',
  'created_at',
  'updated_at',
] as const;
export type PlainRequestRow = {
  [K in (typeof PLAIN_COLUMNS)[number]]: K extends 'target_count' | 'urgent' | 'secret'
    ? number
    : K extends 'document_size'
      ? number | string | null
      : string | null;
} & {
  id: string;
  subject_id: string;
  state: string;
  created_by: string;
  deadline: string;
  created_at: string;
};

/** Terminal states: nothing is due any more. */
export const DONE_STATES = ['delivered', 'closed', 'rejected', 'cancelled'];

export class AuthorityRequestRepository {
  constructor(private readonly dialect: StoreDialect) {}

  /** One request's plain columns, locked for update on PostgreSQL (two people approving at once). */
  async get(db: Tx | Db, id: string, forUpdate = false): Promise<PlainRequestRow | undefined> {
    let q = db
      .selectFrom('authority_requests')
      .select([...PLAIN_COLUMNS])
      .where('id', '=', id);
    if (forUpdate && this.dialect === 'postgres') q = q.forUpdate();
    return await q.executeTakeFirst();
  }

  /** Requests newest first, optionally by state or only those past their deadline and not done. */
  async list(
    db: Tx | Db,
    filter: { state?: string; overdueAt?: string; limit?: number },
  ): Promise<PlainRequestRow[]> {
    let q = db.selectFrom('authority_requests').select([...PLAIN_COLUMNS]);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.overdueAt)
      q = q.where('deadline', '<', filter.overdueAt).where('state', 'not in', DONE_STATES);
    const rows = await q
      .orderBy(filter.overdueAt ? 'deadline' : 'created_at', filter.overdueAt ? 'asc' : 'desc')
      .orderBy('id')
      .limit(Math.min(filter.limit ?? 100, 1000))
      .execute();
    return rows;
  }

  /** Requests per month (UTC, YYYY-MM) and authority type: counts only, never a target. */
  async monthlyCounts(db: Tx | Db): Promise<{ month: string; authorityType: string; count: number }[]> {
    const month = sql<string>`substr(created_at, 1, 7)`;
    const rows = await db
      .selectFrom('authority_requests')
      .select([month.as('month'), 'authority_type', sql<number>`count(*)`.as('n')])
      .groupBy([month, 'authority_type'])
      .orderBy(month)
      .orderBy('authority_type')
      .execute();
    return rows.map((r) => ({ month: r.month, authorityType: r.authority_type, count: Number(r.n) }));
  }
}
