/**
 * The core sealed tables get `row_mac` (issue 13 §5): a keyed MAC over the plain columns that say whose data a row
 * is, when it goes and under which policy version it was collected (src/gate/sealed-tables.ts, ROW_MACS). A
 * migration holds no key, so the column starts NULL; the first start after it creates the row-MAC key and MACs
 * every row in the same transaction (src/gate/row-mac-backfill.ts). From then on a NULL MAC is an integrity
 * error, not a "legacy" row. A migration cannot compute a MAC, so `down` keeps the MACs in `row_macs_kept` and
 * `up` puts them back (a down and up again loses none; rows written in between have none and are refused).
 * Frozen in time: never import application code.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

const TABLES = [
  'accounts',
  'people',
  'contact_points',
  'addresses',
  'contracts',
  'contract_events',
  'invoices',
  'tickets',
  'ticket_messages',
  'credentials',
  'attribution_rules',
  'authority_requests',
  'security_incidents',
];

const KEPT = 'row_macs_kept';

export async function up(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await db.schema.alterTable(t).addColumn('row_mac', bytesType(db)).execute();
  if (!(await keptExists(db))) return;
  for (const t of TABLES) {
    await sql`update ${sql.table(t)} set row_mac = (select k.row_mac from ${sql.table(KEPT)} k
      where k.tbl = ${t} and k.id = ${sql.table(t)}.id)`.execute(db);
  }
  await db.schema.dropTable(KEPT).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(KEPT)
    .ifNotExists()
    .addColumn('tbl', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('row_mac', bytesType(db), (c) => c.notNull())
    .execute();
  for (const t of TABLES) {
    await sql`insert into ${sql.table(KEPT)} (tbl, id, row_mac)
      select ${t}, id, row_mac from ${sql.table(t)} where row_mac is not null`.execute(db);
    await db.schema.alterTable(t).dropColumn('row_mac').execute();
  }
}

async function keptExists(db: Kysely<any>): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql<{ t: string | null }>`select to_regclass(${KEPT})::text as t`.execute(db)
      : await sql<{
          t: string;
        }>`select name as t from sqlite_master where type = 'table' and name = ${KEPT}`.execute(db);
  return r.rows.length > 0 && r.rows[0]!.t != null;
}
