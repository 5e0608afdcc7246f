/**
 * Telecom segments get `header_mac` (issue 13 §5): a keyed MAC over every plain column of the segment — owner
 * (account, subject), period (day, time range), record count, position in its key group (`seq`), provenance, term
 * filter and the natural-key hashes. The key is derived from the master key, which a migration never holds, so
 * existing segments keep a NULL MAC: the application accepts such a segment only when each of its plain columns
 * agrees with its sealed payload (whose associated data binds row, subject and key version), and writes every new
 * segment with a MAC.
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('telecom_segments').addColumn('header_mac', bytesType(db)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('telecom_segments').dropColumn('header_mac').execute();
}
