/**
 * What an auditor with the sqlite3 CLI or psql finds: every table of a store, every text or byte value in it, and
 * the raw bytes of the SQLite files, searched for values a test wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Store } from '../../src/store/store.ts';

/** Every table of the store and every text or byte value in it, as found by raw SQL (sqlite3 CLI, psql). */
export async function scanForClear(store: Store, needles: readonly string[]): Promise<string[]> {
  const db = store.db as unknown as Kysely<unknown>;
  const tables =
    store.dialect === 'postgres'
      ? (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema()`.execute(db)
        ).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows;
  const hits: string[] = [];
  for (const { name } of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
    for (const row of rows) {
      for (const [col, v] of Object.entries(row)) {
        const text =
          typeof v === 'string'
            ? v
            : Buffer.isBuffer(v)
              ? v.toString('latin1')
              : v == null
                ? ''
                : JSON.stringify(v);
        for (const n of needles) if (text.includes(n)) hits.push(`${name}.${col}: ${n}`);
      }
    }
  }
  return hits;
}

/** The raw bytes of the SQLite files (database and WAL), as someone copying the data directory has them. */
export function scanFiles(dir: string, needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!/\.db(-wal)?$/.test(f)) continue;
    const bytes = fs.readFileSync(path.join(dir, f)).toString('latin1');
    for (const n of needles) if (bytes.includes(n)) hits.push(`${f}: ${n}`);
  }
  return hits;
}
