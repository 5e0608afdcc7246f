import { PostgresAdapter, type Kysely } from 'kysely';

/** The SQL dialects Sigilo's migrations are written for. */
export type MigrationDialect = 'sqlite' | 'postgres';

/** Names the dialect a migration runs on, so a dialect-specific case can be written explicitly (the n8n habit). */
export function dialectOf(db: Kysely<any>): MigrationDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Column type for ciphertexts and hashes: `bytea` on PostgreSQL, `blob` on SQLite. */
export function bytesType(db: Kysely<any>): 'bytea' | 'blob' {
  return dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
}

/** Column type for 64-bit integers (sequence numbers, epoch milliseconds). */
export function bigintType(db: Kysely<any>): 'bigint' | 'integer' {
  return dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
}
