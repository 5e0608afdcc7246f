/**
 * A credential's label is free text staff type ("SIP do ramal da Maria"): it is sealed like the secret it names
 * (`label_ct`). A migration holds no key, so on a database with credentials the clear `label` column stays until
 * the first start after this migration seals every label through the gate kernel and drops it
 * (src/gate/legacy-columns.ts); with no credentials it goes at once. Frozen in time: never import application code.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('credentials').addColumn('label_ct', bytesType(db)).execute();
  const any = await db.selectFrom('credentials').select('id').limit(1).executeTakeFirst();
  if (!any) await db.schema.alterTable('credentials').dropColumn('label').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // Sealed labels cannot be opened here: they come back as a placeholder.
  if (!(await hasLabel(db))) {
    await db.schema.alterTable('credentials').addColumn('label', 'text').execute();
  }
  await sql`update credentials set label = 'credential' where label is null`.execute(db);
  await db.schema.alterTable('credentials').dropColumn('label_ct').execute();
}

async function hasLabel(db: Kysely<any>): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql`select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = 'credentials' and column_name = 'label'`.execute(
          db,
        )
      : await sql`select 1 from pragma_table_info('credentials') where name = 'label'`.execute(db);
  return r.rows.length > 0;
}
