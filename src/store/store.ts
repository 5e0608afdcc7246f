import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type SchemaMetadata,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { SigiloError } from '../errors.ts';
import { ensurePrivateFile, PRIVATE_DIR_MODE } from '../config/private-files.ts';
import { postgresBulkInsert, sqliteBulkInsert, type BulkInsert } from './bulk-insert.ts';
import type { Database, PlainDatabase } from './database.ts';
import { migrationProvider } from './migrations/index.ts';

export type StoreDialect = 'sqlite' | 'postgres';
/** The database as services and repositories see it: plain columns only (see PlainDatabase). */
export type Db = Kysely<PlainDatabase>;
/** The database with the sealed columns in view (kernel, sealing extensions, key ring, store). */
export type KernelDb = Kysely<Database>;
/** A transaction as services, repositories and jobs see it: plain columns only (see PlainDatabase). */
export type Tx = Transaction<PlainDatabase>;
/** The same transaction with the sealed columns in view: the gate kernel, its sealing extensions and the key ring. */
export type KernelTx = Transaction<Database>;

/**
 * The sealed view of a transaction (the same object, typed with every column). Lint allows it only in the gate
 * kernel, the sealing extensions (src/<capability>/sealing), the key ring and the store.
 */
export function sealedView(db: Tx | KernelTx): KernelTx;
export function sealedView(db: Db | KernelDb): KernelDb;
export function sealedView(db: Tx | KernelTx | Db | KernelDb): KernelTx | KernelDb {
  return db as unknown as KernelTx | KernelDb;
}

/** The database behind Sigilo: SQLite (embedded default) or PostgreSQL, behind one Kysely instance. */
export interface Store {
  readonly db: Db;
  readonly dialect: StoreDialect;
  /** Dialect-specific bulk insertion for the telecom hot path (inside a Kysely transaction). */
  readonly bulk: BulkInsert;
  /** Runs `work` in one transaction; PostgreSQL uses READ COMMITTED with explicit row locks where order matters. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * How another thread opens its own read-only connection to the same database (access-log verification in
   * worker threads); absent for an in-memory SQLite database, which no other connection can see.
   */
  readonly source?: StoreSource;
}

/** A database another thread can open: the SQLite file, or the PostgreSQL client settings (plain, cloneable). */
export type StoreSource =
  | { dialect: 'sqlite'; file: string }
  | {
      dialect: 'postgres';
      client: {
        connectionString: string;
        ssl: false | { rejectUnauthorized: boolean; ca?: string };
        options?: string;
      };
    };

export interface PostgresOptions {
  connectionString: string;
  /** Schema to use as search_path (tests isolate themselves with one schema each). */
  schema?: string;
  /** TLS to PostgreSQL: `require` verifies nothing, `verify-full` checks the certificate against `caFile`. */
  sslMode?: 'disable' | 'require' | 'verify-full';
  caFile?: string;
  maxConnections?: number;
}

// int8 (bigint) comes back as a JS number: sequence numbers and epoch-ms stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function makeStore(db: KernelDb, dialect: StoreDialect, bulk: BulkInsert, source?: StoreSource): Store {
  return {
    ...(source ? { source } : {}),
    // One object, two views: services are handed the plain one; sealedView gives the kernel its columns back.
    db: db as unknown as Db,
    dialect,
    bulk,
    transaction: (work) => db.transaction().execute((tx) => work(tx as unknown as Tx)),
    close: () => db.destroy(),
  };
}

/** Opens (creating if needed) the embedded SQLite store at `file`. */
export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // SQLite creates its -wal and -shm files with the database file's mode: a 0600 database keeps all three private.
    ensurePrivateFile(file);
    for (const suffix of ['-wal', '-shm']) if (fs.existsSync(file + suffix)) ensurePrivateFile(file + suffix);
  }
  const sqlite = new SqliteDatabase(file);
  // 16 KiB pages for a new database (an existing one keeps its own; the pragma is then a no-op): a telecom
  // segment row is a ~500 KB blob, and its overflow chain in 4 KiB pages cost a fifth more to write.
  sqlite.pragma('page_size = 16384');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 16 MiB page cache (the default is 2 MiB). The telecom hot path writes one row per segment, not per record,
  // so it no longer needs the 32 MiB it had for random index inserts; the page cache counts against the memory
  // of a streaming import (P7: 303 MB peak with 32 MiB, target 300).
  sqlite.pragma('cache_size = -16384');
  sqlite.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const source = file === ':memory:' ? undefined : { dialect: 'sqlite' as const, file: path.resolve(file) };
  return makeStore(db, 'sqlite', sqliteBulkInsert(sqlite), source);
}

/**
 * Introspects only the connection's current schema. Kysely's own PostgreSQL introspector (which its Migrator
 * calls on every run) reads every table and column of every schema in the database: slow on a shared database,
 * and it fails with "schema ... does not exist" when another schema is dropped meanwhile (parallel test suites).
 */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the introspector is schema-agnostic
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string | null }>`select current_schema() as name`.execute(this.db);
    return rows.flatMap((r) => (r.name ? [{ name: r.name }] : []));
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      table: string;
      kind: string;
      schema: string;
      column: string;
      type: string;
      nullable: string;
      default: string | null;
    }>`
      select c.table_name as table, t.table_type as kind, c.table_schema as schema, c.column_name as column,
             c.udt_name as type, c.is_nullable as nullable, c.column_default as default
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema()
      order by c.table_name, c.ordinal_position`.execute(this.db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      let table = tables.get(r.table);
      if (!table) {
        table = { name: r.table, schema: r.schema, isView: r.kind === 'VIEW', columns: [] };
        tables.set(r.table, table);
      }
      table.columns.push({
        name: r.column,
        dataType: r.type,
        isNullable: r.nullable === 'YES',
        hasDefaultValue: r.default !== null,
        isAutoIncrementing: r.default?.startsWith('nextval(') ?? false,
      });
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches Kysely's Dialect signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

const STATEMENT_CACHE = 500;

/**
 * Kysely prepares every query anew; preparing costs more than running the small queries of the gate. Statements
 * are reusable in better-sqlite3 (Kysely only runs them with all/run/iterate, one at a time on one connection),
 * so the SQL text is the cache key.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (sqlText: string) => {
          // Kysely opens a deferred transaction; a writer that read first then fails with SQLITE_BUSY_SNAPSHOT
          // when another process wrote meanwhile (busy_timeout does not retry that). IMMEDIATE takes the write
          // lock up front, so `serve` and `sigilo import` on one file wait for each other instead of failing.
          const text = sqlText === 'begin' ? 'begin immediate' : sqlText;
          let stmt = cache.get(text);
          if (!stmt || stmt.busy) {
            stmt = target.prepare(text);
            if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
            cache.set(text, stmt);
          }
          return stmt;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Opens a PostgreSQL store; TLS is configured from `sslMode` and `caFile`. */
export function openPostgresStore(options: PostgresOptions): Store {
  let ssl = false as false | { rejectUnauthorized: boolean; ca?: string };
  if (options.sslMode === 'require') ssl = { rejectUnauthorized: false };
  if (options.sslMode === 'verify-full') {
    if (!options.caFile)
      throw new SigiloError('CONFIG_INVALID', 'postgres.caFile is required with sslMode verify-full');
    ssl = { rejectUnauthorized: true, ca: fs.readFileSync(options.caFile, 'utf8') };
  }
  const client = {
    connectionString: options.connectionString,
    ssl,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  };
  const pool = new pg.Pool({ ...client, max: options.maxConnections ?? 10 });
  const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
  return makeStore(db, 'postgres', postgresBulkInsert(), { dialect: 'postgres', client });
}

/** A migrator whose bookkeeping tables live in the store's own schema. */
async function migratorFor(store: Store): Promise<Migrator> {
  // Without a schema, Kysely looks for its migration table in every schema of the database: on a PostgreSQL
  // database shared by several schemas (test isolation, several environments) it would find another one's.
  let migrationTableSchema: string | undefined;
  if (store.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
      store.db,
    );
    migrationTableSchema = rows[0]?.schema ?? undefined;
  }
  return new Migrator({
    db: store.db,
    provider: migrationProvider,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = await migratorFor(store);
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new SigiloError(
      'NOT_INITIALISED',
      `migration ${failed} failed`,
      { migration: failed },
      { cause: error },
    );
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** Brings the schema up or down to exactly `name` (tests of a migration's data conversion). */
export async function migrateTo(store: Store, name: string): Promise<void> {
  const { error } = await (await migratorFor(store)).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(`migration to ${name} failed`);
}

/** Rolls every migration back (used by tests to prove `down` works on both dialects). */
export async function migrateAllDown(store: Store): Promise<void> {
  const migrator = await migratorFor(store);
  for (;;) {
    const { error, results } = await migrator.migrateDown();
    if (error) throw error instanceof Error ? error : new Error('migration down failed');
    if (!results || results.length === 0) return;
  }
}
