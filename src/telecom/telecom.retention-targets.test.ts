/**
 * Telecom records under the retention engine: each sealed segment goes when its last record's period ends (not a
 * day before), whole expired days go as periods, a hold on one account keeps only that account's segments, and
 * every deletion is certified and access-logged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx, testClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { addRule, makeAccount, syntheticAsterisk } from '../../test/support/telecom.ts';
import type { Sigilo } from '../app.ts';
import { readCdrs } from './formats/index.ts';
import type { TelecomKind } from './records/telecom-record.ts';

const platform = () => ctx('network_platform', 'provisioning');

async function stored(sigilo: Sigilo, kind: TelecomKind, accountId?: string): Promise<number> {
  let q = sigilo.store.db
    .selectFrom('telecom_segments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('record_count'), eb.lit(0)).as('n'))
    .where('kind', '=', kind);
  if (accountId) q = q.where('account_id', '=', accountId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

function access(at: string, user = 'ana@example.com') {
  return { user, at, ip: '200.160.2.3', port: 51000, system: 'portal' as const, activity: 'login' };
}

describe.each(DIALECTS)('telecom retention targets on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('deletes access records exactly 6 months after their last record, not a day or a millisecond before', async () => {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-11-27T12:00:00.000Z') });
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const a = await makeAccount(sigilo);
    const r = await sigilo.services.telecomIngest.ingestObjects(
      platform(),
      'access',
      [
        access('2026-11-25T12:00:00.000Z'),
        access('2026-11-26T10:00:00.000Z'),
        access('2026-11-26T15:00:00.000Z'),
      ],
      { accountId: a },
    );
    expect(r.stored).toBe(3);

    // 25 Nov 12:00Z (09:00 in Brasília) + 6 calendar months = 25 May 2027 12:00Z.
    clock.set('2027-05-25T11:59:59.999Z');
    await sigilo.retention.run();
    expect(await stored(sigilo, 'access')).toBe(3);
    clock.set('2027-05-25T12:00:00.000Z');
    await sigilo.retention.run();
    expect(await stored(sigilo, 'access')).toBe(2);

    // The 26 Nov segment goes with its last record (15:00Z), not with its first (10:00Z).
    clock.set('2027-05-26T14:59:59.999Z');
    await sigilo.retention.run();
    expect(await stored(sigilo, 'access')).toBe(2);
    clock.set('2027-05-26T15:00:00.000Z');
    const report = await sigilo.retention.run();
    expect(await stored(sigilo, 'access')).toBe(0);
    expect(report.targets.find((x) => x.target === 'telecom.access')).toMatchObject({ items: 1, records: 2 });

    const certs = await sigilo.retention.certificates.list(ctx('auditor', null));
    expect(certs.map((c) => c.categories[0])).toEqual(['access_record', 'access_record']);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('keeps CDRs for 5 years, then drops whole days, certifies the count and forgets the account', async () => {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-02-01T12:00:00.000Z') });
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const a = await makeAccount(sigilo);
    await addRule(sigilo, 'accountcode', 'padaria-estrela', a);
    const { stream } = syntheticAsterisk(300);
    const r = await sigilo.services.telecomIngest.ingestCdrs(platform(), readCdrs('asterisk-csv', stream()), {
      accountId: a,
    });
    expect(r.stored).toBe(300);
    const span = await sigilo.store.db
      .selectFrom('telecom_segments')
      .select((eb) => [eb.fn.min('first_at').as('first'), eb.fn.max('last_at').as('last')])
      .executeTakeFirstOrThrow();

    // One day short of five years after the first call: nothing goes.
    const first = new Date(String(span.first));
    clock.set(
      new Date(
        Date.UTC(first.getUTCFullYear() + 5, first.getUTCMonth(), first.getUTCDate() - 1),
      ).toISOString(),
    );
    await sigilo.retention.run();
    expect(await stored(sigilo, 'cdr')).toBe(300);

    // Two days after the last call's fifth anniversary, every day has wholly expired.
    const last = new Date(String(span.last));
    clock.set(
      new Date(Date.UTC(last.getUTCFullYear() + 5, last.getUTCMonth(), last.getUTCDate() + 2)).toISOString(),
    );
    const report = await sigilo.retention.run();
    expect(await stored(sigilo, 'cdr')).toBe(0);
    expect(report.targets.find((x) => x.target === 'telecom.cdr')?.records).toBe(300);
    const modes = await sigilo.store.db
      .selectFrom('retention_batches')
      .select('mode')
      .distinct()
      .where('target_id', '=', 'telecom.cdr')
      .execute();
    expect(modes.map((m) => m.mode)).toEqual(['period']);

    const auditor = ctx('auditor', null);
    const [cert] = await sigilo.retention.certificates.list(auditor);
    expect(cert?.totals.records).toBeGreaterThanOrEqual(300);
    const body = (await sigilo.retention.certificates.get(auditor, cert!.id)).body;
    expect(body.entries.find((e) => e.category === 'call_record')?.counts.records).toBe(300);
    expect(await sigilo.retention.certificates.verify(auditor, cert!.id)).toEqual({ ok: true });
    // Nothing else needed the account: its identity went, and its attribution rule with it.
    expect(cert?.totals.shreddedSubjects).toBe(1);
    expect(await sigilo.store.db.selectFrom('attribution_rules').selectAll().execute()).toEqual([]);
    // The day's key group went with its segments: a later import starts a new epoch.
    expect(
      await sigilo.store.db
        .selectFrom('telecom_key_groups')
        .select('account_id')
        .where('kind', '=', 'cdr')
        .execute(),
    ).toEqual([]);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it("keeps a held account's segments while another account's records of the same day go", async () => {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-11-27T12:00:00.000Z') });
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const a = await makeAccount(sigilo, 'A Ltda', '11.222.333/0001-81');
    const b = await makeAccount(sigilo, 'B Ltda', '04.252.011/0001-10');
    for (const [id, user] of [
      [a, 'ana@a.example'],
      [b, 'bruno@b.example'],
    ] as const) {
      const r = await sigilo.services.telecomIngest.ingestObjects(
        platform(),
        'access',
        [access('2026-11-20T12:00:00.000Z', user), access('2026-11-20T13:00:00.000Z', user)],
        { accountId: id },
      );
      expect(r.stored).toBe(2);
    }
    await sigilo.retention.holds.create(ctx('legal', null), {
      kind: 'litigation',
      scope: { kind: 'account', id: a },
      categories: ['access_record'],
      reason: 'Ação judicial em curso',
    });

    clock.set('2027-07-01T00:00:00.000Z');
    const report = await sigilo.retention.run();
    expect(await stored(sigilo, 'access', a)).toBe(2);
    expect(await stored(sigilo, 'access', b)).toBe(0);
    expect(report.targets.find((x) => x.target === 'telecom.access')).toMatchObject({ records: 2, held: 1 });
    // A's records still read back, opened through the gate.
    const page = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.telecomQuery.accountHistory(s, 'access', a, {}),
    );
    expect(page.records).toHaveLength(2);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });
});
