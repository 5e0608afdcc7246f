import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { CallRecord, TelecomRecord } from '../../src/telecom/records/telecom-record.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { Prng } from '../support/synthetic/prng.ts';
import { makeAccount } from '../support/telecom.ts';

const DAY = Date.UTC(2026, 2, 1);

/** A CDR JSON object starting `minutes` after 2026-03-01T00:00Z. */
function cdr(id: string, minutes: number, caller = '1101', callee = '+5511987654321') {
  const start = DAY + minutes * 60_000;
  return {
    platformId: id,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 30_000).toISOString(),
    caller,
    callee,
    direction: 'outbound',
  };
}

async function push(sigilo: Sigilo, accountId: string, items: object[]): Promise<void> {
  const r = await sigilo.services.telecomIngest.ingestObjects(
    ctx('network_platform', 'provisioning'),
    'cdr',
    items,
    { accountId },
  );
  expect(r.rejected).toBe(0);
}

/** Every page of `read`, following the cursors. */
async function allPages(
  read: (cursor?: string) => Promise<{ records: TelecomRecord[]; next: string | null }>,
  from?: string,
): Promise<CallRecord[][]> {
  const pages: CallRecord[][] = [];
  let cursor = from;
  do {
    const p = await read(cursor);
    pages.push(p.records as CallRecord[]);
    cursor = p.next ?? undefined;
  } while (cursor);
  return pages;
}

const byTime = (a: CallRecord, b: CallRecord) =>
  a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0;

describe.each(DIALECTS)('records pages on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it("return an account's records in time order across segments, days and pages, none twice or missed", async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    // Three pushes whose records are out of order and overlap in time over two days (several segments a day),
    // with some records at the very same instant.
    const rng = new Prng(5);
    let n = 0;
    for (let batch = 0; batch < 3; batch++) {
      const items = Array.from({ length: 40 }, () => cdr(`p${n++}`, Math.floor(rng.next() * 2 * 24 * 60)));
      items.push(cdr(`p${n++}`, 600), cdr(`p${n++}`, 600));
      await push(t.sigilo, account, items);
    }
    const segments = await t.sigilo.store.db.selectFrom('telecom_segments').select('id').execute();
    expect(segments.length).toBeGreaterThanOrEqual(6);

    const pages = await allPages((cursor) =>
      t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
        t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', account, {}, 7, cursor),
      ),
    );
    const records = pages.flat();
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.platformId)).size).toBe(n);
    expect(records.map((r) => r.startedAt)).toEqual([...records].sort(byTime).map((r) => r.startedAt));

    // A window gives the same order, cut at its bounds (inclusive), whatever offset it is written with.
    const windowed = await t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(
        s,
        'cdr',
        account,
        { from: '2026-02-28T21:00:00-03:00', to: '2026-03-01T10:00:00.000Z' },
        1000,
      ),
    );
    const expected = records.filter(
      (r) => r.startedAt >= '2026-03-01T00:00:00.000Z' && r.startedAt <= '2026-03-01T10:00:00.000Z',
    );
    expect(windowed.records.map((r) => (r as CallRecord).platformId)).toEqual(
      expected.map((r) => r.platformId),
    );
    expect(expected.filter((r) => r.startedAt === '2026-03-01T10:00:00.000Z')).toHaveLength(6);
  });

  it('keep paging where the last page ended when records are stored meanwhile', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    await push(
      t.sigilo,
      account,
      [50, 10, 40, 20, 30].map((m) => cdr(`a${m}`, m)),
    );
    const read = (cursor?: string) =>
      t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
        t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', account, {}, 2, cursor),
      );
    const first = await read();
    expect(first.records.map((r) => (r as CallRecord).platformId)).toEqual(['a10', 'a20']);
    // One record before the cursor and one after it arrive between two page requests.
    await push(t.sigilo, account, [cdr('b5', 5), cdr('b35', 35)]);
    const rest = (await allPages(read, first.next!)).flat();
    expect(rest.map((r) => r.platformId)).toEqual(['a30', 'b35', 'a40', 'a50']);
    // From the start, the new one is in its place.
    const again = (await allPages(read)).flat();
    expect(again.map((r) => r.platformId)).toEqual(['b5', 'a10', 'a20', 'a30', 'b35', 'a40', 'a50']);

    for (const bad of [
      'x',
      Buffer.from('{"o":2}').toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('{"t":9007199254740991,"s":"a","i":0}').toString('base64url'),
    ])
      await expect(read(bad)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { path: 'cursor' },
      });
  });

  it("return a person's calls in time order across their numbers, a call between two of them once", async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const a = '+5511987654321';
    const b = '+5521998765432';
    const personId = await t.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      t.sigilo.services.people.create(s, {
        name: 'Maria Souza',
        phones: [a, b],
        account: { id: account, relation: 'user' },
      }),
    );
    await push(t.sigilo, account, [
      cdr('c40', 40, '1101', b),
      cdr('c10', 10, '1101', a),
      cdr('c30', 30, a, b),
      cdr('c20', 20, '1102', b),
      cdr('c50', 50, '1101', a),
      cdr('x15', 15, '1101', '+5531987651234'),
    ]);
    const pages = await allPages((cursor) =>
      t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
        t.sigilo.services.telecomQuery.personCalls(s, personId, {}, 2, cursor),
      ),
    );
    expect(pages.map((p) => p.map((r) => r.platformId))).toEqual([['c10', 'c20'], ['c30', 'c40'], ['c50']]);
  });
});
