/**
 * A preservation request by IP + port + instant (CGNAT) holds the connection records that show that IP and port in
 * use at the instant (issue 16): the hold is on the account whose records match, over the span the search reads,
 * and the retention engine keeps those records while it deletes the rest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { makeAccount } from '../../test/support/telecom.ts';
import { cdrOrder } from './authority-request.fixture.ts';

const CNPJ_B = '11222333000181';

describe.each(DIALECTS)('IP preservation holds on %s', (dialect) => {
  let sigilo: Sigilo;
  let clock: TestClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const t = await createTestSigilo(dialect);
    ({ sigilo, clock, cleanup } = t);
  });
  afterEach(async () => cleanup());

  const connections = (accountId: string, items: unknown[]) =>
    sigilo.services.telecomIngest.ingestObjects(
      ctx('network_platform', 'provisioning'),
      'connection',
      items,
      {
        accountId,
      },
    );
  const session = (id: string, ip: string, startedAt: string, stoppedAt: string) => ({
    sessionId: id,
    username: `u-${id}`,
    startedAt,
    stoppedAt,
    ip,
    portStart: 1024,
    portEnd: 2047,
  });
  const segments = async () =>
    (
      await sigilo.store.db
        .selectFrom('telecom_segments')
        .select(['account_id', 'day'])
        .where('kind', '=', 'connection')
        .orderBy('account_id')
        .orderBy('day')
        .execute()
    ).map((r) => `${r.account_id}/${r.day}`);

  it('holds the matching account’s connection records over the searched span; retention keeps only them', async () => {
    clock.set('2026-03-05T12:00:00.000Z');
    const a = await makeAccount(sigilo, 'Cliente A');
    const b = await makeAccount(sigilo, 'Cliente B', CNPJ_B);
    await connections(a, [
      session('a1', '200.160.2.3', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z'),
      session('a2', '200.160.7.7', '2026-03-03T10:00:00Z', '2026-03-03T12:00:00Z'),
    ]);
    await connections(b, [session('b1', '200.160.9.9', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z')]);

    const r = await sigilo.gate.run(ctx('legal', 'authority_order', 'legal-a'), (s) =>
      sigilo.services.authorityRequests.create(
        s,
        cdrOrder({
          requestTypes: ['preservation'],
          categories: ['connection_record'],
          targets: [{ kind: 'ip', ip: '200.160.2.3', port: 1500, at: '2026-03-01T11:00:00Z' }],
          window: { from: '2026-02-01T00:00:00Z', to: '2026-03-04T00:00:00Z' },
        }),
      ),
    );
    expect(r.holdIds).toHaveLength(1);
    const hold = await sigilo.retention.holds.get(ctx('legal', 'authority_order'), r.holdIds[0]!);
    expect(hold).toMatchObject({
      kind: 'preservation',
      scope: { kind: 'account', id: a },
      categories: ['connection_record'],
      status: 'active',
      expiresAt: null,
    });
    expect([Date.parse(hold.window.from!), Date.parse(hold.window.to!)]).toEqual([
      Date.parse('2026-02-27T11:00:00Z'),
      Date.parse('2026-03-01T11:00:00Z'),
    ]);

    // A port outside every session, or another instant, resolves to no account: no hold.
    const none = await sigilo.gate.run(ctx('legal', 'authority_order', 'legal-a'), (s) =>
      sigilo.services.authorityRequests.create(
        s,
        cdrOrder({
          externalReference: 'IP 2/2026',
          requestTypes: ['preservation'],
          categories: ['connection_record'],
          targets: [{ kind: 'ip', ip: '200.160.2.3', port: 5000, at: '2026-03-01T11:00:00Z' }],
          window: { from: '2026-02-01T00:00:00Z', to: '2026-03-04T00:00:00Z' },
        }),
      ),
    );
    expect(none.holdIds).toEqual([]);

    expect(await segments()).toEqual([`${a}/2026-03-01`, `${a}/2026-03-03`, `${b}/2026-03-01`].sort());
    clock.set('2027-03-10T12:00:00.000Z'); // past the connection records' year
    const report = await sigilo.retention.run({ targets: ['telecom.connection'] });
    expect(report.status).toBe('completed');
    expect(await segments()).toEqual([`${a}/2026-03-01`]);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });
});
