/**
 * Helpers for the vault-core integration suites: a realistic customer built through the services, raw SQL access
 * for tampering (what an attacker with database access can do), and access-log reads.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { ChainedEntry } from '../../src/access-log/access-log.entry.ts';
import type { Sigilo } from '../../src/app.ts';
import { isSigiloError, type ErrorCode, type SigiloError } from '../../src/errors.ts';
import { ctx, SAMPLE } from './sigilo.ts';

/** The tables that hold personal data: every one has sealed `_ct` columns and provenance columns. */
export const PERSONAL_TABLES = [
  'accounts',
  'people',
  'contact_points',
  'addresses',
  'contracts',
  'contract_events',
  'invoices',
  'tickets',
  'ticket_messages',
  'credentials',
] as const;

/** Every table of the vault-core schema, personal or not. */
export const VAULT_TABLES = [
  ...PERSONAL_TABLES,
  'subjects',
  'data_keys',
  'key_material',
  'shred_ledger',
  'policy_versions',
  'account_people',
  'access_log',
  'access_log_head',
  'access_log_checkpoints',
] as const;

/** Everything that describes one customer, as a user would type it. */
export interface CustomerData {
  companyName: string;
  cnpj: string;
  personName: string;
  phones: string[];
  emails: string[];
  ips: string[];
  address: Record<string, string>;
  product: string;
  ticketTitle: string;
  ticketMessage: string;
  sipSecret: string;
}

/** Maria, built from SAMPLE (the values tests assert never leak). */
export const MARIA: CustomerData = {
  companyName: SAMPLE.companyName,
  cnpj: SAMPLE.cnpj,
  personName: SAMPLE.personName,
  phones: [SAMPLE.phone, '+55 21 3456-7890'],
  emails: [SAMPLE.email],
  ips: [SAMPLE.ip, '2001:db8::42'],
  address: { ...SAMPLE.address },
  product: 'Tronco SIP 30 canais',
  ticketTitle: 'Chamadas caem após trinta segundos',
  ticketMessage: 'O ramal de recepção perde o registro toda manhã',
  sipSecret: SAMPLE.sipSecret,
};

/** A second, unrelated customer. */
export const JOAO: CustomerData = {
  companyName: 'Pereira Lima Contabilidade Ltda',
  cnpj: '45.723.174/0001-10',
  personName: 'João Pereira Lima',
  phones: ['(21) 99876-5432'],
  emails: ['joao.lima@example.org'],
  ips: ['198.51.100.7'],
  address: {
    street: 'Rua da Assembleia',
    number: '10',
    district: 'Centro',
    city: 'Rio de Janeiro',
    state: 'RJ',
    cep: '20011-000',
  },
  product: 'PABX em nuvem',
  ticketTitle: 'Fatura com valor duplicado',
  ticketMessage: 'Recebi duas cobranças do mesmo mês',
  sipSecret: 'api-key-7a6b5c4d3e',
};

/** The ids of a customer created by `seedCustomer`. */
export interface Customer {
  accountId: string;
  personId: string;
  contractId: string;
  invoiceId: string;
  ticketId: string;
  secretId: string;
}

/**
 * Creates a full customer through the services, each step with the role and purpose the default policy grants
 * for it: account and contract (support_agent/contracting), person with phones, e-mails, IPs and an address
 * (support_agent/support), invoice (billing/billing), ticket with a message (support_agent/support) and a
 * provisioning secret (provisioning/provisioning). No portal password: argon2 is slow, tests add it when needed.
 */
export async function seedCustomer(sigilo: Sigilo, data: CustomerData = MARIA): Promise<Customer> {
  const { gate, services } = sigilo;
  const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.accounts.create(s, { kind: 'company', name: data.companyName, taxId: data.cnpj }),
  );
  const personId = await gate.run(ctx('support_agent', 'support'), (s) =>
    services.people.create(
      s,
      {
        name: data.personName,
        phones: data.phones,
        emails: data.emails,
        ipAddresses: data.ips,
        addresses: [data.address],
        account: { id: accountId, relation: 'owner' },
      },
      'support_contact',
    ),
  );
  const contractId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.contracts.create(s, {
      accountId,
      product: data.product,
      plan: 'mensal',
      startedOn: '2026-01-15',
    }),
  );
  const invoiceId = await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.create(s, {
      contractId,
      issuedOn: '2026-02-01',
      amountCents: 129_900,
      dueDate: '2026-02-10',
      reference: 'NF 2026/000123',
    }),
  );
  const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
    services.tickets.open(s, {
      accountId,
      personId,
      channel: 'phone',
      title: data.ticketTitle,
      message: data.ticketMessage,
    }),
  );
  const secretId = await gate.run(ctx('provisioning', 'provisioning'), (s) =>
    services.credentials.storeProvisioningSecret(s, personId, 'sip-trunk-1', data.sipSecret),
  );
  return { accountId, personId, contractId, invoiceId, ticketId, secretId };
}

/** Every row of `table`, straight from the database (no gate). */
export async function rawRows(sigilo: Sigilo, table: string): Promise<Record<string, unknown>[]> {
  const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
    sigilo.store.db,
  );
  return result.rows;
}

/** How many rows `table` holds. */
export async function countRows(sigilo: Sigilo, table: string): Promise<number> {
  return (await rawRows(sigilo, table)).length;
}

/** One sealed column of one row, as stored. */
export async function readColumn(sigilo: Sigilo, table: string, id: string, column: string): Promise<Buffer> {
  const result = await sql<{
    v: Buffer;
  }>`select ${sql.ref(column)} as v from ${sql.table(table)} where id = ${id}`.execute(sigilo.store.db);
  const row = result.rows[0];
  if (!row) throw new Error(`no row ${id} in ${table}`);
  return Buffer.from(row.v);
}

/** Overwrites one column of one row behind Sigilo's back (an attacker or a broken backup would). */
export async function writeColumn(
  sigilo: Sigilo,
  table: string,
  id: string,
  column: string,
  value: Buffer | string,
): Promise<void> {
  await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where id = ${id}`.execute(
    sigilo.store.db,
  );
}

/** Every access-log entry in chain order. */
export async function logEntries(sigilo: Sigilo): Promise<ChainedEntry[]> {
  return sigilo.accessLog.repo.page(sigilo.store.db, 0, 1_000_000);
}

/** The access-log entries written for one request id. */
export async function entriesFor(sigilo: Sigilo, requestId: string): Promise<ChainedEntry[]> {
  return (await logEntries(sigilo)).filter((e) => e.requestId === requestId);
}

/** Awaits `promise`, asserts it fails with a SigiloError of `code`, and returns the error. */
export async function expectSigiloError(promise: Promise<unknown>, code: ErrorCode): Promise<SigiloError> {
  const err: unknown = await promise.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  if (!isSigiloError(err)) throw err;
  expect(err.code).toBe(code);
  return err;
}

/** An asymmetric matcher for a string matching `re`, typed `unknown` so it can sit in typed object literals. */
export function matching(re: RegExp): unknown {
  return expect.stringMatching(re);
}
