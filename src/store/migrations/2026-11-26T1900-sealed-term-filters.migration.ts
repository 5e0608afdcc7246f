/**
 * Segment term filters sealed under the account's data key (`term_filter_ct`), with bit positions from a fast
 * unkeyed hash of each term: a keyed hash per term was a third of the CPU of preparing a CDR for storage.
 * Segments stored before keep their clear filter of keyed hashes (`term_filter`, format 1); searches read both.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('telecom_segments').addColumn('term_filter_ct', bytesType(db)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('telecom_segments').dropColumn('term_filter_ct').execute();
}
