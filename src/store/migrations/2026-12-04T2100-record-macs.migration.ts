/**
 * Record MACs (issue 13, the last trust gaps): legal holds, subject requests and account links get `row_mac`; the
 * histories of holds, authority requests and subject requests get `seq` (an event's position, numbered here from
 * the order the readers used: time, then id) and `row_mac`; `record_heads` holds the keyed heads that bind a set
 * of rows (the holds not released, each history's events) so that a deleted row is noticed. A migration holds no
 * key: the MACs start NULL and the first start after it creates the record-MAC key and MACs every row in the same
 * logged transaction (src/gate/record-mac-backfill.ts); from then on NULL is a mismatch. A migration cannot
 * compute a MAC, so `down` keeps the MACs, positions and heads in `record_macs_kept` and `up` puts them back (a
 * down and up again loses none; rows written in between have none and are refused), as the core-row-MAC one does.
 * Frozen in time: never import application code.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

const MACED = ['legal_holds', 'subject_requests', 'account_people'];
const KEPT = 'record_macs_kept';
/** How a kept row names its row (qualified: inside the restoring subquery a bare `id` is the kept row's): the
 * id, or for account links the account and the person. */
const keyOf = (t: string) =>
  t === 'account_people'
    ? sql`account_people.account_id || '/' || account_people.person_id`
    : sql`${sql.table(t)}.id`;
const HISTORIES: [string, string][] = [
  ['legal_hold_events', 'hold_id'],
  ['authority_request_events', 'request_id'],
  ['subject_request_events', 'request_id'],
];

export async function up(db: Kysely<any>): Promise<void> {
  const kept = await keptExists(db);
  for (const t of MACED) await db.schema.alterTable(t).addColumn('row_mac', bytesType(db)).execute();
  for (const [t, parent] of HISTORIES) {
    await db.schema.alterTable(t).addColumn('seq', 'integer').execute();
    await db.schema.alterTable(t).addColumn('row_mac', bytesType(db)).execute();
    // Both dialects have window functions (SQLite since 3.25).
    await sql`update ${sql.table(t)} set seq = (select n.seq from (select id, row_number() over
      (partition by ${sql.ref(parent)} order by at, id) as seq from ${sql.table(t)}) n
      where n.id = ${sql.table(t)}.id)`.execute(db);
    await db.schema.createIndex(`${t}_seq`).on(t).columns([parent, 'seq']).unique().execute();
  }
  await db.schema
    .createTable('record_heads')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('row_mac', bytesType(db))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  if (!kept) return;
  for (const t of [...MACED, ...HISTORIES.map(([h]) => h)]) {
    await sql`update ${sql.table(t)} set row_mac = (select k.row_mac from ${sql.table(KEPT)} k
      where k.tbl = ${t} and k.id = ${keyOf(t)})`.execute(db);
  }
  await sql`insert into record_heads (name, count, row_mac, updated_at)
    select id, count, row_mac, updated_at from ${sql.table(KEPT)} where tbl = 'record_heads'`.execute(db);
  await db.schema.dropTable(KEPT).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(KEPT)
    .ifNotExists()
    .addColumn('tbl', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer')
    .addColumn('count', 'integer')
    .addColumn('row_mac', bytesType(db))
    .addColumn('updated_at', 'text')
    .execute();
  for (const t of MACED) {
    await sql`insert into ${sql.table(KEPT)} (tbl, id, row_mac)
      select ${t}, ${keyOf(t)}, row_mac from ${sql.table(t)} where row_mac is not null`.execute(db);
  }
  for (const [t] of HISTORIES) {
    await sql`insert into ${sql.table(KEPT)} (tbl, id, seq, row_mac)
      select ${t}, id, seq, row_mac from ${sql.table(t)}`.execute(db);
  }
  await sql`insert into ${sql.table(KEPT)} (tbl, id, count, row_mac, updated_at)
    select 'record_heads', name, count, row_mac, updated_at from record_heads`.execute(db);
  await db.schema.dropTable('record_heads').execute();
  for (const [t] of HISTORIES) {
    await db.schema.dropIndex(`${t}_seq`).execute();
    await db.schema.alterTable(t).dropColumn('row_mac').execute();
    await db.schema.alterTable(t).dropColumn('seq').execute();
  }
  for (const t of MACED) await db.schema.alterTable(t).dropColumn('row_mac').execute();
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
