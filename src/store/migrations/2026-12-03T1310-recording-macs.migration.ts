/**
 * Recordings get `row_mac` (issue 13 §5): a keyed MAC over every plain column — ticket, account and subject, the
 * recording date retention counts from, content type, sizes, chunking, blob key and digest, provenance. Its key is
 * derived from the master key, which a migration never holds: existing rows keep a NULL MAC and are accepted only
 * while their ticket, account and subject agree with each other; new and completed rows always get one.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('recordings').addColumn('row_mac', bytesType(db)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('recordings').dropColumn('row_mac').execute();
}
