/**
 * Whatever decides whose records a segment holds, or when they go, is authenticated (issue 13 §5). Someone with
 * write access to the database but no key edits a segment's owner, day, count, natural keys, filter or position:
 * each edit is an INTEGRITY_ERROR naming the segment, written to the access log, never a silent wrong answer or a
 * silent duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import { deleteTelecomDay } from '../../src/telecom/sealing/telecom-records.gate.ts';
import { backfillSegmentMacs } from '../../src/telecom/sealing/telecom-segment-backfill.ts';
import { generateCdrs } from '../support/synthetic/synthetic-cdr.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';
import { entriesFor, expectSigiloError, rawRows, writeColumn } from '../support/vault.ts';

async function* outcomes(cdrs: ParsedCdr[]): AsyncGenerator<ParseOutcome> {
  for (const record of cdrs) yield { ok: true, record };
}

function ingest(sigilo: Sigilo, account: string, cdrs: ParsedCdr[]) {
  return sigilo.services.telecomIngest.ingestCdrs(ctx('network_platform', 'provisioning'), outcomes(cdrs), {
    accountId: account,
  });
}

const ALL_TIME = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };

function history(sigilo: Sigilo, account: string, context = ctx('dpo', 'subject_request')) {
  return sigilo.gate.run(context, (s) =>
    sigilo.services.telecomQuery.accountHistory(s, 'cdr', account, ALL_TIME, 1000),
  );
}

async function segments(sigilo: Sigilo): Promise<Record<string, unknown>[]> {
  return (await rawRows(sigilo, 'telecom_segments')).sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
}

async function storedCount(sigilo: Sigilo): Promise<number> {
  return (await segments(sigilo)).reduce((n, s) => n + Number(s.record_count), 0);
}

describe.each(DIALECTS)('telecom segment metadata is authenticated on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup() {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Alfa Telecom Ltda', '11222333000181');
    const b = await makeAccount(t.sigilo, 'Beta Voz Ltda', '11444777000161');
    const cdrs = [...generateCdrs({ count: 300, seed: 41 })];
    expect((await ingest(t.sigilo, a, cdrs)).stored).toBe(300);
    const [first] = await segments(t.sigilo);
    return { t, a, b, cdrs, seg: first! };
  }

  it('moving a segment to another account (account_id) is an INTEGRITY_ERROR for that account, logged', async () => {
    const { t, b, seg } = await setup();
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'account_id', b);
    const c = ctx('dpo', 'subject_request');
    const err = await expectSigiloError(history(t.sigilo, b, c), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'telecom_segments', rowId: seg.id });
    const entries = await entriesFor(t.sigilo, c.requestId);
    expect(entries).toEqual([expect.objectContaining({ outcome: 'error', operation: 'read' })]);
    expect(entries[0]?.reason).toMatch(/^INTEGRITY_ERROR/);
  });

  it('moving a segment with its subject to another account is an INTEGRITY_ERROR too', async () => {
    const { t, b, seg } = await setup();
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'account_id', b);
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'subject_id', b);
    await expectSigiloError(history(t.sigilo, b), 'INTEGRITY_ERROR');
  });

  it("editing a segment's day is an INTEGRITY_ERROR on read, and retention of that day deletes nothing", async () => {
    const { t, a, seg } = await setup();
    const before = await storedCount(t.sigilo);
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'day', '2001-01-01');
    const err = await expectSigiloError(history(t.sigilo, a), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'telecom_segments', rowId: seg.id });
    const c = ctx('system', 'legal_obligation');
    await expectSigiloError(
      t.sigilo.gate.run(c, (s) => deleteTelecomDay(s, 'cdr', '2001-01-01')),
      'INTEGRITY_ERROR',
    );
    expect((await entriesFor(t.sigilo, c.requestId))[0]).toMatchObject({ outcome: 'error' });
    expect(await storedCount(t.sigilo)).toBe(before);
  });

  it("editing a segment's record count or time range is an INTEGRITY_ERROR", async () => {
    for (const [column, value] of [
      ['record_count', 1],
      ['first_at', '2001-01-01T00:00:00.000Z'],
      ['last_at', '2099-01-01T00:00:00.000Z'],
    ] as const) {
      const { t, a, seg } = await setup();
      await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), column, value as never);
      const err = await expectSigiloError(history(t.sigilo, a), 'INTEGRITY_ERROR');
      expect(err.details).toMatchObject({ rowId: seg.id });
      await cleanup?.();
      cleanup = undefined;
    }
  });

  it('editing a natural-key hash makes a re-import an INTEGRITY_ERROR, never a duplicate', async () => {
    const { t, a, cdrs, seg } = await setup();
    const keys = Buffer.from(seg.record_keys as Buffer);
    keys[1] = keys[1]! ^ 0xff;
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'record_keys', keys);
    const other = await t.reopen();
    await expectSigiloError(ingest(other, a, cdrs), 'INTEGRITY_ERROR');
    expect(await storedCount(t.sigilo)).toBe(300);
  });

  it("editing a segment's position in its key group makes a re-import an INTEGRITY_ERROR", async () => {
    const { t, a, cdrs, seg } = await setup();
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'seq', 99 as never);
    const other = await t.reopen();
    await expectSigiloError(ingest(other, a, cdrs), 'INTEGRITY_ERROR');
    expect(await storedCount(t.sigilo)).toBe(300);
  });

  it("blanking a segment's term filter is an INTEGRITY_ERROR in a search, not an empty answer", async () => {
    const { t, cdrs, seg } = await setup();
    const filter = Buffer.alloc((seg.term_filter as Buffer).length);
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'term_filter', filter);
    const c = ctx('legal', 'authority_order');
    await expectSigiloError(
      t.sigilo.gate.run(c, (s) =>
        t.sigilo.services.telecomQuery.searchByNumber(s, cdrs[0]!.caller, ALL_TIME, 1000),
      ),
      'INTEGRITY_ERROR',
    );
    expect((await entriesFor(t.sigilo, c.requestId))[0]).toMatchObject({ outcome: 'error' });
  });

  it('a NULL header_mac is an INTEGRITY_ERROR, on reads, re-imports and retention, even after a restart', async () => {
    const { t, a, cdrs, seg } = await setup();
    await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'header_mac', null as never);
    const err = await expectSigiloError(history(t.sigilo, a), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ table: 'telecom_segments', rowId: seg.id });
    await expectSigiloError(ingest(await t.reopen(), a, cdrs), 'INTEGRITY_ERROR');
    await expectSigiloError(
      t.sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
        deleteTelecomDay(s, 'cdr', String(seg.day)),
      ),
      'INTEGRITY_ERROR',
    );
    expect((await segments(t.sigilo)).find((x) => x.id === seg.id)?.header_mac).toBeNull();
  });

  it('the row-MAC backfill MACs a segment stored before MACs that agrees with its payload, and only such', async () => {
    const { t, a, b, cdrs } = await setup();
    const all = await segments(t.sigilo);
    for (const seg of all) {
      await writeColumn(t.sigilo, 'telecom_segments', String(seg.id), 'header_mac', null as never);
    }
    // One segment of the store "from before MACs" was moved to another account: the pre-MAC rule catches it.
    const moved = all[0]!;
    await writeColumn(t.sigilo, 'telecom_segments', String(moved.id), 'account_id', b);
    // What the first start after the row-MAC migration runs, in its transaction, on such a store.
    const done = await t.sigilo.gate.run(ctx('system', 'legal_obligation', 'sigilo'), (s) =>
      backfillSegmentMacs(s),
    );
    expect(done).toEqual({ macked: all.length - 1, refused: 1 });
    await writeColumn(t.sigilo, 'telecom_segments', String(moved.id), 'account_id', a);
    // Put back, it stays without MAC and refused; every other segment reads and re-imports as before.
    const err = await expectSigiloError(history(t.sigilo, a), 'INTEGRITY_ERROR');
    expect(err.details).toMatchObject({ rowId: moved.id });
    await t.sigilo.store.db.deleteFrom('telecom_segments').where('id', '=', String(moved.id)).execute();
    expect((await history(t.sigilo, a)).records).toHaveLength(300 - Number(moved.record_count));
    // A re-import stores again only the deleted segment's records: the others are known duplicates.
    expect(await ingest(await t.reopen(), a, cdrs)).toMatchObject({
      stored: Number(moved.record_count),
      duplicates: 300 - Number(moved.record_count),
    });
  });

  it('an untouched store reads and re-imports as before', async () => {
    const { t, a, cdrs } = await setup();
    expect((await history(t.sigilo, a)).records).toHaveLength(300);
    const other = await t.reopen();
    expect(await ingest(other, a, cdrs)).toMatchObject({ stored: 0, duplicates: 300 });
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });
});
