/**
 * A staff token's label is free text an administrator types: it is sealed under the staff-text key
 * (`label_ct`, src/tokens/sealing/token-labels.ts). A migration holds no key, so on a database with tokens the clear
 * `label` column stays until the first start after this migration seals every label through the gate kernel and
 * drops it (src/gate/legacy-columns.ts); with no token it goes at once. Frozen in time: never import application code.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('staff_tokens').addColumn('label_ct', bytesType(db)).execute();
  const any = await db.selectFrom('staff_tokens').select('id').limit(1).executeTakeFirst();
  if (!any) await db.schema.alterTable('staff_tokens').dropColumn('label').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // Sealed labels cannot be opened here: they come back as a placeholder.
  if (!(await hasLabel(db))) await db.schema.alterTable('staff_tokens').addColumn('label', 'text').execute();
  await sql`update staff_tokens set label = 'token' where label is null`.execute(db);
  await db.schema.alterTable('staff_tokens').dropColumn('label_ct').execute();
}

async function hasLabel(db: Kysely<any>): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql`select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = 'staff_tokens' and column_name = 'label'`.execute(
          db,
        )
      : await sql`select 1 from pragma_table_info('staff_tokens') where name = 'label'`.execute(db);
  return r.rows.length > 0;
}
