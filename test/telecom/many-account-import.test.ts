/**
 * Issue 18: a provider's Master.csv over many accounts with no account codes, attributed by DID-prefix rules
 * (resellers' short prefixes holding sub-customers' longer ones). Every record lands on the account of its longest
 * matching prefix, unmatched ones are reported by line, a re-import adds nothing, and the records of an account's
 * day are stored as few large segments, not one per batch.
 */
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCdrs } from '../../src/telecom/formats/index.ts';
import { UNATTRIBUTED } from '../../src/telecom/ingest/cdr-attribution.ts';
import { cnpj } from '../proof/process-harness.ts';
import { scanForClear } from '../support/raw-scan.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { didBlocks, didCdrRows } from '../support/synthetic/synthetic-did-cdr.ts';
import { addRule, makeAccount } from '../support/telecom.ts';

const ACCOUNTS = 40;
const ROWS = 6_000;
const DAYS = 2;
// Small batches, so that the import runs many of them: each batch is a slice of every account's day.
const BATCH = 500;

describe.each(DIALECTS)('many-account import by DID prefix on %s', (dialect) => {
  let t: Awaited<ReturnType<typeof createTestSigilo>>;
  const ids: string[] = [];
  const rows = [...didCdrRows({ rows: ROWS, accounts: ACCOUNTS, days: DAYS, seed: 5 })];
  const text = rows.map((r) => r.line).join('');
  const expected = new Map<string, number>();
  const unmatchedLines: number[] = [];

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    for (let i = 0; i < ACCOUNTS; i++) ids.push(await makeAccount(t.sigilo, `Cliente ${i} Ltda`, cnpj(i)));
    for (const b of didBlocks(ACCOUNTS)) await addRule(t.sigilo, 'did_prefix', b.prefix, ids[b.account]!);
    rows.forEach((r, i) => {
      if (r.account === null) unmatchedLines.push(i + 1);
      else expected.set(ids[r.account]!, (expected.get(ids[r.account]!) ?? 0) + 1);
    });
  });
  afterAll(async () => t?.cleanup());

  const importAll = () =>
    t.sigilo.services.telecomIngest.ingestCdrs(
      ctx('network_platform', 'provisioning'),
      readCdrs('asterisk-csv', Readable.from([text])),
      { batchSize: BATCH },
    );

  it('attributes each record to its longest matching prefix and reports the unmatched by line', async () => {
    // The file has records of resellers and of their sub-customers, and some of no customer.
    expect(unmatchedLines.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.account !== null && r.account < 10)).toBe(true);
    expect(rows.some((r) => r.account !== null && r.account >= 10 && r.account < 20)).toBe(true);

    const report = await importAll();
    expect(report).toMatchObject({
      read: ROWS,
      stored: ROWS - unmatchedLines.length,
      duplicates: 0,
      rejected: unmatchedLines.length,
    });
    expect(report.errors.map((e) => e.line).sort((a, b) => a - b)).toEqual(unmatchedLines);
    expect(new Set(report.errors.map((e) => e.reason))).toEqual(new Set([UNATTRIBUTED]));

    const perAccount = await t.sigilo.store.db
      .selectFrom('telecom_segments')
      .select(['account_id', (eb) => eb.fn.sum<number>('record_count').as('n')])
      .groupBy('account_id')
      .execute();
    expect(new Map(perAccount.map((r) => [r.account_id, Number(r.n)]))).toEqual(expected);
  });

  it('stores an account’s day as few large segments, not a slice per batch', async () => {
    const { rows: r } = await sql<{ segments: number | string; groups: number | string }>`select
      count(*) as segments, count(distinct account_id || '|' || day) as groups from telecom_segments`.execute(
      t.sigilo.store.db,
    );
    const { segments, groups } = r[0]!;
    // 12 batches of 500 over 40 accounts' 2-3 days each: cut per batch, that was about 450 segments.
    expect(Number(segments)).toBeLessThanOrEqual(Number(groups) * 2);
  });

  it('adds nothing on a second import of the same file, and keeps the log verifiable', async () => {
    const again = await importAll();
    expect(again).toMatchObject({ stored: 0, duplicates: ROWS - unmatchedLines.length });
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('leaves no number of the file in clear in the database', async () => {
    const numbers = [...new Set(rows.slice(0, 200).map((r) => r.line.split(',')[2]!.replaceAll('"', '')))];
    expect(await scanForClear(t.sigilo.store, numbers)).toEqual([]);
  });
});
