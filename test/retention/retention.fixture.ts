/**
 * Test fixtures for the retention suites: one customer built through the services (account, two people with
 * contact data, credentials, a contract with an invoice and history, a resolved ticket), and row counts that show
 * what a sweep left. Used only by `*.test.ts` files.
 */
import { sql } from 'kysely';
import type { Sigilo } from '../../src/app.ts';
import type { Database } from '../../src/store/database.ts';
import { ctx, SAMPLE, type TestClock } from '../support/sigilo.ts';

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
  await gate.run(ctx('subject_portal', 'provisioning'), (s) =>
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
  const people = [c.ownerId, c.contactId];
  const count = async (table: keyof Database, column: string, ids: readonly string[]): Promise<number> => {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
      where ${sql.ref(column)} in (${sql.join([...ids])})`.execute(sigilo.store.db);
    return Number(rows[0]?.n ?? 0);
  };
  return {
    credentials: await count('credentials', 'person_id', people),
    tickets: await count('tickets', 'account_id', [c.accountId]),
    ticketMessages: await count('ticket_messages', 'ticket_id', [c.ticketId]),
    contracts: await count('contracts', 'account_id', [c.accountId]),
    contractEvents: await count('contract_events', 'contract_id', [c.contractId]),
    invoices: await count('invoices', 'account_id', [c.accountId]),
    accounts: await count('accounts', 'id', [c.accountId]),
    people: await count('people', 'id', people),
    contactPoints: await count('contact_points', 'person_id', people),
    addresses: await count('addresses', 'owner_id', [...people, c.accountId]),
    dataKeys: await count('data_keys', 'subject_id', [...people, c.accountId]),
  };
}

/** Milliseconds before an ISO instant, as an ISO instant. */
export function before(iso: string, ms: number): string {
  return new Date(new Date(iso).getTime() - ms).toISOString();
}

export const DAY_MS = 86_400_000;
