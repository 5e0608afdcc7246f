/**
 * Live counts for the records of processing (LGPD Art. 37): stored records and distinct subjects per policy
 * category, and the access log's allowed accesses and disclosures per purpose. Counts over plain columns only —
 * never a value, never an id.
 */
import { sql } from 'kysely';
import type { Db, Tx } from '../store/store.ts';

/** Where each category's records are stored: a table, optionally one `kind`, and what one row counts for. */
const SOURCES: readonly { category: string; table: string; kind?: string; rows?: 'record_count' }[] = [
  { category: 'name', table: 'accounts' },
  { category: 'name', table: 'people' },
  { category: 'tax_id', table: 'accounts' },
  { category: 'phone', table: 'contact_points', kind: 'phone' },
  { category: 'email', table: 'contact_points', kind: 'email' },
  { category: 'ip_address', table: 'contact_points', kind: 'ip' },
  { category: 'postal_address', table: 'addresses' },
  { category: 'contract', table: 'contracts' },
  { category: 'contract', table: 'contract_events' },
  { category: 'payment', table: 'invoices' },
  { category: 'support_ticket', table: 'tickets' },
  { category: 'support_ticket', table: 'ticket_messages' },
  { category: 'support_recording', table: 'recordings' },
  { category: 'authentication_secret', table: 'credentials', kind: 'portal_password' },
  { category: 'authentication_secret', table: 'credentials', kind: 'mfa_secret' },
  { category: 'provisioning_secret', table: 'credentials', kind: 'provisioning_secret' },
  { category: 'call_record', table: 'telecom_segments', kind: 'cdr', rows: 'record_count' },
  { category: 'connection_record', table: 'telecom_segments', kind: 'connection', rows: 'record_count' },
  { category: 'access_record', table: 'telecom_segments', kind: 'access', rows: 'record_count' },
  { category: 'traffic_data', table: 'telecom_segments', kind: 'traffic', rows: 'record_count' },
  { category: 'authority_request', table: 'authority_requests' },
  { category: 'security_incident', table: 'security_incidents' },
];

export interface CategoryCount {
  records: number;
  subjects: number;
}

export interface PurposeCount {
  /** Allowed accesses recorded in the access log under this purpose. */
  accesses: number;
  /** Of those, disclosures outside the controller (exports and deliveries). */
  disclosures: number;
}

export class ProcessingRecordRepository {
  /** Records and distinct subjects per category (categories with nothing stored are absent). */
  async categoryCounts(db: Db | Tx): Promise<Map<string, CategoryCount>> {
    const out = new Map<string, CategoryCount>();
    const subjects = new Map<string, Set<string>>();
    for (const src of SOURCES) {
      const where = src.kind ? sql`where kind = ${src.kind}` : sql``;
      const rows = src.rows ? sql`coalesce(sum(record_count), 0)` : sql`count(*)`;
      const { rows: totals } = await sql<{ n: number | string }>`select ${rows} as n from ${sql.table(
        src.table,
      )} ${where}`.execute(db);
      // Distinct subjects across the category's tables: the ids are read to be counted, never returned.
      const { rows: ids } = await sql<{ subject_id: string }>`select distinct subject_id from ${sql.table(
        src.table,
      )} ${where}`.execute(db);
      const n = Number(totals[0]?.n ?? 0);
      const prev = out.get(src.category) ?? { records: 0, subjects: 0 };
      const seen = subjects.get(src.category) ?? new Set<string>();
      for (const r of ids) seen.add(r.subject_id);
      subjects.set(src.category, seen);
      out.set(src.category, { records: prev.records + n, subjects: seen.size });
    }
    for (const [k, v] of out) if (v.records === 0) out.delete(k);
    return out;
  }

  /** Allowed access-log entries and disclosures per purpose. */
  async purposeCounts(db: Db | Tx): Promise<Map<string, PurposeCount>> {
    const rows = await db
      .selectFrom('access_log')
      .where('outcome', '=', 'allowed')
      .where('purpose', 'is not', null)
      .select([
        'purpose',
        sql<number>`count(*)`.as('n'),
        sql<number>`sum(case when operation in ('export', 'deliver') then 1 else 0 end)`.as('d'),
      ])
      .groupBy('purpose')
      .execute();
    return new Map(rows.map((r) => [r.purpose!, { accesses: Number(r.n), disclosures: Number(r.d ?? 0) }]));
  }

  /** Customer subjects held (accounts and people not shredded). */
  async customerSubjects(db: Db | Tx): Promise<{ accounts: number; people: number }> {
    const rows = await db
      .selectFrom('subjects')
      .where('kind', 'in', ['account', 'person'])
      .where('shredded_at', 'is', null)
      .select(['kind', sql<number>`count(*)`.as('n')])
      .groupBy('kind')
      .execute();
    const of = (k: string): number => Number(rows.find((r) => r.kind === k)?.n ?? 0);
    return { accounts: of('account'), people: of('person') };
  }
}
