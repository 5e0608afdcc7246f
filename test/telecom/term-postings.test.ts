/**
 * Term postings (issue 16): a search across accounts finds its segments through the postings of its term, and
 * finds exactly the covered records; postings go with their segments; segments stored before postings are
 * searched through their filters until an import indexes them.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { migrateTo, migrateToLatest, sealedView } from '../../src/store/store.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import type { CallRecord } from '../../src/telecom/records/telecom-record.ts';
import { deleteTelecomDay, deleteTelecomSegments } from '../../src/telecom/sealing/telecom-records.gate.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { createTestStore, DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';

const TARGET = '+5511987654321';
const LOOK_ALIKES = ['+5511987654322', '+5521987654321', '+5511987654312'];
let seq = 0;

function call(at: string, caller: string, callee: string): ParsedCdr {
  const id = `t${++seq}`;
  const end = new Date(Date.parse(at) + 60_000).toISOString();
  return {
    naturalKey: `generic:${id}`,
    platform: 'generic',
    platformId: id,
    linkedId: null,
    startedAt: at,
    answeredAt: at,
    endedAt: end,
    durationSec: 60,
    billSec: 60,
    caller,
    callee,
    callerName: null,
    accountCode: null,
    context: null,
    channel: null,
    dstChannel: null,
    username: null,
    sourceIp: null,
    disposition: 'answered',
    direction: 'outbound',
    sourceLine: seq,
  };
}

async function* outcomes(cdrs: ParsedCdr[]): AsyncGenerator<ParseOutcome> {
  for (const record of cdrs) yield { ok: true, record };
}

function ingest(sigilo: Sigilo, account: string, cdrs: ParsedCdr[]) {
  return sigilo.services.telecomIngest.ingestCdrs(ctx('network_platform', 'provisioning'), outcomes(cdrs), {
    accountId: account,
  });
}

function search(
  sigilo: Sigilo,
  number: string,
  from = '2026-03-01T00:00:00.000Z',
  to = '2026-03-31T23:59:59.999Z',
) {
  return sigilo.gate.run(ctx('legal', 'authority_order'), (s) =>
    sigilo.services.telecomQuery.searchByNumber(s, number, { from, to }, 1000),
  );
}

/** Segment ids (hex, no dashes) named by the stored postings, and the levels of their blocks. */
async function postings(
  sigilo: Sigilo,
): Promise<{ segments: Set<string>; levels: Set<number>; days: Set<string> }> {
  const rows = await sealedView(sigilo.store.db)
    .selectFrom('telecom_term_postings')
    .select(['day', 'level', 'term_postings'])
    .execute();
  const segments = new Set<string>();
  for (const r of rows as { term_postings: Uint8Array }[]) {
    const b = Buffer.from(r.term_postings);
    for (let o = 0; o < b.length; o += 24) segments.add(b.toString('hex', o + 8, o + 24));
  }
  return {
    segments,
    levels: new Set(rows.map((r) => Number(r.level))),
    days: new Set(rows.map((r) => String(r.day))),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration test sees the schema of its time
type MigrationDb = Kysely<any>;

const hex = (id: string) => id.replace(/-/g, '');

describe.each(DIALECTS)('telecom term postings on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('a search by number finds exactly the calls with it in its window, across accounts and merged blocks', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Cliente A');
    const b = await makeAccount(t.sigilo, 'Cliente B');
    const own = '+551130000001';
    // Ten imports into one day: its blocks are merged (8 of a level make one of the next) and still found.
    for (let i = 0; i < 10; i++) {
      const day = '2026-03-01';
      await ingest(t.sigilo, a, [
        call(`${day}T1${i % 10}:00:00.000Z`, own, `+5511955500${String(i).padStart(3, '0')}`),
        call(`${day}T1${i % 10}:30:00.000Z`, own, `+5511966600${String(i).padStart(3, '0')}`),
      ]);
    }
    await ingest(t.sigilo, a, [
      call('2026-03-01T08:00:00.000Z', own, TARGET),
      call('2026-03-02T09:00:00.000Z', TARGET, own),
      call('2026-03-31T23:59:00.000Z', own, TARGET),
    ]);
    await ingest(t.sigilo, b, [
      ...LOOK_ALIKES.map((n, i) => call(`2026-03-0${i + 1}T10:00:00.000Z`, '+551130000002', n)),
      // The target, but outside the window: absent.
      call('2026-04-01T00:00:00.000Z', '+551130000002', TARGET),
      call('2026-02-28T23:59:59.000Z', TARGET, '+551130000002'),
    ]);
    const p = await postings(t.sigilo);
    expect(Math.max(...p.levels)).toBeGreaterThanOrEqual(1);

    const found = await search(t.sigilo, TARGET);
    expect(found.records.map((r) => (r as CallRecord).startedAt)).toEqual([
      '2026-03-01T08:00:00.000Z',
      '2026-03-02T09:00:00.000Z',
      '2026-03-31T23:59:00.000Z',
    ]);
    for (const r of found.records)
      expect([(r as CallRecord).caller, (r as CallRecord).callee]).toContain(TARGET);
    // Calls made on the merged days are found too, and every one exactly once.
    const merged = await search(t.sigilo, '+5511955500004');
    expect(merged.records).toHaveLength(1);
    expect((await search(t.sigilo, own)).records).toHaveLength(23);
    for (const n of LOOK_ALIKES) expect((await search(t.sigilo, n)).records).toHaveLength(1);
    expect((await search(t.sigilo, '+5511987654320')).records).toEqual([]);
    // Opaque: nothing of a number in the postings.
    const raw = await sealedView(t.sigilo.store.db)
      .selectFrom('telecom_term_postings')
      .select('term_postings')
      .execute();
    for (const r of raw as { term_postings: Uint8Array }[])
      expect(Buffer.from(r.term_postings).includes('987654321')).toBe(false);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('retention deletes the postings with their segments, by segment and by whole day', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Cliente A');
    const b = await makeAccount(t.sigilo, 'Cliente B');
    await ingest(t.sigilo, a, [call('2026-03-01T08:00:00.000Z', '+551130000001', TARGET)]);
    await ingest(t.sigilo, b, [
      call('2026-03-01T09:00:00.000Z', '+551130000002', TARGET),
      call('2026-03-02T09:00:00.000Z', '+551130000002', TARGET),
    ]);
    const segs = await t.sigilo.store.db
      .selectFrom('telecom_segments')
      .select(['id', 'account_id', 'day'])
      .orderBy('day')
      .orderBy('account_id')
      .execute();
    expect(segs).toHaveLength(3);
    expect((await postings(t.sigilo)).segments).toEqual(new Set(segs.map((s) => hex(s.id))));

    const first = segs.find((s) => s.account_id === a)!;
    await t.sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
      deleteTelecomSegments(s, 'cdr', [first.id]),
    );
    const after = await postings(t.sigilo);
    expect(after.segments.has(hex(first.id))).toBe(false);
    expect(after.segments.size).toBe(2);
    expect((await search(t.sigilo, TARGET)).records).toHaveLength(2);

    await t.sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
      deleteTelecomDay(s, 'cdr', '2026-03-01'),
    );
    const left = await postings(t.sigilo);
    expect([...left.days]).toEqual(['2026-03-02']);
    expect(left.segments).toEqual(new Set(segs.filter((s) => s.day === '2026-03-02').map((s) => hex(s.id))));
    expect((await search(t.sigilo, TARGET)).records).toHaveLength(1);
  });

  it('segments stored before postings are searched by their filters, then indexed by the next import', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Cliente A');
    await ingest(t.sigilo, a, [
      call('2026-03-01T08:00:00.000Z', '+551130000001', TARGET),
      call('2026-03-03T08:00:00.000Z', TARGET, '+551130000001'),
    ]);
    // As the migration leaves a database: no postings, every segment listed as unindexed.
    const db = sealedView(t.sigilo.store.db);
    await db.deleteFrom('telecom_term_postings').execute();
    await db.deleteFrom('telecom_posting_days').execute();
    await db.deleteFrom('telecom_posting_roots').execute();
    await db
      .insertInto('telecom_unindexed_segments')
      .columns(['segment_id', 'kind', 'day'])
      .expression(db.selectFrom('telecom_segments').select(['id', 'kind', 'day']))
      .execute();
    expect((await search(t.sigilo, TARGET)).records).toHaveLength(2);

    // The next import indexes the backlog first.
    await ingest(t.sigilo, a, [call('2026-03-05T08:00:00.000Z', '+551130000001', '+5511900000001')]);
    expect(await db.selectFrom('telecom_unindexed_segments').selectAll().execute()).toEqual([]);
    const p = await postings(t.sigilo);
    const ids = await t.sigilo.store.db.selectFrom('telecom_segments').select('id').execute();
    expect(p.segments).toEqual(new Set(ids.map((s) => hex(s.id))));
    expect((await search(t.sigilo, TARGET)).records).toHaveLength(2);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('the migration lists the segments already stored as unindexed', async () => {
    const t = await createTestStore(dialect, { migrate: false });
    cleanup = t.cleanup;
    await migrateTo(t.store, '2026-12-03T1410-policy-proposals');
    const db = t.store.db as unknown as MigrationDb;
    await db
      .insertInto('telecom_segments')
      .values({
        id: '0190a5b2-0000-7000-8000-000000000001',
        kind: 'cdr',
        account_id: 'acc',
        subject_id: 'acc',
        day: '2026-03-01',
        first_at: '2026-03-01T08:00:00.000Z',
        last_at: '2026-03-01T08:00:00.000Z',
        record_count: 1,
        payload_ct: Buffer.from([0]),
        source: 'import',
        collected_at: '2026-03-01T08:00:00.000Z',
        legal_basis: 'legal_obligation',
        policy_version: 1,
        created_at: '2026-03-01T08:00:00.000Z',
      })
      .execute();
    await migrateToLatest(t.store);
    expect(await db.selectFrom('telecom_unindexed_segments').selectAll().execute()).toEqual([
      { segment_id: '0190a5b2-0000-7000-8000-000000000001', kind: 'cdr', day: '2026-03-01' },
    ]);
    expect(await db.selectFrom('telecom_term_postings').selectAll().execute()).toEqual([]);
  });
});
