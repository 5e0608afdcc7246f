import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, DIALECTS } from '../../../test/support/stores.ts';
import { migrateTo, migrateToLatest } from '../store.ts';

const BEFORE = '2026-11-26T1800-telecom-segment-indexes';

describe.each(DIALECTS)('migration 2026-12-03T1200 (token approvals) on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('keeps existing tokens active and marks those an HTTP caller created, so their role is checked again', async () => {
    const t = await createTestStore(dialect, { migrate: false });
    cleanup = t.cleanup;
    await migrateTo(t.store, BEFORE);
    const db = t.store.db as unknown as Kysely<any>;
    const token = (id: string, createdBy: string) => ({
      id,
      token_hash: `hash-${id}`,
      role: 'system',
      label: id,
      created_by: createdBy,
      created_at: '2026-11-30T12:00:00.000Z',
      expires_at: '2026-12-30T12:00:00.000Z',
    });
    await db
      .insertInto('staff_tokens')
      .values([token('cli', 'cli'), token('http', 'token:0190a5b2'), token('sso', 'oidc:8f14e45f')])
      .execute();
    await migrateToLatest(t.store);
    const rows = await db
      .selectFrom('staff_tokens')
      .select(['id', 'status', 'issued_via', 'decided_by'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'cli', status: 'active', issued_via: 'server', decided_by: null },
      { id: 'http', status: 'active', issued_via: 'http', decided_by: null },
      { id: 'sso', status: 'active', issued_via: 'http', decided_by: null },
    ]);
  });
});
