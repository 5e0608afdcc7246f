import { afterEach, describe, expect, it } from 'vitest';
import { isSigiloError, type ErrorCode } from '../errors.ts';
import { createTestSigilo, ctx } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { before, buildCustomer, countRows } from '../../test/retention/retention.fixture.ts';

const CONTRACT_GOES = '2032-07-01T03:00:00.000Z';
const code = (c: ErrorCode) => (e: unknown) => isSigiloError(e, c);

describe.each(DIALECTS)('legal holds on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup() {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const c = await buildCustomer(t.sigilo, t.clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: '2027-06-30',
    });
    return { ...t, c };
  }

  it('keeps exactly what a hold covers (scope, category, window) and lets it go once released', async () => {
    const { sigilo, clock, c } = await setup();
    const { gate, services, retention } = sigilo;
    // A second ticket of the same customer, in March: outside the hold's window.
    clock.set('2027-03-15T10:00:00.000Z');
    const marchTicket = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.tickets.open(s, {
        accountId: c.accountId,
        personId: c.ownerId,
        channel: 'email',
        title: 'Fatura',
      }),
    );
    await gate.run(ctx('support_agent', 'support'), (s) => services.tickets.resolve(s, marchTicket));

    clock.set('2028-05-01T12:00:00.000Z');
    const legal = ctx('legal', null, 'legal-7');
    const ticketHold = await retention.holds.create(legal, {
      kind: 'litigation',
      scope: { kind: 'account', id: c.accountId },
      categories: ['support_ticket'],
      window: { from: '2027-01-01', to: '2027-01-31' },
      reason: 'Ação judicial sobre falhas de chamadas em janeiro de 2027',
    });
    expect(ticketHold).toMatchObject({ status: 'active', expiresAt: null, createdBy: 'legal-7' });
    // Another hold on the owner, but for payments: it must not keep tickets; it keeps the invoices of the owner's
    // account (records kept per account name no person), and so their contract.
    const paymentHold = await retention.holds.create(legal, {
      kind: 'other',
      scope: { kind: 'person', id: c.ownerId },
      categories: ['payment'],
      reason: 'Auditoria fiscal',
    });

    clock.set('2029-06-01T00:00:00.000Z');
    const preview = await retention.preview(ctx('dpo', null));
    expect(preview.targets.find((p) => p.target === 'core.tickets')).toMatchObject({
      held: 1,
      due: { items: 1 },
    });
    const report = await retention.run();
    expect(report.targets.find((r) => r.target === 'core.tickets')).toMatchObject({ items: 1, held: 1 });
    const left = await sigilo.store.db.selectFrom('tickets').select('id').execute();
    expect(left.map((r) => r.id)).toEqual([c.ticketId]);

    // Contract and invoices go on time; the held ticket still needs the account, the owner and (through the
    // account) the contact person, so their identity stays.
    clock.set(CONTRACT_GOES);
    await retention.run();
    expect(await countRows(sigilo, c)).toMatchObject({
      contracts: 1,
      invoices: 1,
      tickets: 1,
      ticketMessages: 1,
      accounts: 1,
      people: 2,
    });

    clock.set('2033-01-01T00:00:00.000Z');
    const released = await retention.holds.release(legal, ticketHold.id, { reason: 'Processo encerrado' });
    expect(released).toMatchObject({ status: 'released', releasedBy: 'legal-7' });
    await retention.holds.release(legal, paymentHold.id, { reason: 'Auditoria concluída' });
    const after = await retention.run();
    expect(after.totals.shreddedSubjects).toBe(3);
    expect(await countRows(sigilo, c)).toMatchObject({ tickets: 0, accounts: 0, people: 0, dataKeys: 0 });
    expect((await retention.holds.history(legal, ticketHold.id)).map((e) => e.kind)).toEqual([
      'created',
      'released',
    ]);
  });

  it('lets a Marco Civil preservation hold lapse 60 days after the request unless the court request is registered', async () => {
    const { sigilo, clock, c } = await setup();
    const { retention } = sigilo;
    const legal = ctx('legal', null);
    clock.set('2029-01-01T00:00:00.000Z'); // the ticket would go on 2029-01-10
    const hold = await retention.holds.create(legal, {
      kind: 'preservation',
      scope: { kind: 'person', id: c.ownerId },
      categories: ['support_ticket'],
      reason: 'Requerimento cautelar de guarda de registros',
      authorityRequestRef: 'IP 1234/2028-DRCI',
    });
    const lapse = '2029-03-02T00:00:00.000Z';
    expect(hold.expiresAt).toBe(lapse);
    // Without a court request it cannot be stretched past the 60 days.
    await expect(
      retention.holds.extend(legal, hold.id, { expiresAt: '2029-04-30', reason: 'pedido' }),
    ).rejects.toSatisfy(code('VALIDATION_FAILED'));

    clock.set('2029-02-01T00:00:00.000Z');
    await retention.run();
    expect((await countRows(sigilo, c)).tickets).toBe(1);
    clock.set(before(lapse, 1));
    await retention.run();
    expect((await countRows(sigilo, c)).tickets).toBe(1);
    clock.set(lapse);
    expect((await retention.holds.get(legal, hold.id)).status).toBe('expired');
    expect(await retention.holds.list(legal, { status: 'active' })).toEqual([]);
    await retention.run();
    expect((await countRows(sigilo, c)).tickets).toBe(0);
  });

  it('keeps a preservation hold past 60 days once the court request is registered', async () => {
    const { sigilo, clock, c } = await setup();
    const { retention } = sigilo;
    const legal = ctx('legal', null);
    clock.set('2029-01-01T00:00:00.000Z');
    const hold = await retention.holds.create(legal, {
      kind: 'preservation',
      scope: { kind: 'account', id: c.accountId },
      categories: ['support_ticket'],
      reason: 'Requerimento cautelar',
      authorityRequestRef: 'PIC 55/2028',
    });
    clock.set('2029-02-20T00:00:00.000Z');
    const withCourt = await retention.holds.registerCourtRequest(legal, hold.id, {
      ref: 'Processo 0001234-56.2029',
    });
    expect(withCourt).toMatchObject({ expiresAt: null, courtRequestRef: 'Processo 0001234-56.2029' });
    clock.set('2030-01-01T00:00:00.000Z');
    await retention.run();
    expect((await countRows(sigilo, c)).tickets).toBe(1);
    expect((await retention.holds.history(legal, hold.id)).map((e) => e.kind)).toEqual([
      'created',
      'court_request',
    ]);
  });

  it('refuses holds the rules do not allow', async () => {
    const { sigilo, c } = await setup();
    const { holds } = sigilo.retention;
    const legal = ctx('legal', null);
    const base = {
      kind: 'litigation' as const,
      scope: { kind: 'account' as const, id: c.accountId },
      categories: ['contract'],
      reason: 'Ação',
    };
    await expect(holds.create(ctx('support_agent', 'support'), base)).rejects.toSatisfy(
      code('ROLE_NOT_ALLOWED'),
    );
    await expect(holds.create(legal, { ...base, categories: ['dna'] })).rejects.toSatisfy(
      code('CATEGORY_NOT_DECLARED'),
    );
    await expect(holds.create(legal, { ...base, kind: 'preservation' })).rejects.toSatisfy(
      code('VALIDATION_FAILED'),
    );
    await expect(
      holds.create(legal, { ...base, scope: { kind: 'person', id: c.accountId } }),
    ).rejects.toSatisfy(code('NOT_FOUND'));
    await expect(
      holds.create(legal, { ...base, window: { from: '2027-02-01', to: '2027-01-01' } }),
    ).rejects.toSatisfy(code('VALIDATION_FAILED'));
    const h = await holds.create(legal, { ...base, expiresAt: '2030-01-01' });
    await expect(holds.extend(legal, h.id, { expiresAt: '2029-01-01', reason: 'x' })).rejects.toSatisfy(
      code('VALIDATION_FAILED'),
    );
    const extended = await holds.extend(legal, h.id, { expiresAt: '2031-01-01', reason: 'recurso' });
    expect(extended.expiresAt).toBe('2031-01-02T02:59:59.999Z');
    await holds.release(legal, h.id, { reason: 'acordo' });
    await expect(holds.release(legal, h.id, { reason: 'de novo' })).rejects.toSatisfy(code('CONFLICT'));
    await expect(holds.get(ctx('auditor', null), 'nope')).rejects.toSatisfy(code('NOT_FOUND'));
  });
});
