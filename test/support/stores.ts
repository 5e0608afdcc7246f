import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import {
  migrateToLatest,
  openPostgresStore,
  openSqliteStore,
  type Store,
  type StoreDialect,
} from '../../src/store/store.ts';

/** The dialects every integration suite runs on: SQLite always, PostgreSQL when reachable (always in CI). */
export const DIALECTS: StoreDialect[] = inject('postgresUrl') ? ['sqlite', 'postgres'] : ['sqlite'];

/** A fresh, empty store: a temp SQLite file, or a new PostgreSQL schema dropped by `cleanup`. */
export async function createTestStore(
  dialect: StoreDialect,
  options: { migrate?: boolean } = {},
): Promise<{
  store: Store;
  dir: string;
  cleanup: () => Promise<void>;
  reopen: () => Store;
  env: Record<string, string>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-test-'));
  let store: Store;
  let reopen: () => Store;
  // Environment that makes a child process's `loadConfig` open this same store.
  let env: Record<string, string> = { SIGILO_DATA_DIR: dir };
  let dropSchema = (): Promise<void> => Promise.resolve();
  if (dialect === 'sqlite') {
    const file = path.join(dir, 'sigilo.db');
    reopen = () => openSqliteStore(file);
    store = reopen();
  } else {
    const url = inject('postgresUrl');
    if (!url) throw new Error('PostgreSQL suites requested but PostgreSQL is unreachable');
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    reopen = () => openPostgresStore({ connectionString: url, schema, maxConnections: 4 });
    env = { ...env, SIGILO_DATABASE_URL: `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };
    store = reopen();
    dropSchema = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    };
  }
  if (options.migrate !== false) await migrateToLatest(store);
  return {
    store,
    dir,
    reopen,
    env,
    cleanup: async () => {
      await store.close().catch(() => undefined);
      await dropSchema();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
