/**
 * Access-log link format (docs/security.md): 1 for the HMAC-SHA-256 links (and the plain links before the epoch)
 * of every entry written before this migration, 2 for the keyed-BLAKE3 links appended from now on. The verifier
 * refuses a v1 entry after a v2 one, so the column cannot be used to downgrade. The format of an entry cannot be
 * told from its row without the key, so `down` keeps the v2 entries' seqs in `access_log_link_formats_kept` and
 * `up` puts them back (otherwise a downgrade and upgrade would relabel every v2 entry v1 and break the chain).
 * Frozen in time: never import application code.
 */
import { sql, type Kysely } from 'kysely';
import { bigintType, dialectOf } from './portable.ts';

const KEPT = 'access_log_link_formats_kept';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('access_log')
    .addColumn('link_format', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  if (!(await keptExists(db))) return;
  await sql`update access_log set link_format = (select k.link_format from ${sql.table(KEPT)} k
    where k.seq = access_log.seq) where seq in (select seq from ${sql.table(KEPT)})`.execute(db);
  await db.schema.dropTable(KEPT).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(KEPT)
    .ifNotExists()
    .addColumn('seq', bigintType(db), (c) => c.primaryKey())
    .addColumn('link_format', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into ${sql.table(KEPT)} (seq, link_format)
    select seq, link_format from access_log where link_format <> 1`.execute(db);
  await db.schema.alterTable('access_log').dropColumn('link_format').execute();
}

async function keptExists(db: Kysely<any>): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql<{ t: string | null }>`select to_regclass(${KEPT})::text as t`.execute(db)
      : await sql<{
          t: string | null;
        }>`select name as t from sqlite_master where type = 'table' and name = ${KEPT}`.execute(db);
  return (r.rows[0]?.t ?? null) !== null;
}
