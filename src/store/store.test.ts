import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, DIALECTS } from '../../test/support/stores.ts';
import { migrateAllDown, migrateToLatest } from './store.ts';

describe.each(DIALECTS)('store migrations on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('runs every migration up, down and up again', async () => {
    const t = await createTestStore(dialect, { migrate: false });
    cleanup = t.cleanup;
    const applied = await migrateToLatest(t.store);
    expect(applied.length).toBeGreaterThan(0);
    await t.store.db
      .insertInto('subjects')
      .values({ id: 's1', kind: 'person', created_at: new Date().toISOString() })
      .execute();
    await migrateAllDown(t.store);
    const tables =
      dialect === 'sqlite'
        ? await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name = 'subjects'`.execute(t.store.db)
        : await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name = 'subjects'`.execute(
            t.store.db,
          );
    expect(tables.rows).toHaveLength(0);
    await migrateToLatest(t.store);
    const count = await t.store.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
