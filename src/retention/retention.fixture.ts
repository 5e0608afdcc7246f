/**
 * Test fixtures for the retention suites: one customer built through the services (account, two people with
 * contact data, credentials, a contract with an invoice and history, a resolved ticket), and row counts that show
 * what a sweep left. Used only by `*.test.ts` files.
 */
import type { Sigilo } from '../app.ts';
import { ctx, SAMPLE, type TestClock } from '../../test/support/sigilo.ts';

export interface Customer {
  accountId: string;
  ownerId: string;
  contactId: string;
  contractId: string;
  invoiceId: string;
  ticketId: string;
}

/** Builds the customer; the clock is moved to the given dates as things happen. */
export async function buildCustomer(
  sigilo: Sigilo,
  clock: TestClock,
  dates: { signedOn: string; ticketOpenedAt: string; ticketResolvedAt: string; endedOn: string | null },
): Promise<Customer> {
  const { gate, services } = sigilo;
  clock.set(`${dates.signedOn}T13:00:00.000Z`);
  const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
  );
  const ownerId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.people.create(s, {
      name: SAMPLE.personName,
      phones: [SAMPLE.phone],
      emails: [SAMPLE.email],
      addresses: [SAMPLE.address],
      account: { id: accountId, relation: 'owner' },
    }),
  );
  const contactId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.people.create(s, {
      name: 'João Pereira',
      emails: ['joao.pereira@example.com.br'],
      account: { id: accountId, relation: 'contact' },
    }),
  );
  await gate.run({ ...ctx('subject_portal', 'provisioning'), actingForSubject: ownerId }, (s) =>
    services.credentials.setPortalPassword(s, ownerId, SAMPLE.password),
  );
  await gate.run(ctx('provisioning', 'provisioning'), (s) =>
    services.credentials.storeProvisioningSecret(s, ownerId, 'sip-trunk-1', SAMPLE.sipSecret),
  );
  const contractId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.contracts.create(s, { accountId, product: 'SIP trunk 30 canais', startedOn: dates.signedOn }),
  );
  const invoiceId = await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.create(s, {
      contractId,
      issuedOn: dates.signedOn,
      amountCents: 129_900,
      dueDate: dates.signedOn,
      paidDate: dates.signedOn,
    }),
  );
  clock.set(dates.ticketOpenedAt);
  const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
    services.tickets.open(s, {
      accountId,
      personId: ownerId,
      channel: 'phone',
      title: 'Chamadas caindo após 30 segundos',
      message: 'Desde ontem as chamadas caem.',
    }),
  );
  clock.set(dates.ticketResolvedAt);
  await gate.run(ctx('support_agent', 'support'), (s) => services.tickets.resolve(s, ticketId));
  if (dates.endedOn) {
    clock.set(`${dates.endedOn}T15:00:00.000Z`);
    await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.contracts.terminate(s, contractId, dates.endedOn!, 'pedido do cliente'),
    );
  }
  return { accountId, ownerId, contactId, contractId, invoiceId, ticketId };
}

/** How many rows of each kind exist for the customer (plain columns only, no personal data is read). */
export async function countRows(sigilo: Sigilo, c: Customer): Promise<Record<string, number>> {
  const db = sigilo.store.db;
  const people = [c.ownerId, c.contactId];
  const n = async (q: Promise<{ n: number | string | bigint }>): Promise<number> => Number((await q).n);
  return {
    credentials: await n(
      db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('person_id', 'in', people)
        .executeTakeFirstOrThrow(),
    ),
    tickets: await n(
      db
        .selectFrom('tickets')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', c.accountId)
        .executeTakeFirstOrThrow(),
    ),
    ticketMessages: await n(
      db
        .selectFrom('ticket_messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('ticket_id', '=', c.ticketId)
        .executeTakeFirstOrThrow(),
    ),
    contracts: await n(
      db
        .selectFrom('contracts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', c.accountId)
        .executeTakeFirstOrThrow(),
    ),
    contractEvents: await n(
      db
        .selectFrom('contract_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('contract_id', '=', c.contractId)
        .executeTakeFirstOrThrow(),
    ),
    invoices: await n(
      db
        .selectFrom('invoices')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', c.accountId)
        .executeTakeFirstOrThrow(),
    ),
    accounts: await n(
      db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', '=', c.accountId)
        .executeTakeFirstOrThrow(),
    ),
    people: await n(
      db
        .selectFrom('people')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', 'in', people)
        .executeTakeFirstOrThrow(),
    ),
    contactPoints: await n(
      db
        .selectFrom('contact_points')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('person_id', 'in', people)
        .executeTakeFirstOrThrow(),
    ),
    addresses: await n(
      db
        .selectFrom('addresses')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('owner_id', 'in', [...people, c.accountId])
        .executeTakeFirstOrThrow(),
    ),
    dataKeys: await n(
      db
        .selectFrom('data_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('subject_id', 'in', [...people, c.accountId])
        .executeTakeFirstOrThrow(),
    ),
  };
}

/** Milliseconds before an ISO instant, as an ISO instant. */
export function before(iso: string, ms: number): string {
  return new Date(new Date(iso).getTime() - ms).toISOString();
}

export const DAY_MS = 86_400_000;
