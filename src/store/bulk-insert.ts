/**
 * Bulk row insertion for the telecom hot path, dialect by dialect: Kysely builds and compiles a statement per
 * call, which costs more than the insert itself at hundreds of thousands of rows a second. SQLite gets cached
 * prepared statements on the transaction's own connection; PostgreSQL gets one `INSERT ... SELECT unnest(...)`
 * per chunk (arrays as parameters, close to COPY speed, and inside the caller's transaction).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { KernelTx } from './store.ts';

export type BulkColumnType = 'text' | 'bytea' | 'integer';

/** Inserts many rows of one table inside the caller's transaction. */
export interface BulkInsert {
  /** Inserts every row. */
  insert(
    tx: KernelTx,
    table: string,
    columns: readonly (readonly [string, BulkColumnType])[],
    rows: unknown[][],
  ): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`bad identifier ${name}`);
  return name;
}

/** SQLite: cached prepared statements on the one connection the transaction runs on. */
export function sqliteBulkInsert(db: BetterSqlite3.Database): BulkInsert {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const stmt = (text: string): BetterSqlite3.Statement => {
    let s = cache.get(text);
    if (!s) cache.set(text, (s = db.prepare(text)));
    return s;
  };
  const text = (
    verb: string,
    table: string,
    columns: readonly (readonly [string, BulkColumnType])[],
  ): string =>
    `${verb} into ${ident(table)} (${columns.map(([c]) => ident(c)).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  return {
    insert(_tx, table, columns, rows) {
      const s = stmt(text('insert', table, columns));
      for (const r of rows) s.run(r);
      return Promise.resolve();
    },
  };
}

const PG_CHUNK = 20_000;

/** PostgreSQL: `insert ... select * from unnest($1::t[], ...)`, one round trip per chunk. */
export function postgresBulkInsert(): BulkInsert {
  const select = (columns: readonly (readonly [string, BulkColumnType])[], rows: unknown[][]) =>
    sql.join(
      columns.map(([, type], i) => sql`${rows.map((r) => r[i])}::${sql.raw(type)}[]`),
      sql`, `,
    );
  return {
    async insert(tx, table, columns, rows) {
      for (let i = 0; i < rows.length; i += PG_CHUNK) {
        const part = rows.slice(i, i + PG_CHUNK);
        await sql`insert into ${sql.table(ident(table))} (${sql.join(columns.map(([c]) => sql.ref(ident(c))))}) select * from unnest(${select(columns, part)})`.execute(
          tx,
        );
      }
    },
  };
}
