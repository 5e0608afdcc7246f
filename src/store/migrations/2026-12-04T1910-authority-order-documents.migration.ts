/**
 * The court-order document of an authority request moves to the blob store (issue 16): sealed like a recording
 * (chunked AES-256-GCM under the request's subject key, bound to the request, its subject and the document's
 * SHA-256), named by a random key. The row keeps the blob key and the plaintext size; `document_ct` stays for
 * documents stored inline before this migration (read as before).
 * Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authority_requests').addColumn('document_blob_key', 'text').execute();
  await db.schema.alterTable('authority_requests').addColumn('document_size', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authority_requests').dropColumn('document_size').execute();
  await db.schema.alterTable('authority_requests').dropColumn('document_blob_key').execute();
}
