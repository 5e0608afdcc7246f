/**
 * Staff free text of legal holds and of the histories of holds, authority requests and subject requests is sealed:
 * a hold's `reason`, `release_reason` and its two references become `*_ct`, and each event's `details` JSON
 * becomes `details_ct` (src/retention/sealing, src/authority-requests/sealing, src/subject-requests/sealing).
 * A migration holds no key, so on a database with such rows the clear columns stay until the first start after
 * this migration seals them through the gate kernel and drops them (src/gate/legacy-columns.ts); a table with no
 * rows loses them at once. Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

/** Each table, its clear columns and the sealed column that replaces each. */
const COLUMNS: { table: string; columns: [clear: string, sealed: string][] }[] = [
  {
    table: 'legal_holds',
    columns: [
      ['reason', 'reason_ct'],
      ['release_reason', 'release_reason_ct'],
      ['authority_request_ref', 'authority_request_ref_ct'],
      ['court_request_ref', 'court_request_ref_ct'],
    ],
  },
  { table: 'legal_hold_events', columns: [['details', 'details_ct']] },
  { table: 'authority_request_events', columns: [['details', 'details_ct']] },
  { table: 'subject_request_events', columns: [['details', 'details_ct']] },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const { table, columns } of COLUMNS) {
    for (const [, sealed] of columns) {
      await db.schema.alterTable(table).addColumn(sealed, bytesType(db)).execute();
    }
    const any = await db.selectFrom(table).select('id').limit(1).executeTakeFirst();
    if (!any) for (const [clear] of columns) await db.schema.alterTable(table).dropColumn(clear).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // Sealed text cannot be opened here: it comes back as a placeholder.
  for (const { table, columns } of COLUMNS) {
    for (const [clear, sealed] of columns) {
      if (!(await hasColumn(db, table, clear))) {
        await db.schema.alterTable(table).addColumn(clear, 'text').execute();
        const placeholder = clear === 'details' ? '{}' : clear === 'reason' ? 'sealed' : null;
        if (placeholder !== null) {
          await sql`update ${sql.table(table)} set ${sql.ref(clear)} = ${placeholder} where ${sql.ref(clear)} is null`.execute(
            db,
          );
        }
      }
      await db.schema.alterTable(table).dropColumn(sealed).execute();
    }
  }
}

async function hasColumn(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql`select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(
          db,
        )
      : await sql`select 1 from pragma_table_info(${table}) where name = ${column}`.execute(db);
  return r.rows.length > 0;
}
