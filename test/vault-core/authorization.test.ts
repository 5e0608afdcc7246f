import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { GateSession } from '../../src/gate/gate.ts';
import { createTestSigilo, ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  countRows,
  entriesFor,
  expectSigiloError,
  JOAO,
  MARIA,
  matching,
  PERSONAL_TABLES,
  rawRows,
  seedCustomer,
  type Customer,
} from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

/** Row counts of every personal-data table and of the subjects, to prove a denied write stored nothing. */
async function snapshotCounts(sigilo: Sigilo): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [...PERSONAL_TABLES, 'subjects', 'account_people', 'data_keys']) {
    out[table] = await countRows(sigilo, table);
  }
  return out;
}

/** Every service call a staff member can make, bound to one customer's ids. */
function serviceCalls(
  sigilo: Sigilo,
  c: Customer,
  phoneId: string,
): [string, (s: GateSession) => Promise<unknown>][] {
  const { accounts, people, contracts, invoices, tickets, credentials } = sigilo.services;
  return [
    [
      'accounts.create',
      (s) => accounts.create(s, { kind: 'company', name: JOAO.companyName, taxId: JOAO.cnpj }),
    ],
    ['accounts.get', (s) => accounts.get(s, c.accountId)],
    ['accounts.findByTaxId', (s) => accounts.findByTaxId(s, MARIA.cnpj)],
    ['accounts.close', (s) => accounts.close(s, c.accountId)],
    ['people.create', (s) => people.create(s, { name: JOAO.personName, phones: JOAO.phones })],
    ['people.get', (s) => people.get(s, c.personId)],
    ['people.findByContact', (s) => people.findByContact(s, 'phone', SAMPLE.phone)],
    ['people.findByTaxId', (s) => people.findByTaxId(s, MARIA.cnpj)],
    ['people.rename', (s) => people.rename(s, c.personId, 'Outro Nome')],
    ['people.addContact', (s) => people.addContact(s, c.personId, 'email', 'novo@example.com')],
    ['people.removeContact', (s) => people.removeContact(s, c.personId, 'phone', phoneId)],
    ['people.addAddress', (s) => people.addAddress(s, c.personId, JOAO.address)],
    [
      'contracts.create',
      (s) => contracts.create(s, { accountId: c.accountId, product: 'X', startedOn: '2026-03-01' }),
    ],
    ['contracts.get', (s) => contracts.get(s, c.contractId)],
    ['contracts.listForAccount', (s) => contracts.listForAccount(s, c.accountId)],
    ['contracts.history', (s) => contracts.history(s, c.contractId)],
    ['contracts.amend', (s) => contracts.amend(s, c.contractId, { plan: 'anual' })],
    ['contracts.terminate', (s) => contracts.terminate(s, c.contractId, '2026-12-31')],
    [
      'invoices.create',
      (s) =>
        invoices.create(s, {
          contractId: c.contractId,
          issuedOn: '2026-03-01',
          amountCents: 1,
          dueDate: '2026-03-10',
        }),
    ],
    ['invoices.markPaid', (s) => invoices.markPaid(s, c.invoiceId, '2026-03-05')],
    ['invoices.listForAccount', (s) => invoices.listForAccount(s, c.accountId)],
    [
      'tickets.open',
      (s) => tickets.open(s, { accountId: c.accountId, channel: 'chat', title: 'Outro chamado' }),
    ],
    ['tickets.addMessage', (s) => tickets.addMessage(s, c.ticketId, 'agent', 'Resposta')],
    ['tickets.resolve', (s) => tickets.resolve(s, c.ticketId)],
    ['tickets.get', (s) => tickets.get(s, c.ticketId)],
    ['tickets.listForAccount', (s) => tickets.listForAccount(s, c.accountId)],
    ['credentials.setPortalPassword', (s) => credentials.setPortalPassword(s, c.personId, SAMPLE.password)],
    [
      'credentials.verifyPortalPassword',
      (s) => credentials.verifyPortalPassword(s, c.personId, SAMPLE.password),
    ],
    [
      'credentials.storeProvisioningSecret',
      (s) => credentials.storeProvisioningSecret(s, c.personId, 'api', 'k-1'),
    ],
    ['credentials.revealProvisioningSecret', (s) => credentials.revealProvisioningSecret(s, c.secretId)],
    ['gate.shredSubject', (s) => s.shredSubject(c.personId, 'no grant')],
  ];
}

describe.each(DIALECTS)('authorization through the services on %s', (dialect) => {
  // One installation for the whole suite: every test only adds data or is refused, and compares counts and
  // log entries of its own request ids, so the tests do not depend on each other.
  let t: TestSigilo;
  let maria: Customer;
  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    maria = await seedCustomer(t.sigilo, MARIA);
  });
  afterAll(async () => t.cleanup());

  const run = <T>(role: string, purpose: string | null, work: (s: GateSession) => Promise<T>) =>
    t.sigilo.gate.run(ctx(role, purpose), work);

  describe('what each role sees, masked as the policy says', () => {
    it('support_agent/support reads a person in full and an account with the tax id partly masked', async () => {
      const person = await run('support_agent', 'support', (s) =>
        t.sigilo.services.people.get(s, maria.personId),
      );
      expect(person).toMatchObject({
        name: SAMPLE.personName,
        phones: [{ value: SAMPLE.phoneE164 }, { value: '+552134567890' }],
        emails: [{ value: 'maria.souza@example.com.br' }],
        ipAddresses: [{ value: SAMPLE.ip }, { value: '2001:db8::42' }],
        addresses: [{ address: { ...SAMPLE.address, cep: '01310200' } }],
      });
      const account = await run('support_agent', 'support', (s) =>
        t.sigilo.services.accounts.get(s, maria.accountId),
      );
      expect(account.name).toBe(SAMPLE.companyName);
      expect(account.taxId).toBe('**.***.***/0001-81');
      // For contracting the same agent needs the whole number.
      const contracting = await run('support_agent', 'contracting', (s) =>
        t.sigilo.services.accounts.get(s, maria.accountId),
      );
      expect(contracting.taxId).toBe('11222333000181');
    });

    it('an individual account shows only the middle of the CPF to support', async () => {
      const id = await run('support_agent', 'contracting', (s) =>
        t.sigilo.services.accounts.create(s, {
          kind: 'individual',
          name: SAMPLE.personName,
          taxId: SAMPLE.cpf,
        }),
      );
      const account = await run('support_agent', 'support', (s) => t.sigilo.services.accounts.get(s, id));
      expect(account.taxId).toBe('***.982.247-**');
    });

    it('billing sees phones masked and no IP address; provisioning sees names masked and no e-mail', async () => {
      const billing = await run('billing', 'billing', (s) => t.sigilo.services.people.get(s, maria.personId));
      expect(billing.name).toBe(SAMPLE.personName);
      expect(billing.phones?.map((p) => p.value)).toEqual(['+55 11 9****-4321', '+55 21 ****-7890']);
      expect(billing.emails?.map((p) => p.value)).toEqual(['maria.souza@example.com.br']);
      expect(billing.ipAddresses).toBeUndefined();

      const noc = await run('provisioning', 'provisioning', (s) =>
        t.sigilo.services.people.get(s, maria.personId),
      );
      expect(noc.name).toBe('M*** d*** S*** S***');
      expect(noc.phones?.map((p) => p.value)).toEqual(['+55 11 9****-4321', '+55 21 ****-7890']);
      expect(noc.ipAddresses?.map((p) => p.value)).toEqual([SAMPLE.ip, '2001:db8::42']);
      expect(noc.emails).toBeUndefined();
      expect(noc.addresses).toBeUndefined();
    });
  });

  it('auditor and admin are denied on every service call, each denial is logged, and nothing is stored', async () => {
    const [phone] = (await rawRows(t.sigilo, 'contact_points')).filter((r) => r.kind === 'phone');
    const calls = serviceCalls(t.sigilo, maria, phone!.id as string);
    const before = await snapshotCounts(t.sigilo);
    // They have no grant at all, so two purposes suffice: the one most roles use and the subject-rights one.
    const purposes = ['support', 'subject_request'];
    const attempts: { requestId: string; role: string; purpose: string; call: string }[] = [];
    for (const role of ['auditor', 'admin']) {
      for (const purpose of purposes) {
        for (const [call, work] of calls) {
          const c = ctx(role, purpose);
          const err = await t.sigilo.gate.run(c, work).then(
            () => null,
            (e: unknown) => e as { code?: string },
          );
          expect(err?.code, `${role}/${purpose} ${call}`).toBe('PURPOSE_NOT_ALLOWED');
          attempts.push({ requestId: c.requestId, role, purpose, call });
        }
      }
    }
    expect(await snapshotCounts(t.sigilo)).toEqual(before);
    const log = await t.sigilo.accessLog.repo.page(t.sigilo.store.db, 0, 100_000);
    for (const a of attempts) {
      const entries = log.filter((e) => e.requestId === a.requestId);
      expect(entries, `${a.role}/${a.purpose} ${a.call}`).toEqual([
        expect.objectContaining({ role: a.role, purpose: a.purpose, outcome: 'denied', legalBasis: null }),
      ]);
      expect(entries[0]?.categories.length, a.call).toBeGreaterThan(0);
    }
    expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
  });

  describe('provisioning secrets', () => {
    const reveal = (sigilo: Sigilo, secretId: string) => (s: GateSession) =>
      sigilo.services.credentials.revealProvisioningSecret(s, secretId);

    it('are revealed to provisioning/provisioning and refused to support, the DPO and provisioning for support', async () => {
      const ok = await run('provisioning', 'provisioning', reveal(t.sigilo, maria.secretId));
      expect(ok.secret).toBe(SAMPLE.sipSecret);
      for (const [role, purpose] of [
        ['support_agent', 'support'],
        ['dpo', 'subject_request'],
        ['provisioning', 'support'],
        ['legal', 'authority_order'],
        ['subject_portal', 'provisioning'],
      ] as const) {
        const c = ctx(role, purpose);
        const err = await expectSigiloError(
          t.sigilo.gate.run(c, reveal(t.sigilo, maria.secretId)),
          'PURPOSE_NOT_ALLOWED',
        );
        expect(err.details).toMatchObject({ category: 'provisioning_secret', operation: 'read' });
        expect(JSON.stringify(err)).not.toContain(SAMPLE.sipSecret);
        expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
          expect.objectContaining({
            role,
            purpose,
            categories: ['provisioning_secret'],
            subjectId: maria.personId,
            outcome: 'denied',
          }),
        ]);
      }
    });

    it('are refused to every other role and purpose of the policy (retention role excepted, see below)', async () => {
      const policy = t.sigilo.policies.policy();
      for (const role of policy.roles.map((r) => r.id)) {
        for (const purpose of policy.purposes.map((p) => p.id)) {
          if (role === 'provisioning' && purpose === 'provisioning') continue;
          if (role === 'system' && purpose === 'legal_obligation') continue; // TODO(policy) below
          const err = await t.sigilo.gate.run(ctx(role, purpose), reveal(t.sigilo, maria.secretId)).then(
            () => null,
            (e: unknown) => e as { code?: string },
          );
          expect(err?.code, `${role}/${purpose}`).toBe('PURPOSE_NOT_ALLOWED');
        }
      }
    });

    // SPEC §1: released only to the provisioning purpose; retention sweeps only delete them.
    it('are not revealed to the retention role either', async () => {
      await expectSigiloError(
        run('system', 'legal_obligation', reveal(t.sigilo, maria.secretId)),
        'PURPOSE_NOT_ALLOWED',
      );
    });
  });

  describe('purposes', () => {
    it('no purpose → PURPOSE_REQUIRED; an undeclared purpose → PURPOSE_UNKNOWN; an undeclared role → ROLE_NOT_ALLOWED; all logged', async () => {
      for (const [role, purpose, code] of [
        ['support_agent', null, 'PURPOSE_REQUIRED'],
        ['support_agent', 'marketing', 'PURPOSE_UNKNOWN'],
        ['intern', 'support', 'ROLE_NOT_ALLOWED'],
      ] as const) {
        const c = ctx(role, purpose);
        await expectSigiloError(
          t.sigilo.gate.run(c, (s) => t.sigilo.services.people.get(s, maria.personId)),
          code,
        );
        expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
          expect.objectContaining({
            role,
            // An undeclared purpose is kept only as a marker with its length (issue 13 §6).
            purpose: code === 'PURPOSE_UNKNOWN' ? `undeclared:${purpose.length}` : purpose,
            categories: ['name'],
            subjectId: maria.personId,
            outcome: 'denied',
            reason: matching(new RegExp(`^${code}`)),
          }),
        ]);
      }
    });
  });

  describe('a write denied half-way is rolled back but its denial is logged', () => {
    it('support may not write a tax id: no account and no subject remain', async () => {
      const before = await snapshotCounts(t.sigilo);
      const c = ctx('support_agent', 'support');
      const err = await expectSigiloError(
        t.sigilo.gate.run(c, (s) =>
          t.sigilo.services.accounts.create(s, { kind: 'company', name: JOAO.companyName, taxId: JOAO.cnpj }),
        ),
        'PURPOSE_NOT_ALLOWED',
      );
      expect(err.details).toMatchObject({ category: 'tax_id', operation: 'write' });
      expect(await snapshotCounts(t.sigilo)).toEqual(before);
      expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
        expect.objectContaining({
          role: 'support_agent',
          purpose: 'support',
          operation: 'insert',
          categories: ['name', 'tax_id'],
          outcome: 'denied',
        }),
      ]);
    });

    it('billing may write a name and an e-mail but not an IP: the person, the e-mail and the subject are gone', async () => {
      const before = await snapshotCounts(t.sigilo);
      const c = ctx('billing', 'billing');
      await expectSigiloError(
        t.sigilo.gate.run(c, (s) =>
          t.sigilo.services.people.create(s, {
            name: JOAO.personName,
            emails: JOAO.emails,
            ipAddresses: JOAO.ips,
          }),
        ),
        'PURPOSE_NOT_ALLOWED',
      );
      expect(await snapshotCounts(t.sigilo)).toEqual(before);
      // Only the denial: the two inserts that succeeded before it were rolled back with their entries.
      expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
        expect.objectContaining({ categories: ['ip_address'], operation: 'insert', outcome: 'denied' }),
      ]);
      expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
    });
  });
});
