import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { initSigilo, openSigilo, type Sigilo } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { LocalKeyFileProvider } from '../src/keys/local-key-file.provider.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../src/store/store.ts';
import type { AccessContext } from '../src/gate/access-context.ts';

export const PG_URL = process.env.SIGILO_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when the benchmark PostgreSQL is reachable. */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh Sigilo on SQLite (temp dir) or PostgreSQL (new schema); `cleanup` removes it. */
export async function benchSigilo(dialect: 'sqlite' | 'postgres'): Promise<{
  sigilo: Sigilo;
  store: Store;
  cleanup: () => Promise<void>;
  /** The data directory (key file, head file, SQLite file). */
  dir: string;
  schema?: string;
  sqliteFile?: string;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-bench-'));
  const config = loadConfig({
    SIGILO_DATA_DIR: dir,
    SIGILO_LOG_LEVEL: 'silent',
    ...(process.env.SIGILO_INGEST_WORKERS
      ? { SIGILO_INGEST_WORKERS: process.env.SIGILO_INGEST_WORKERS }
      : {}),
  });
  const keys = await LocalKeyFileProvider.create(path.join(dir, 'master.key'));
  let store: Store;
  let schema: string | undefined;
  if (dialect === 'sqlite') store = openSqliteStore(path.join(dir, 'sigilo.db'));
  else {
    schema = `bench_${process.pid}_${Date.now()}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    store = openPostgresStore({ connectionString: PG_URL, schema, maxConnections: 4 });
  }
  await initSigilo(config, { store, keyProvider: keys });
  const sigilo = await openSigilo(config, { store, keyProvider: keys });
  return {
    sigilo,
    store,
    dir,
    ...(schema ? { schema } : { sqliteFile: path.join(dir, 'sigilo.db') }),
    cleanup: async () => {
      await sigilo.close();
      if (schema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const benchCtx = (role: string, purpose: string): AccessContext => ({
  actor: 'bench',
  role,
  purpose,
  requestId: 'bench',
});

/** Seconds elapsed running `fn`. */
export async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
