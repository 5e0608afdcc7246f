/**
 * Blob deletions wait for their transaction (an outbox): deleting a recording or an authority request's order
 * document queues its blob key here in the transaction that deletes the row; the blob is removed only after that
 * transaction commits, and a failure leaves the key queued for the next drain. Before, the blob went first, so a
 * transaction that rolled back afterwards kept a row whose audio or document was already gone.
 * `id` is the random blob key (no personal data); `row_mac` binds it to when it was queued.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('blob_deletions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('row_mac', bytesType(db), (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('blob_deletions').execute();
}
