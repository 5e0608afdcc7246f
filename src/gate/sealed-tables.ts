/**
 * The personal-data tables as the gate sees them: which columns are sealed, under which policy category each falls,
 * how it is masked and which blind index makes it searchable. Only the gate imports this file (lint-enforced).
 */
import type { FieldKind } from '../validation/masking.ts';
import type { Database, PlainDatabase } from '../store/database.ts';

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

/** The blind-index column beside a ciphertext column (`tax_id_ct` → `tax_id_bidx`). */
type IndexColumn<C extends string> = C extends `${infer B}_ct` ? `${B}_bidx` : never;

/** A field spec that keeps its column names as literal types. */
type SealedField<C extends string, I extends string> = Omit<SealedFieldSpec, 'column' | 'index'> & {
  column: C;
  index?: { column: I; kind: string };
};

// Generic in the column name, so that the compile-time check at the end of this file sees each literal column.
const text = <C extends string>(
  column: C,
  category: string,
  maskAs: FieldKind,
  index?: string,
): SealedField<C, IndexColumn<C>> => ({
  column,
  category,
  encoding: 'text',
  maskAs,
  ...(index ? { index: { column: column.replace(/_ct$/, '_bidx') as IndexColumn<C>, kind: index } } : {}),
});
const json = <C extends string>(
  column: C,
  category: string,
  maskAs: FieldKind | 'json' = 'json',
): SealedField<C, never> => ({
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
      // Staff type labels freely ("SIP do ramal da Maria"): sealed like the secret they name.
      label: text('label_ct', 'authentication_secret', 'text'),
    },
  },
  mfaSecrets: {
    table: 'credentials',
    category: 'authentication_secret',
    fixed: { kind: 'mfa_secret' },
    fields: {
      secret: text('secret_ct', 'authentication_secret', 'text'),
      label: text('label_ct', 'authentication_secret', 'text'),
    },
  },
  provisioningSecrets: {
    table: 'credentials',
    category: 'provisioning_secret',
    fixed: { kind: 'provisioning_secret' },
    fields: {
      secret: text('secret_ct', 'provisioning_secret', 'text'),
      label: text('label_ct', 'provisioning_secret', 'text'),
    },
  },
  // An attribution rule's pattern (DID prefix, SIP username, IP range, trunk, account code) identifies the account's
  // lines and users: sealed under the account's key. Its keyed hash (`pattern_bidx`, kind and pattern) is written
  // and looked up by src/telecom/sealing/attribution-rules.gate.ts, which hashes candidates at import time.
  attributionRules: {
    table: 'attribution_rules',
    category: 'network_identifier',
    fields: { pattern: text('pattern_ct', 'network_identifier', 'text') },
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
  // A register entry is its own subject (Res. CD/ANPD 15/2024, Art. 10): its free text is sealed under its key.
  securityIncidents: {
    table: 'security_incidents',
    category: 'security_incident',
    fields: {
      description: text('description_ct', 'security_incident', 'text'),
      measures: text('measures_ct', 'security_incident', 'text'),
      risks: text('risks_ct', 'security_incident', 'text'),
      delayReason: text('delay_reason_ct', 'security_incident', 'text'),
    },
  },
} as const satisfies Record<string, SealedTableSpec>;

export type SealedTableName = keyof typeof SEALED_TABLES;
/** The sealed field names of one table view. */
export type SealedFieldOf<T extends SealedTableName> = keyof (typeof SEALED_TABLES)[T]['fields'] & string;

/** The ciphertext and blind-index columns one table view seals. */
type SealedColumnsOf<S> = S extends { fields: infer F }
  ? {
      [K in keyof F]: F[K] extends { column: infer C } ? C | IndexColumnOf<F[K]> : never;
    }[keyof F]
  : never;
type IndexColumnOf<F> = F extends { index?: { column: infer I } } ? I : never;

/** Sealed columns that the services' view (PlainDatabase) would still show; must be none. */
type PlainLeaks = {
  [N in SealedTableName]: Extract<
    SealedColumnsOf<(typeof SEALED_TABLES)[N]>,
    keyof PlainDatabase[(typeof SEALED_TABLES)[N]['table']]
  >;
}[SealedTableName];

/** Compile-time proof that no column sealed above is nameable through a service's transaction. */
export const NO_SEALED_COLUMN_IS_PLAIN: [PlainLeaks] extends [never] ? true : PlainLeaks = true;

/**
 * The plain columns of each core sealed table that decide whose data a row is, when it goes and how it may be
 * used (issue 13 §5): its owners (subject and the ids that link it to an account, person, contract or ticket),
 * the dates and statuses retention and the services act on, and its provenance (the policy version it was
 * collected under decides which purposes may read it). `row_mac` is a keyed BLAKE3 over the table, the row id and
 * these columns in this order (src/gate/row-mac.ts); it is written by the gate on insert and update and checked on
 * every read, update, delete and retention delete. Columns not listed are safe to be plain (docs/security.md).
 * A table added to SEALED_TABLES without an entry here has no row MAC (append a column to a list only together
 * with a migration that re-MACs the rows: the list is part of the MAC).
 */
const PROVENANCE = ['subject_id', 'source', 'collected_at', 'legal_basis', 'policy_version', 'created_at'];
export const ROW_MACS: Partial<Record<keyof Database, readonly string[]>> = {
  accounts: [...PROVENANCE, 'kind', 'status'],
  people: [...PROVENANCE],
  contact_points: [...PROVENANCE, 'person_id', 'kind'],
  addresses: [...PROVENANCE, 'owner_id'],
  contracts: [...PROVENANCE, 'account_id', 'status', 'started_on', 'ended_on'],
  contract_events: [...PROVENANCE, 'contract_id', 'kind', 'occurred_at'],
  invoices: [...PROVENANCE, 'account_id', 'contract_id', 'issued_on'],
  tickets: [
    ...PROVENANCE,
    'account_id',
    'person_id',
    'channel',
    'status',
    'opened_at',
    'resolved_at',
    'guard_status',
  ],
  ticket_messages: [...PROVENANCE, 'ticket_id', 'author', 'sent_at', 'guard_status'],
  credentials: [...PROVENANCE, 'person_id', 'kind'],
  // pattern_bidx: the keyed hash an import matches records by (written by attribution-rules.gate.ts after insert).
  attribution_rules: [...PROVENANCE, 'account_id', 'kind', 'match_length', 'pattern_bidx'],
  authority_requests: [
    ...PROVENANCE,
    'external_reference',
    'country',
    'authority_name',
    'authority_type',
    'order_legal_basis',
    'court_order_ref',
    'request_types',
    'categories',
    'target_count',
    'window_from',
    'window_to',
    'deadline',
    'urgent',
    'secret',
    'state',
    'document_content_type',
    'document_sha256',
    'hold_ids',
    'package_sha256',
    'created_by',
    'approved_by',
    'approved_at',
    'delivered_at',
    'closed_at',
  ],
  security_incidents: [
    ...PROVENANCE,
    'occurred_at',
    'known_at',
    'categories',
    'affected_subjects',
    'affected_basis',
    'kek_version',
    'communication_due_at',
    'anpd_communicated_at',
    'subjects_communicated_at',
    'state',
    'created_by',
  ],
  // The outbox of blobs to remove after their deletion commits (src/recordings/sealing/blob-deletions.ts).
  blob_deletions: ['queued_at'],
  // Not a sealed table: a block (LGPD Art. 18 IV) withdraws a category from processing; its set is MACed in
  // block_sets (src/gate/processing-blocks.ts), which catches a deleted row.
  processing_blocks: ['subject_id', 'category', 'request_id', 'blocked_at'],
};
