/**
 * Access-log link format (docs/security.md): 1 for the HMAC-SHA-256 links (and the plain links before the epoch)
 * of every entry written before this migration, 2 for the keyed-BLAKE3 links appended from now on. The verifier
 * refuses a v1 entry after a v2 one, so the column cannot be used to downgrade. Frozen in time: never import
 * application code.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('access_log')
    .addColumn('link_format', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('access_log').dropColumn('link_format').execute();
}
