/**
 * Policy versions proposed but not yet in force: a version that loosens protection waits here for a second
 * DPO's approval. Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policy_proposals')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('proposed_by', 'text', (c) => c.notNull())
    .addColumn('proposed_at', 'text', (c) => c.notNull())
    // 'pending' until a second DPO approves ('published') or a newer proposal replaces it ('superseded').
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('policy_proposals').execute();
}
