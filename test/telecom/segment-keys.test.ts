/**
 * Idempotency without a row per record: natural-key hashes live in segments, each process caches them per
 * (kind, account, day) group and reloads what other writers added or deleted. These tests drive two Sigilo
 * instances over one database, a rolled-back batch, a retention deletion, and a segment stored before the
 * 2026-11-26T1800 layout (HMAC keys, JSON payload).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { sealField } from '../../src/gate/sealed-field.cipher.ts';
import { sealedView } from '../../src/store/store.ts';
import {
  deleteTelecomSegments,
  storeTelecomRecords,
} from '../../src/telecom/sealing/telecom-records.gate.ts';
import { telecomHashers, termId } from '../../src/telecom/sealing/telecom-prepare.ts';
import { RecordIds } from '../../src/telecom/sealing/telecom-record-id.ts';
import { backfillSegmentMacs } from '../../src/telecom/sealing/telecom-segment-backfill.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import { CDR_FIELDS, storableCdr, type CallRecord } from '../../src/telecom/records/telecom-record.ts';
import { buildTermFilter, mayHoldTerm } from '../../src/telecom/records/term-filter.ts';
import { generateCdrs } from '../support/synthetic/synthetic-cdr.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';

async function* outcomes(cdrs: ParsedCdr[]): AsyncGenerator<ParseOutcome> {
  for (const record of cdrs) yield { ok: true, record };
}

function ingest(sigilo: Sigilo, account: string, cdrs: ParsedCdr[], batchSize = 700) {
  return sigilo.services.telecomIngest.ingestCdrs(ctx('network_platform', 'provisioning'), outcomes(cdrs), {
    accountId: account,
    batchSize,
  });
}

/** An authority search by number over all time (the one kind of search these tests make). */
function searchNumber(sigilo: Sigilo, number: string, context = ctx('legal', 'authority_order')) {
  return sigilo.gate.run(context, (s) =>
    sigilo.services.telecomQuery.searchByNumber(
      s,
      number,
      { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
      1000,
    ),
  );
}

async function storedCount(sigilo: Sigilo): Promise<number> {
  const r = await sigilo.store.db
    .selectFrom('telecom_segments')
    .select((eb) => eb.fn.sum<number>('record_count').as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

describe.each(DIALECTS)('telecom natural keys on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('two instances importing overlapping parts of one file end with each record once', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const other = await t.reopen();
    const cdrs = [...generateCdrs({ count: 6000, seed: 11 })];

    expect((await ingest(t.sigilo, account, cdrs.slice(0, 2500))).stored).toBe(2500);
    // The second instance has never seen these days: it loads what the first stored.
    const b = await ingest(other, account, cdrs.slice(2000, 4500));
    expect(b).toMatchObject({ stored: 2000, duplicates: 500 });
    // The first instance's cache is behind: it loads the segments the second added.
    const a = await ingest(t.sigilo, account, cdrs);
    expect(a).toMatchObject({ stored: 1500, duplicates: 4500 });
    expect(await storedCount(t.sigilo)).toBe(6000);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('two instances importing the same days at the same time, in opposite orders, store each record once', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const other = await t.reopen();
    const cdrs = [...generateCdrs({ count: 5000, seed: 16 })];
    const [a, b] = await Promise.all([
      ingest(t.sigilo, account, cdrs, 900),
      ingest(other, account, [...cdrs].reverse(), 900),
    ]);
    expect(a.stored + b.stored).toBe(5000);
    expect(a.duplicates + b.duplicates).toBe(5000);
    expect(await storedCount(t.sigilo)).toBe(5000);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('a batch whose transaction rolled back is not remembered as stored', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const cdrs = [...generateCdrs({ count: 800, seed: 12 })];
    await ingest(t.sigilo, account, cdrs.slice(0, 400));
    const records = cdrs.slice(400).map(storableCdr);
    await expect(
      t.sigilo.gate.run(ctx('network_platform', 'provisioning'), async (s) => {
        await storeTelecomRecords(s, 'cdr', [{ accountId: account, records }], 'import');
        throw new Error('connection lost before commit');
      }),
    ).rejects.toThrow('connection lost');
    expect(await storedCount(t.sigilo)).toBe(400);
    expect(await ingest(t.sigilo, account, cdrs)).toMatchObject({ stored: 400, duplicates: 400 });
    expect(await storedCount(t.sigilo)).toBe(800);
  });

  it('records deleted by retention can be stored again (the key group is retired)', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const cdrs = [...generateCdrs({ count: 1000, seed: 13 })];
    await ingest(t.sigilo, account, cdrs);
    const segs = await t.sigilo.store.db
      .selectFrom('telecom_segments')
      .select(['id', 'record_count'])
      .orderBy('id')
      .execute();
    const gone = segs.slice(0, 2);
    await t.sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
      deleteTelecomSegments(
        s,
        'cdr',
        gone.map((g) => g.id),
      ),
    );
    const removed = gone.reduce((n, g) => n + g.record_count, 0);
    expect(await storedCount(t.sigilo)).toBe(1000 - removed);
    expect(await ingest(t.sigilo, account, cdrs)).toMatchObject({ stored: removed });
    expect(await storedCount(t.sigilo)).toBe(1000);
  });

  it('finds records by number through the segment filters, and nothing for a number never seen', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const cdrs = [...generateCdrs({ count: 3000, seed: 14 })];
    await ingest(t.sigilo, account, cdrs);
    const target = cdrs[1234]!;
    const stored = storableCdr(target).encoded[CDR_FIELDS.callee] as string; // as stored (E.164 when public)
    const found = await searchNumber(t.sigilo, stored);
    expect(found.records.length).toBeGreaterThan(0);
    for (const r of found.records)
      expect([(r as CallRecord).caller, (r as CallRecord).callee]).toContain(stored);
    const none = await searchNumber(t.sigilo, '+5511900000000');
    expect(none.records).toEqual([]);
  });

  it('the blind-index filter decides which segments a search opens', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const cdrs = [...generateCdrs({ count: 50, seed: 18 })];
    await ingest(t.sigilo, account, cdrs);
    const callee = storableCdr(cdrs[10]!).encoded[CDR_FIELDS.callee] as string;
    const search = () => searchNumber(t.sigilo, callee);
    // The test plays someone with database access: it sees and edits the sealed columns.
    const db = sealedView(t.sigilo.store.db);
    const stored = await db.selectFrom('telecom_segments').select(['id', 'term_filter']).execute();
    // A filter that holds nothing would hide the records from a search (the filter is consulted): the segment's
    // MAC covers it, so the edit is an integrity error rather than an empty answer (issue 13 §5)...
    await db
      .updateTable('telecom_segments')
      .set({ term_filter: buildTermFilter(new Uint8Array(0), 0) })
      .execute();
    await expect(search()).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' });
    // ...and the filter ingestion built, from the keyed hashes of the records' terms, finds them.
    for (const seg of stored)
      await db
        .updateTable('telecom_segments')
        .set({ term_filter: seg.term_filter })
        .where('id', '=', seg.id)
        .execute();
    const found = (await search()).records;
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) expect([(r as CallRecord).caller, (r as CallRecord).callee]).toContain(callee);
    // What the filter holds is the number's keyed hash (a blind index), not the number.
    const { term } = await telecomHashers(t.sigilo.keyring, 'cdr');
    const keyed = term.hash(termId({ kind: 'number', value: callee }));
    expect(stored.some((seg) => mayHoldTerm(seg.term_filter, keyed))).toBe(true);
  });

  it('a segment stored before the 1800 layout is read and its records are not stored twice', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const [cdr] = [...generateCdrs({ count: 1, seed: 15 })];
    const rec = storableCdr(cdr!);
    const id = '018f0000-0000-7000-8000-000000000001';
    const day = new Date(rec.at).toISOString().slice(0, 10);
    // As the T1700 code wrote it (and the T1800 migration converted it): JSON payload, HMAC key, no filter.
    const legacyEncoding = [...rec.encoded];
    legacyEncoding[9] = cdr!.direction;
    legacyEncoding[10] = cdr!.disposition;
    legacyEncoding[17] = cdr!.platform;
    const legacyKey = t.sigilo.keyring
      .blindIndex('telecom-record/cdr', `${account}\u0000${cdr!.naturalKey}`)
      .subarray(0, 16);
    await t.sigilo.store.transaction(async (tx) => {
      const dek = await t.sigilo.keyring.currentDataKey(tx, account);
      const payload = sealField(
        dek.key,
        dek.version,
        { table: 'telecom_segments', rowId: id, column: 'payload_ct', subjectId: account },
        // Direction, disposition and platform were strings then (small indexes now).
        Buffer.from(JSON.stringify([legacyEncoding])),
      );
      const at = new Date(rec.at).toISOString();
      await sealedView(tx)
        .insertInto('telecom_segments')
        .values({
          id,
          kind: 'cdr',
          account_id: account,
          subject_id: account,
          day,
          first_at: at,
          last_at: at,
          record_count: 1,
          payload_ct: payload,
          record_keys: Buffer.concat([Buffer.from([1]), legacyKey]),
          term_filter: null,
          seq: 1,
          source: 'import',
          collected_at: at,
          legal_basis: 'legal_obligation',
          policy_version: 1,
          created_at: at,
        })
        .execute();
      await tx
        .insertInto('telecom_key_groups')
        .values({ kind: 'cdr', day, account_id: account, epoch: 'legacy', segments: 1 })
        .execute();
      // Stored before term postings too: the 2026-12-04T1500 migration lists such segments as unindexed.
      await tx
        .insertInto('telecom_unindexed_segments')
        .values({ segment_id: id, kind: 'cdr', day })
        .execute();
    });
    // Stored before segment MACs too: the first start after the row-MAC migration checks it against its payload
    // and gives it its MAC (without one it would be refused).
    expect(
      await t.sigilo.gate.run(ctx('system', 'legal_obligation', 'sigilo'), (s) => backfillSegmentMacs(s)),
    ).toEqual({ macked: 1, refused: 0 });
    expect(await ingest(t.sigilo, account, [cdr!])).toMatchObject({ stored: 0, duplicates: 1 });
    const page = await t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', account, {}, 10),
    );
    expect(page.records).toHaveLength(1);
    // Shown under its opaque id (the natural key never leaves the gate), the same a new segment would give it.
    const ids = await RecordIds.of(t.sigilo.keyring);
    expect((page.records[0] as CallRecord).key).toBe(ids.id('cdr', account, cdr!.naturalKey));
    expect(page.records[0]).toMatchObject({
      direction: cdr!.direction,
      disposition: cdr!.disposition,
      platform: 'asterisk',
    });
    // A search by number opens the filterless segment and checks it.
    const callee = rec.encoded[CDR_FIELDS.callee] as string;
    const found = await searchNumber(t.sigilo, callee);
    expect(found.records).toHaveLength(1);
    // A search that finds nothing opens the filterless segment too, but names no subject in the access log.
    const searchCtx = ctx('legal', 'authority_order');
    const nothing = await searchNumber(t.sigilo, '+5511900000000', searchCtx);
    expect(nothing.records).toEqual([]);
    const logged = await t.sigilo.store.db
      .selectFrom('access_log')
      .select(['subject_id', 'reason'])
      .where('request_id', '=', searchCtx.requestId)
      .execute();
    expect(logged).toEqual([{ subject_id: null, reason: 'no matching record' }]);
  });

  it('a batch that cannot be prepared fails the import with an error, and the earlier batches stay stored', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const cdrs = [...generateCdrs({ count: 900, seed: 17 })];
    // A value the segment encoding refuses (MessagePack has no symbols), in the third batch of 300.
    (cdrs[700] as unknown as { platform: unknown }).platform = Symbol('not encodable');
    await expect(ingest(t.sigilo, account, cdrs, 300)).rejects.toThrow();
    const n = await storedCount(t.sigilo);
    expect(n % 300).toBe(0);
    expect(n).toBeLessThanOrEqual(600);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });
});
