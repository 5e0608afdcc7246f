/** The dialects the soak suites run on: SQLite, and PostgreSQL when it answers (as `npm run bench` decides). */
import { PG_URL, postgresAvailable } from '../support.ts';
import type { StoreDialect } from '../../src/store/store.ts';

export async function soakDialects(): Promise<{ dialects: StoreDialect[]; pgUrl: string | null }> {
  const pg = await postgresAvailable();
  return { dialects: pg ? ['sqlite', 'postgres'] : ['sqlite'], pgUrl: pg ? PG_URL : null };
}
