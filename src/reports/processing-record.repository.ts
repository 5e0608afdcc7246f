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
  /**
   * Records and distinct subjects per category (categories with nothing stored are absent): one statement per
   * category, counted by the database, so no subject id is read into memory however large the store.
   */
  async categoryCounts(db: Db | Tx): Promise<Map<string, CategoryCount>> {
    const out = new Map<string, CategoryCount>();
    for (const category of [...new Set(SOURCES.map((s) => s.category))]) {
      const sources = SOURCES.filter((s) => s.category === category);
      const where = (src: (typeof SOURCES)[number]) => (src.kind ? sql`where kind = ${src.kind}` : sql``);
      const records = sql.join(
        sources.map(
          (src) =>
            sql`(select ${src.rows ? sql`coalesce(sum(record_count), 0)` : sql`count(*)`} from ${sql.table(
              src.table,
            )} ${where(src)})`,
        ),
        sql` + `,
      );
      // Distinct subjects across the category's tables (UNION removes the duplicates).
      const ids = sql.join(
        sources.map((src) => sql`select subject_id from ${sql.table(src.table)} ${where(src)}`),
        sql` union `,
      );
      const { rows } = await sql<{
        records: number | string;
        subjects: number | string;
      }>`select ${records} as records,
        (select count(*) from (${ids}) ids) as subjects`.execute(db);
      const n = Number(rows[0]?.records ?? 0);
      if (n > 0) out.set(category, { records: n, subjects: Number(rows[0]?.subjects ?? 0) });
    }
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
