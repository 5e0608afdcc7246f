import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { readCdrs } from '../../src/telecom/formats/index.ts';
import type { CallRecord } from '../../src/telecom/records/telecom-record.ts';
import { DEFAULT_ACCOUNTS } from '../support/synthetic/synthetic-cdr.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { addRule, cdrSample, importFile, makeAccount, syntheticAsterisk } from '../support/telecom.ts';

const CNPJS = ['11.222.333/0001-81', '12.ABC.345/01DE-35', '04.252.011/0001-10', '40.688.134/0001-61'];

async function accountsForSynthetic(sigilo: Sigilo): Promise<Map<string, string>> {
  const byCode = new Map<string, string>();
  for (const [i, code] of DEFAULT_ACCOUNTS.entries()) {
    const id = await makeAccount(sigilo, `Cliente ${i}`, CNPJS[i]);
    await addRule(sigilo, 'accountcode', code, id);
    byCode.set(code, id);
  }
  return byCode;
}

describe.each(DIALECTS)('telecom records on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('imports every sample format with its facts, and importing again adds nothing', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const first = await importFile(t.sigilo, 'asterisk-csv', cdrSample('asterisk-csv/Master.csv'), account);
    expect(first).toMatchObject({ read: 2, stored: 2, duplicates: 0, rejected: 0 });
    const fs = await importFile(t.sigilo, 'freeswitch-csv', cdrSample('freeswitch-csv/Master.csv'), account);
    expect(fs).toMatchObject({ read: 4, stored: 4, rejected: 0 });
    const js = await importFile(
      t.sigilo,
      'freeswitch-json',
      cdrSample('freeswitch-json/fsdev1-call-1001-to-1002.json'),
      account,
    );
    expect(js).toMatchObject({ read: 1, stored: 1 });
    const again = await importFile(
      t.sigilo,
      'freeswitch-csv',
      cdrSample('freeswitch-csv/Master.csv'),
      account,
    );
    expect(again).toMatchObject({ read: 4, stored: 0, duplicates: 4 });

    const page = await t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', account, {}, 100),
    );
    expect(page.records).toHaveLength(7);
    const json = page.records.find(
      (r) => (r as CallRecord).platform === 'freeswitch' && (r as CallRecord).durationSec === 71,
    ) as CallRecord;
    expect(json).toMatchObject({ caller: '1001', callee: '1002', billSec: 68, disposition: 'answered' });
    const ast = page.records.find((r) => (r as CallRecord).platformId === '1270167992.0') as CallRecord;
    expect(ast).toMatchObject({ callee: '1', durationSec: 7, billSec: 7, disposition: 'answered' });
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('attributes by rule, reports unattributable and malformed lines with their numbers, and imports the rest', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const accounts = await accountsForSynthetic(t.sigilo);
    const { lines } = syntheticAsterisk(300);
    const bad = [...lines];
    bad.splice(10, 0, '"only","three","columns"\n');
    bad.splice(
      20,
      0,
      lines[5]!
        .replace('"padaria-estrela"', '"unknown-customer"')
        .replace('"lima-advogados"', '"unknown-customer"')
        .replace('"clinica-bem-estar"', '"unknown-customer"')
        .replace('"auto-pecas-sul"', '"unknown-customer"')
        .replace(/"\d+\.\d+",""\n$/, '"999.9",""\n'),
    );
    const report = await t.sigilo.services.telecomIngest.ingestCdrs(
      ctx('network_platform', 'provisioning'),
      readCdrs('asterisk-csv', Readable.from([bad.join('')])),
    );
    expect(report.read).toBe(302);
    expect(report.rejected).toBe(2);
    expect(report.errors.map((e) => e.line)).toEqual([11, 21]);
    expect(report.errors[1]?.reason).toMatch(/attribution/);
    expect(report.stored).toBe(300);
    const total = await t.sigilo.store.db
      .selectFrom('telecom_segments')
      .select((eb) => eb.fn.sum<number>('record_count').as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(total.n)).toBe(300);
    expect(accounts.size).toBe(4);
  });

  it('masks third-party numbers for support, refuses cross-account search without authority_order, and finds by number for legal', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const accounts = await accountsForSynthetic(t.sigilo);
    const { stream } = syntheticAsterisk(200, 11);
    await t.sigilo.services.telecomIngest.ingestCdrs(
      ctx('network_platform', 'provisioning'),
      readCdrs('asterisk-csv', stream()),
    );
    const accountId = [...accounts.values()][0]!;
    const clear = await t.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', accountId, {}, 1000),
    );
    const support = await t.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', accountId, {}, 1000),
    );
    expect(support.records.length).toBe(clear.records.length);
    const outbound = clear.records
      .map((r) => r as CallRecord)
      .find((r) => r.direction === 'outbound' && r.callee.startsWith('+'));
    expect(outbound).toBeDefined();
    const masked = support.records.map((r) => r as CallRecord).find((r) => r.key === outbound!.key)!;
    expect(masked.callee).not.toBe(outbound!.callee);
    expect(masked.callee).toContain('*');
    expect(masked.caller).toBe(outbound!.caller);

    await expect(
      t.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
        t.sigilo.services.telecomQuery.searchByNumber(s, outbound!.callee, {
          from: '2020-01-01T00:00:00Z',
          to: '2030-01-01T00:00:00Z',
        }),
      ),
    ).rejects.toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
    await expect(
      t.sigilo.gate.run(ctx('legal', 'legal_obligation'), (s) =>
        t.sigilo.services.telecomQuery.searchByNumber(s, outbound!.callee, {
          from: '2020-01-01T00:00:00Z',
          to: '2030-01-01T00:00:00Z',
        }),
      ),
    ).rejects.toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
    const denied = await t.sigilo.store.db
      .selectFrom('access_log')
      .selectAll()
      .where('outcome', '=', 'denied')
      .where('operation', '=', 'search')
      .execute();
    expect(denied).toHaveLength(2);

    const found = await t.sigilo.gate.run(ctx('legal', 'authority_order'), (s) =>
      t.sigilo.services.telecomQuery.searchByNumber(s, outbound!.callee, {
        from: '2020-01-01T00:00:00Z',
        to: '2030-01-01T00:00:00Z',
      }),
    );
    expect(found.records.length).toBeGreaterThan(0);
    for (const r of found.records as CallRecord[]) expect([r.caller, r.callee]).toContain(outbound!.callee);
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('finds who used an IP and port at an instant (CGNAT) for an authority order only', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const account = await makeAccount(t.sigilo);
    const ingest = (items: unknown[]) =>
      t.sigilo.services.telecomIngest.ingestObjects(
        ctx('network_platform', 'provisioning'),
        'connection',
        items,
        { accountId: account },
      );
    const r = await ingest([
      {
        sessionId: 'a',
        username: 'cliente1',
        startedAt: '2026-03-01T10:00:00Z',
        stoppedAt: '2026-03-01T12:00:00Z',
        ip: '200.160.2.3',
        portStart: 1024,
        portEnd: 2047,
      },
      {
        sessionId: 'b',
        username: 'cliente2',
        startedAt: '2026-03-01T10:00:00Z',
        stoppedAt: '2026-03-01T12:00:00Z',
        ip: '200.160.2.3',
        portStart: 2048,
        portEnd: 3071,
      },
      { sessionId: 'c', startedAt: 'not a date', ip: '200.160.2.3' },
    ]);
    expect(r).toMatchObject({ stored: 2, rejected: 1 });
    expect(r.errors[0]).toMatchObject({ line: 3 });
    const hit = await t.sigilo.gate.run(ctx('legal', 'authority_order'), (s) =>
      t.sigilo.services.telecomQuery.searchByIpPort(s, '200.160.2.3', 2100, '2026-03-01T11:00:00Z'),
    );
    expect(hit.records.map((x) => ('username' in x ? x.username : null))).toEqual(['cliente2']);
    await expect(
      t.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
        t.sigilo.services.telecomQuery.searchByIpPort(s, '200.160.2.3', 2100, '2026-03-01T11:00:00Z'),
      ),
    ).rejects.toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
  });

  it('keeps records of different accounts apart even when their natural keys are equal', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const a = await makeAccount(t.sigilo, 'Cliente A', CNPJS[0]);
    const b = await makeAccount(t.sigilo, 'Cliente B', CNPJS[2]);
    const cdr = {
      platformId: 'X1',
      startedAt: '2026-03-01T10:00:00Z',
      endedAt: '2026-03-01T10:01:00Z',
      caller: '1001',
      callee: '11987654321',
    };
    const traffic = {
      periodStart: '2026-03-01T00:00:00Z',
      periodEnd: '2026-03-02T00:00:00Z',
      service: 'sip-trunk',
      bytesIn: 10,
    };
    const push = (accountId: string, kind: 'cdr' | 'traffic', item: object) =>
      t.sigilo.services.telecomIngest.ingestObjects(ctx('network_platform', 'provisioning'), kind, [item], {
        accountId,
      });
    expect(await push(a, 'cdr', cdr)).toMatchObject({ stored: 1, duplicates: 0 });
    expect(await push(b, 'cdr', cdr)).toMatchObject({ stored: 1, duplicates: 0 });
    expect(await push(a, 'traffic', traffic)).toMatchObject({ stored: 1 });
    expect(await push(b, 'traffic', traffic)).toMatchObject({ stored: 1 });
    // The same record again for the same account is still a duplicate.
    expect(await push(b, 'traffic', traffic)).toMatchObject({ stored: 0, duplicates: 1 });
  });
});
