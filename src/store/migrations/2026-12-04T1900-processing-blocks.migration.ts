/**
 * Blocked processing (LGPD Art. 18 IV, issue 15): a category of one subject that a blocking request keeps but
 * withdraws from every purpose except those the policy marks `continuesWhenBlocked` (legal obligation, the
 * defence of rights, the subject's own requests). The gate reads this table on every access to a subject under
 * any other purpose. Ids and codes only, no personal data.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('processing_blocks')
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    // The subject request that asked for the block, and when it took effect.
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('blocked_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('processing_blocks_pk', ['subject_id', 'category'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('processing_blocks').execute();
}
