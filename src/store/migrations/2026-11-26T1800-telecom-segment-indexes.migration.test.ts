/* eslint-disable @typescript-eslint/no-unsafe-return -- the schema before this migration has no Kysely types */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, DIALECTS } from '../../../test/support/stores.ts';
import { migrateTo, migrateToLatest } from '../store.ts';

const BEFORE = '2026-11-26T1700-telecom-records';

describe.each(DIALECTS)('migration 2026-11-26T1800 (telecom segment indexes) on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it("moves each segment's key rows into the segment, numbers the groups and drops the per-record tables", async () => {
    const t = await createTestStore(dialect, { migrate: false });
    cleanup = t.cleanup;
    await migrateTo(t.store, BEFORE);
    const db = t.store.db as unknown as Kysely<any>;
    const segment = (id: string, account: string, day: string) => ({
      id,
      kind: 'cdr',
      account_id: account,
      subject_id: account,
      day,
      first_at: `${day}T10:00:00.000Z`,
      last_at: `${day}T11:00:00.000Z`,
      record_count: 2,
      payload_ct: randomBytes(40),
      source: 'import',
      collected_at: `${day}T12:00:00.000Z`,
      legal_basis: 'legal_obligation',
      policy_version: 1,
      created_at: `${day}T12:00:00.000Z`,
    });
    await db
      .insertInto('telecom_segments')
      .values([
        segment('s1', 'a1', '2026-11-01'),
        segment('s2', 'a1', '2026-11-01'),
        segment('s3', 'a2', '2026-11-01'),
      ])
      .execute();
    const keys = new Map<string, Buffer[]>();
    for (const seg of ['s1', 's2', 's3']) {
      keys.set(seg, [randomBytes(16), randomBytes(16)]);
      for (const k of keys.get(seg)!)
        await db
          .insertInto('telecom_record_keys')
          .values({ kind: 'cdr', day: '2026-11-01', record_key: k, segment_id: seg })
          .execute();
    }
    await db
      .insertInto('telecom_terms')
      .values({ kind: 'cdr', day: '2026-11-01', term: randomBytes(16), account_id: 'a1' })
      .execute();

    await migrateToLatest(t.store);
    const rows = await db
      .selectFrom('telecom_segments')
      .select(['id', 'seq', 'record_keys', 'term_filter'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.id, Number(r.seq)])).toEqual([
      ['s1', 1],
      ['s2', 2],
      ['s3', 1],
    ]);
    for (const r of rows) {
      const blob = Buffer.from(r.record_keys as Uint8Array);
      expect(blob[0]).toBe(1); // HMAC scheme
      const got = [blob.subarray(1, 17), blob.subarray(17, 33)].map((b) => b.toString('hex')).sort();
      expect(got).toEqual(
        keys
          .get(r.id as string)!
          .map((b) => b.toString('hex'))
          .sort(),
      );
      expect(r.term_filter).toBeNull();
    }
    const groups = await db
      .selectFrom('telecom_key_groups')
      .select(['account_id', 'segments'])
      .orderBy('account_id')
      .execute();
    expect(groups.map((g) => [g.account_id, Number(g.segments)])).toEqual([
      ['a1', 2],
      ['a2', 1],
    ]);

    // Down again: the key rows come back from the segments.
    await migrateTo(t.store, BEFORE);
    const back = await db.selectFrom('telecom_record_keys').select(['segment_id']).execute();
    expect(back).toHaveLength(6);
  });
});
