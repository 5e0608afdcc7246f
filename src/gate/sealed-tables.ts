/**
 * The personal-data tables as the gate sees them: which columns are sealed, under which policy category each falls,
 * how it is masked and which blind index makes it searchable. Only the gate imports this file (lint-enforced).
 */
import type { FieldKind } from '../validation/masking.ts';
import type { Database } from '../store/database.ts';

export interface SealedFieldSpec {
  /** The ciphertext column. */
  column: string;
  /** The policy category the value belongs to. */
  category: string;
  /** How the plaintext is encoded before sealing; `password` is hashed with argon2id first and never read back. */
  encoding: 'text' | 'json' | 'password';
  /** How a masked value is displayed. */
  maskAs: FieldKind | 'json';
  /** Blind-index column and the index kind (its key is derived per kind). */
  index?: { column: string; kind: string };
}

export interface SealedTableSpec {
  table: keyof Database;
  /** The category that governs plain-column changes and row deletion. */
  category: string;
  /** Plain columns that are constant for this view of the table (several views share contact_points). */
  fixed?: Record<string, string>;
  fields: Record<string, SealedFieldSpec>;
}

const text = (column: string, category: string, maskAs: FieldKind, index?: string): SealedFieldSpec => ({
  column,
  category,
  encoding: 'text',
  maskAs,
  ...(index ? { index: { column: column.replace(/_ct$/, '_bidx'), kind: index } } : {}),
});
const json = (column: string, category: string, maskAs: FieldKind | 'json' = 'json'): SealedFieldSpec => ({
  column,
  category,
  encoding: 'json',
  maskAs,
});

export const SEALED_TABLES = {
  accounts: {
    table: 'accounts',
    category: 'contract',
    fields: { name: text('name_ct', 'name', 'name'), taxId: text('tax_id_ct', 'tax_id', 'tax_id', 'tax_id') },
  },
  people: { table: 'people', category: 'name', fields: { name: text('name_ct', 'name', 'name') } },
  phones: {
    table: 'contact_points',
    category: 'phone',
    fixed: { kind: 'phone' },
    fields: { value: text('value_ct', 'phone', 'phone', 'phone') },
  },
  emails: {
    table: 'contact_points',
    category: 'email',
    fixed: { kind: 'email' },
    fields: { value: text('value_ct', 'email', 'email', 'email') },
  },
  ipAddresses: {
    table: 'contact_points',
    category: 'ip_address',
    fixed: { kind: 'ip' },
    fields: { value: text('value_ct', 'ip_address', 'ip', 'ip') },
  },
  addresses: {
    table: 'addresses',
    category: 'postal_address',
    fields: { address: json('address_ct', 'postal_address', 'address') },
  },
  contracts: { table: 'contracts', category: 'contract', fields: { terms: json('terms_ct', 'contract') } },
  contractEvents: {
    table: 'contract_events',
    category: 'contract',
    fields: { details: json('details_ct', 'contract') },
  },
  invoices: { table: 'invoices', category: 'payment', fields: { details: json('details_ct', 'payment') } },
  tickets: {
    table: 'tickets',
    category: 'support_ticket',
    fields: { title: text('title_ct', 'support_ticket', 'text') },
  },
  ticketMessages: {
    table: 'ticket_messages',
    category: 'support_ticket',
    fields: { body: text('body_ct', 'support_ticket', 'text') },
  },
  portalPasswords: {
    table: 'credentials',
    category: 'authentication_secret',
    fixed: { kind: 'portal_password' },
    fields: {
      secret: {
        column: 'secret_ct',
        category: 'authentication_secret',
        encoding: 'password',
        maskAs: 'text',
      },
    },
  },
  mfaSecrets: {
    table: 'credentials',
    category: 'authentication_secret',
    fixed: { kind: 'mfa_secret' },
    fields: { secret: text('secret_ct', 'authentication_secret', 'text') },
  },
  provisioningSecrets: {
    table: 'credentials',
    category: 'provisioning_secret',
    fixed: { kind: 'provisioning_secret' },
    fields: { secret: text('secret_ct', 'provisioning_secret', 'text') },
  },
  // An authority request is its own subject: its targets (numbers, CPF/CNPJ, IPs), the officer's delivery contact
  // and the order document (base64) are sealed under that subject's key.
  authorityRequests: {
    table: 'authority_requests',
    category: 'authority_request',
    fields: {
      targets: json('targets_ct', 'authority_request'),
      contact: json('contact_ct', 'authority_request'),
      document: text('document_ct', 'authority_request', 'text'),
    },
  },
} as const satisfies Record<string, SealedTableSpec>;

export type SealedTableName = keyof typeof SEALED_TABLES;
/** The sealed field names of one table view. */
export type SealedFieldOf<T extends SealedTableName> = keyof (typeof SEALED_TABLES)[T]['fields'] & string;
