import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx, SAMPLE, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { makeAccount } from '../../test/support/telecom.ts';
import { cdrOrder } from './authority-request.fixture.ts';

const legalA = () => ctx('legal', 'authority_order', 'legal-a');
const legalB = () => ctx('legal', 'authority_order', 'legal-b');

describe.each(DIALECTS)('authority requests on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup(): Promise<{ sigilo: Sigilo; clock: TestClock }> {
    const t = await createTestSigilo(dialect, {});
    cleanup = t.cleanup;
    t.clock.set('2026-12-01T12:00:00.000Z');
    return t;
  }

  const create = (sigilo: Sigilo, body: unknown, c = legalA()) =>
    sigilo.gate.run(c, (s) => sigilo.services.authorityRequests.create(s, body));

  async function denied(sigilo: Sigilo) {
    return sigilo.store.db
      .selectFrom('access_log')
      .select(['operation', 'reason', 'outcome'])
      .where('outcome', '=', 'denied')
      .execute();
  }

  it('refuses a CDR request without a court order, naming the rule and its legal source, and logs it', async () => {
    const { sigilo } = await setup();
    const err = await create(sigilo, cdrOrder({ courtOrderRef: undefined })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'AUTHORITY_COURT_ORDER_REQUIRED',
      details: { rule: 'court_order_required', path: 'courtOrderRef', requestType: 'cdrs' },
    });
    expect((err as { details: { legalSource: string } }).details.legalSource).toContain('Art. 10 §1');
    expect(await denied(sigilo)).toEqual([
      expect.objectContaining({
        operation: 'intake',
        reason: expect.stringContaining('AUTHORITY_COURT_ORDER_REQUIRED') as string,
      }),
    ]);
    expect(await sigilo.store.db.selectFrom('authority_requests').select('id').execute()).toEqual([]);
  });

  it('gives cadastral data without an order only to the authorities the law names', async () => {
    const { sigilo } = await setup();
    const cadastral = (type: string) =>
      cdrOrder({
        requestTypes: ['cadastral'],
        courtOrderRef: undefined,
        window: undefined,
        authority: { name: 'X', type },
      });
    await expect(create(sigilo, cadastral('anatel'))).rejects.toMatchObject({
      code: 'AUTHORITY_NOT_COMPETENT',
      details: {
        rule: 'cadastral_named_authorities',
        legalSource: expect.stringContaining('Lei 12.850/2013, Art. 15') as string,
      },
    });
    const ok = await create(sigilo, cadastral('police_chief'));
    expect(ok).toMatchObject({
      state: 'received',
      categories: ['name', 'postal_address', 'tax_id'],
      targetCount: 1,
    });
  });

  it('refuses generic or collective targets and open windows (Decreto 8.771/2016 Art. 11 §3)', async () => {
    const { sigilo } = await setup();
    for (const targets of [
      [],
      [{ kind: 'number', value: '+55 11 9876*' }],
      [{ kind: 'number', value: '11 98765-0000 - 11 98765-9999' }],
      [{ kind: 'ip', ip: '200.160.0.0/16', at: '2026-11-10T10:00:00Z' }],
      [{ kind: 'ip', ip: '200.160.2.3', at: '2026-11-10' }],
    ]) {
      await expect(create(sigilo, cdrOrder({ targets })), JSON.stringify(targets)).rejects.toMatchObject({
        code: 'AUTHORITY_TARGET_GENERIC',
        details: { rule: 'specific_targets', legalSource: 'Decreto 8.771/2016, Art. 11 §3' },
      });
    }
    await expect(
      create(sigilo, cdrOrder({ window: { from: '2026-11-01T00:00:00Z' } })),
    ).rejects.toMatchObject({
      code: 'AUTHORITY_TARGET_GENERIC',
      details: { rule: 'specific_window' },
    });
  });

  it('answers a window outside what is retained as such, not with an empty search', async () => {
    const { sigilo } = await setup();
    // Connection records are kept one year (Marco Civil Art. 13).
    await expect(
      create(
        sigilo,
        cdrOrder({
          requestTypes: ['connection_records'],
          window: { from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' },
        }),
      ),
    ).rejects.toMatchObject({
      code: 'AUTHORITY_WINDOW_NOT_RETAINED',
      details: { retained: [{ category: 'connection_record', retainedFrom: '2025-12-01T12:00:00.000Z' }] },
    });
    // Partly retained: accepted, and the history says from when records exist.
    const r = await create(
      sigilo,
      cdrOrder({
        requestTypes: ['connection_records'],
        window: { from: '2025-06-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      }),
    );
    const history = await sigilo.gate.run(legalA(), (s) =>
      sigilo.services.authorityRequests.history(s, r.id),
    );
    expect(history[0]).toMatchObject({
      kind: 'received',
      details: {
        retentionNotes: [{ category: 'connection_record', retainedFrom: '2025-12-01T12:00:00.000Z' }],
      },
    });
  });

  it('seals the targets: the row holds no number, and only the legal team opens them', async () => {
    const { sigilo } = await setup();
    const r = await create(sigilo, cdrOrder());
    const raw = await sigilo.store.db.selectFrom('authority_requests').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(raw)).not.toContain(SAMPLE.phoneE164.slice(3));
    expect(
      Buffer.from((raw as unknown as { targets_ct: Buffer }).targets_ct).toString('latin1'),
    ).not.toContain(SAMPLE.phoneE164.slice(3));
    const targets = await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.targets(s, r.id),
    );
    expect(targets).toEqual([{ kind: 'number', value: SAMPLE.phoneE164 }]);
    await expect(
      sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
        sigilo.services.authorityRequests.targets(s, r.id),
      ),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    await expect(
      sigilo.gate.run(ctx('legal', 'legal_obligation'), (s) =>
        sigilo.services.authorityRequests.targets(s, r.id),
      ),
    ).rejects.toMatchObject({ code: 'PURPOSE_NOT_ALLOWED' });
  });

  it('needs a second legal staff member to approve (four-eyes), logs the decision and keeps its reasons sealed in the history', async () => {
    const { sigilo } = await setup();
    const r = await create(sigilo, cdrOrder());
    await sigilo.gate.run(legalA(), (s) => sigilo.services.authorityRequests.startValidation(s, r.id));
    await expect(
      sigilo.gate.run(legalA(), (s) =>
        sigilo.services.authorityRequests.approve(s, r.id, { reasons: 'Ordem válida' }),
      ),
    ).rejects.toMatchObject({ code: 'AUTHORITY_FOUR_EYES', details: { rule: 'four_eyes' } });
    await expect(
      sigilo.gate.run(ctx('dpo', 'authority_order', 'dpo-1'), (s) =>
        sigilo.services.authorityRequests.approve(s, r.id, { reasons: 'x' }),
      ),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    const approved = await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.approve(s, r.id, {
        reasons: 'Ordem judicial fundamentada; alvo e período específicos',
      }),
    );
    expect(approved).toMatchObject({ state: 'approved', approvedBy: 'legal-b', createdBy: 'legal-a' });
    const log = await sigilo.store.db
      .selectFrom('access_log')
      .select(['actor', 'operation', 'outcome', 'reason', 'subject_id', 'purpose'])
      .where('operation', '=', 'approve')
      .orderBy('seq')
      .execute();
    expect(log).toEqual([
      expect.objectContaining({
        actor: 'legal-a',
        outcome: 'denied',
        reason: expect.stringContaining('AUTHORITY_FOUR_EYES') as string,
      }),
      {
        actor: 'legal-b',
        operation: 'approve',
        outcome: 'allowed',
        // The reasons are staff free text: the log says where they are, the history holds them (sealed).
        reason: "approved; reasons in the request's history",
        subject_id: r.id,
        purpose: 'authority_order',
      },
    ]);
    const history = await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.history(s, r.id),
    );
    expect(history.find((e) => e.kind === 'approved')?.details).toMatchObject({
      reasons: 'Ordem judicial fundamentada; alvo e período específicos',
    });
    // Approving twice is a state error, not a second approval.
    await expect(
      sigilo.gate.run(ctx('legal', 'authority_order', 'legal-c'), (s) =>
        sigilo.services.authorityRequests.approve(s, r.id, { reasons: 'again' }),
      ),
    ).rejects.toMatchObject({ code: 'AUTHORITY_REQUEST_STATE', details: { state: 'approved' } });
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('lists overdue requests by deadline and flags urgent ones', async () => {
    const { sigilo, clock } = await setup();
    const late = await create(sigilo, cdrOrder({ deadline: '2026-12-03T12:00:00Z', urgent: true }));
    const later = await create(sigilo, cdrOrder({ deadline: '2026-12-20T12:00:00Z' }));
    const rejected = await create(sigilo, cdrOrder({ deadline: '2026-12-02T12:00:00Z' }));
    await sigilo.gate.run(legalB(), (s) =>
      sigilo.services.authorityRequests.reject(s, rejected.id, { reasons: 'Ordem sem assinatura' }),
    );
    const overdue = () =>
      sigilo.gate.run(legalA(), (s) => sigilo.services.authorityRequests.list(s, { overdue: true }));
    expect(await overdue()).toEqual([]);
    clock.set('2026-12-05T00:00:00Z');
    expect((await overdue()).map((r) => [r.id, r.urgent, r.overdue])).toEqual([[late.id, true, true]]);
    clock.set('2026-12-21T00:00:00Z');
    expect((await overdue()).map((r) => r.id)).toEqual([late.id, later.id]);
  });

  it('shows the DPO counts by authority type and month, without targets', async () => {
    const { sigilo, clock } = await setup();
    await create(sigilo, cdrOrder());
    await create(
      sigilo,
      cdrOrder({
        requestTypes: ['cadastral'],
        courtOrderRef: undefined,
        authority: { name: 'DP', type: 'police_chief' },
      }),
    );
    clock.set('2027-01-04T12:00:00Z');
    await create(sigilo, cdrOrder({ window: { from: '2026-12-01T00:00:00Z', to: '2026-12-31T00:00:00Z' } }));
    const counts = await sigilo.services.authorityRequests.monthlyCounts(ctx('dpo', null));
    expect(counts).toEqual([
      { month: '2026-12', authorityType: 'judge', count: 1 },
      { month: '2026-12', authorityType: 'police_chief', count: 1 },
      { month: '2027-01', authorityType: 'judge', count: 1 },
    ]);
    await expect(
      sigilo.services.authorityRequests.monthlyCounts(ctx('support_agent', null)),
    ).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
    });
  });

  it('creates a preservation hold with the Marco Civil 60-day clock, and links the later court order to it', async () => {
    const { sigilo, clock } = await setup();
    const accountId = await makeAccount(sigilo);
    const r = await create(
      sigilo,
      cdrOrder({
        requestTypes: ['preservation'],
        courtOrderRef: undefined,
        authority: { name: 'Delegacia de Crimes Cibernéticos', type: 'police_chief' },
        targets: [
          { kind: 'account', id: accountId },
          { kind: 'tax_id', value: SAMPLE.cnpj },
        ],
        categories: ['connection_record', 'call_record'],
        window: { from: '2026-10-01T00:00:00Z', to: '2026-11-30T00:00:00Z' },
      }),
    );
    expect(r.holdIds).toHaveLength(1);
    const hold = await sigilo.retention.holds.get(legalA(), r.holdIds[0]!);
    expect(hold).toMatchObject({
      kind: 'preservation',
      scope: { kind: 'account', id: accountId },
      categories: ['call_record', 'connection_record'],
      authorityRequestRef: 'IP 1234/2026-DEIC',
      courtRequestRef: null,
      status: 'active',
    });
    expect(Date.parse(hold.expiresAt!) - Date.parse('2026-12-01T12:00:00Z')).toBeGreaterThanOrEqual(
      59 * 86_400_000,
    );
    expect(Date.parse(hold.expiresAt!) - Date.parse('2026-12-01T12:00:00Z')).toBeLessThanOrEqual(
      61 * 86_400_000,
    );

    clock.advanceDays(30);
    const linked = await sigilo.services.authorityRequests.linkCourtOrder(
      sigilo.gate,
      legalB(),
      r.id,
      'Processo 0009999-11.2026.8.26.0050',
    );
    expect(linked.courtOrderRef).toBe('Processo 0009999-11.2026.8.26.0050');
    expect(await sigilo.retention.holds.get(legalA(), r.holdIds[0]!)).toMatchObject({
      courtRequestRef: 'Processo 0009999-11.2026.8.26.0050',
      expiresAt: null,
      status: 'active',
    });
    clock.advanceDays(60);
    expect((await sigilo.retention.holds.get(legalA(), r.holdIds[0]!)).status).toBe('active');
  });
});
