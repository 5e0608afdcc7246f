/**
 * Term postings are authenticated (issue 16): someone with write access to the database but no key deletes, truncates,
 * edits or moves posting rows, a day's manifest or the kind's list of days to hide segments from an authority
 * search. Each is an INTEGRITY_ERROR naming the unit (kind/day/block/bucket), written to the access log, never a
 * silently shorter answer.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { ParsedCdr, ParseOutcome } from '../../src/telecom/formats/cdr-record.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';
import { entriesFor, expectSigiloError, matching, rawRows } from '../support/vault.ts';

const TARGET = '+5511987654321';
let seq = 0;

function call(at: string, caller: string, callee: string): ParsedCdr {
  const id = `pi${++seq}`;
  return {
    naturalKey: `generic:${id}`,
    platform: 'generic',
    platformId: id,
    linkedId: null,
    startedAt: at,
    answeredAt: at,
    endedAt: new Date(Date.parse(at) + 60_000).toISOString(),
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

function search(sigilo: Sigilo, context = ctx('legal', 'authority_order')) {
  return sigilo.gate.run(context, (s) =>
    sigilo.services.telecomQuery.searchByNumber(
      s,
      TARGET,
      { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T23:59:59.999Z' },
      1000,
    ),
  );
}

interface PostingRow {
  kind: string;
  bucket: number;
  day: string;
  block: string;
  term_postings: Buffer;
}

async function postingRows(sigilo: Sigilo, day: string): Promise<PostingRow[]> {
  return (await rawRows(sigilo, 'telecom_term_postings'))
    .filter((r) => r.day === day)
    .map((r) => ({
      kind: String(r.kind),
      bucket: Number(r.bucket),
      day: String(r.day),
      block: String(r.block),
      term_postings: Buffer.from(r.term_postings as Uint8Array),
    }));
}

/** The posting row of `day` holding the most entries (the target's entries are in one of the day's rows). */
async function fullestRow(sigilo: Sigilo, day: string): Promise<PostingRow> {
  const rows = await postingRows(sigilo, day);
  return rows.sort((a, b) => b.term_postings.length - a.term_postings.length)[0]!;
}

async function setRow(
  sigilo: Sigilo,
  r: PostingRow,
  set: { term_postings?: Buffer; day?: string },
): Promise<void> {
  const q = sql`where kind = ${r.kind} and bucket = ${r.bucket} and day = ${r.day} and block = ${r.block}`;
  if (set.term_postings)
    await sql`update telecom_term_postings set term_postings = ${set.term_postings} ${q}`.execute(
      sigilo.store.db,
    );
  if (set.day) await sql`update telecom_term_postings set day = ${set.day} ${q}`.execute(sigilo.store.db);
}

/** Expects the search to fail with INTEGRITY_ERROR naming a unit that matches `unit`, logged for its request. */
async function expectCaught(sigilo: Sigilo, unit: RegExp): Promise<void> {
  const c = ctx('legal', 'authority_order');
  const err = await expectSigiloError(search(sigilo, c), 'INTEGRITY_ERROR');
  expect(err.details).toMatchObject({ table: 'telecom_term_postings', unit: matching(unit) });
  const entries = await entriesFor(sigilo, c.requestId);
  expect(entries).toEqual([expect.objectContaining({ outcome: 'error' })]);
  expect(entries[0]?.reason).toMatch(/^INTEGRITY_ERROR/);
}

describe.each(DIALECTS)('term posting integrity on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup() {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Cliente A');
    const b = await makeAccount(t.sigilo, 'Cliente B');
    await ingest(t.sigilo, a, [
      call('2026-03-01T08:00:00.000Z', '+551130000001', TARGET),
      call('2026-03-02T08:00:00.000Z', TARGET, '+551130000001'),
    ]);
    await ingest(t.sigilo, b, [call('2026-03-01T09:00:00.000Z', '+551130000002', TARGET)]);
    expect((await search(t.sigilo)).records).toHaveLength(3);
    return { t, a, b };
  }

  it('deleting the posting rows of a block is an INTEGRITY_ERROR naming the missing row, logged', async () => {
    const { t } = await setup();
    const r = await fullestRow(t.sigilo, '2026-03-02');
    await sql`delete from telecom_term_postings where block = ${r.block}`.execute(t.sigilo.store.db);
    await expectCaught(t.sigilo, new RegExp(`^cdr/2026-03-02/${r.block}/\\d+$`));
  });

  it('truncating, editing or emptying a posting row is an INTEGRITY_ERROR naming the row', async () => {
    const { t } = await setup();
    const r = await fullestRow(t.sigilo, '2026-03-01');
    const unit = new RegExp(`^cdr/2026-03-01/${r.block}/${r.bucket}$`);
    await setRow(t.sigilo, r, { term_postings: r.term_postings.subarray(0, r.term_postings.length - 24) });
    await expectCaught(t.sigilo, unit);
    const edited = Buffer.from(r.term_postings);
    edited[edited.length - 1]! ^= 1;
    await setRow(t.sigilo, r, { term_postings: edited });
    await expectCaught(t.sigilo, unit);
    await setRow(t.sigilo, r, { term_postings: Buffer.alloc(0) });
    await expectCaught(t.sigilo, unit);
    // Restored as written, the search answers again.
    await setRow(t.sigilo, r, { term_postings: r.term_postings });
    expect((await search(t.sigilo)).records).toHaveLength(3);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('moving a posting row to another day is an INTEGRITY_ERROR', async () => {
    const { t } = await setup();
    const r = await fullestRow(t.sigilo, '2026-03-01');
    await setRow(t.sigilo, r, { day: '2026-03-02' });
    await expectCaught(t.sigilo, /^cdr\/2026-03-0[12]\//);
  });

  it('removing a whole day (its rows and manifest) is an INTEGRITY_ERROR naming the day', async () => {
    const { t } = await setup();
    await sql`delete from telecom_term_postings where day = '2026-03-01'`.execute(t.sigilo.store.db);
    await sql`delete from telecom_posting_days where day = '2026-03-01'`.execute(t.sigilo.store.db);
    await expectCaught(t.sigilo, /^cdr\/2026-03-01$/);
  });

  it("editing a day's manifest or the kind's list of days is an INTEGRITY_ERROR", async () => {
    const { t } = await setup();
    const [day] = (await rawRows(t.sigilo, 'telecom_posting_days')).filter((r) => r.day === '2026-03-01');
    const blocks = Buffer.from(day!.blocks as Uint8Array);
    await sql`update telecom_posting_days set blocks = ${blocks.subarray(18)} where day = '2026-03-01'`.execute(
      t.sigilo.store.db,
    );
    await expectCaught(t.sigilo, /^cdr\/2026-03-01$/);
    await sql`update telecom_posting_days set blocks = ${blocks} where day = '2026-03-01'`.execute(
      t.sigilo.store.db,
    );
    expect((await search(t.sigilo)).records).toHaveLength(3);
    await sql`update telecom_posting_roots set days = '2026-03-02' where kind = 'cdr'`.execute(
      t.sigilo.store.db,
    );
    await expectCaught(t.sigilo, /^cdr$/);
  });

  it('deleting every posting, manifest and the list of days is an INTEGRITY_ERROR, not an empty answer', async () => {
    const { t } = await setup();
    for (const table of ['telecom_term_postings', 'telecom_posting_days', 'telecom_posting_roots'])
      await sql`delete from ${sql.table(table)}`.execute(t.sigilo.store.db);
    await expectCaught(t.sigilo, /^cdr$/);
  });

  it('an import merging a tampered block is an INTEGRITY_ERROR: a merge never gives an edit a fresh MAC', async () => {
    const { t, a } = await setup();
    const r = await fullestRow(t.sigilo, '2026-03-01');
    await setRow(t.sigilo, r, { term_postings: r.term_postings.subarray(24) });
    // Eight blocks of level 0 on a day are merged: the ninth import into 2026-03-01 merges the tampered one.
    let err: unknown;
    for (let i = 0; i < 8 && !err; i++) {
      err = await ingest(t.sigilo, a, [
        call(`2026-03-01T1${i}:00:00.000Z`, '+551130000001', '+5511955500001'),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(err).toMatchObject({ code: 'INTEGRITY_ERROR', details: { table: 'telecom_term_postings' } });
  });
});
