import pg from 'pg';
import type { TestProject } from 'vitest/node';

export const PG_URL = process.env.SIGILO_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

/** Decides once per run whether the PostgreSQL suites run: in CI an unreachable database fails the run. */
export default async function setup(project: TestProject): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresUrl', PG_URL);
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(
        `PostgreSQL is required in CI but ${PG_URL.replace(/\/\/[^@]*@/, '//')} is unreachable: ${String(err)}`,
      );
    }
    console.warn(
      `\n[sigilo] PostgreSQL unreachable at 127.0.0.1:5432 — SKIPPING the PostgreSQL suites (CI=true makes this fatal).\n`,
    );
    project.provide('postgresUrl', null);
  } finally {
    await client.end().catch(() => undefined);
  }
}
