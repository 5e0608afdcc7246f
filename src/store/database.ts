import type {
  AccessLogCheckpointTable,
  AccessLogHeadTable,
  AccessLogTable,
} from './tables/access-log.table.ts';
import type { AccountTable } from './tables/account.table.ts';
import type { AuthorityRequestEventTable, AuthorityRequestTable } from './tables/authority-request.table.ts';
import type { AddressTable } from './tables/address.table.ts';
import type { ContactPointTable } from './tables/contact-point.table.ts';
import type { ContractEventTable, ContractTable } from './tables/contract.table.ts';
import type { CredentialTable } from './tables/credential.table.ts';
import type { DataKeyTable } from './tables/data-key.table.ts';
import type { InvoiceTable } from './tables/invoice.table.ts';
import type { KeyMaterialTable, RecordHeadTable } from './tables/key-material.table.ts';
import type { KekVersionTable } from './tables/kek-version.table.ts';
import type { AccountPersonTable, PersonTable } from './tables/person.table.ts';
import type { PolicyProposalTable, PolicyVersionTable } from './tables/policy-version.table.ts';
import type { BlobDeletionTable, RecordingTable } from './tables/recording.table.ts';
import type {
  DeletionCertificateTable,
  LegalHoldEventTable,
  LegalHoldTable,
  RetentionBatchTable,
  RetentionLockTable,
  RetentionOrphanTable,
  RetentionRunTable,
} from './tables/retention.table.ts';
import type { SecurityIncidentTable } from './tables/security-incident.table.ts';
import type { ShredLedgerTable } from './tables/shred-ledger.table.ts';
import type { StaffTokenTable } from './tables/staff-token.table.ts';
import type {
  BlockSetTable,
  ProcessingBlockTable,
  SubjectRequestEventTable,
  SubjectRequestTable,
} from './tables/subject-request.table.ts';
import type { SubjectTable } from './tables/subject.table.ts';
import type {
  AttributionRuleTable,
  TelecomKeyGroupTable,
  TelecomSegmentTable,
  TelecomTermPostingTable,
  TelecomUnindexedSegmentTable,
  TelecomPostingDayTable,
  TelecomPostingRootTable,
} from './tables/telecom.table.ts';
import type { TicketMessageTable, TicketTable } from './tables/ticket.table.ts';

/** Every table Sigilo stores, for Kysely's type checking. */
export interface Database {
  subjects: SubjectTable;
  data_keys: DataKeyTable;
  key_material: KeyMaterialTable;
  kek_versions: KekVersionTable;
  shred_ledger: ShredLedgerTable;
  policy_versions: PolicyVersionTable;
  policy_proposals: PolicyProposalTable;
  accounts: AccountTable;
  people: PersonTable;
  account_people: AccountPersonTable;
  contact_points: ContactPointTable;
  addresses: AddressTable;
  contracts: ContractTable;
  contract_events: ContractEventTable;
  invoices: InvoiceTable;
  tickets: TicketTable;
  ticket_messages: TicketMessageTable;
  recordings: RecordingTable;
  blob_deletions: BlobDeletionTable;
  credentials: CredentialTable;
  access_log: AccessLogTable;
  access_log_head: AccessLogHeadTable;
  access_log_checkpoints: AccessLogCheckpointTable;
  staff_tokens: StaffTokenTable;
  telecom_segments: TelecomSegmentTable;
  telecom_key_groups: TelecomKeyGroupTable;
  telecom_term_postings: TelecomTermPostingTable;
  telecom_unindexed_segments: TelecomUnindexedSegmentTable;
  telecom_posting_days: TelecomPostingDayTable;
  telecom_posting_roots: TelecomPostingRootTable;
  attribution_rules: AttributionRuleTable;
  legal_holds: LegalHoldTable;
  legal_hold_events: LegalHoldEventTable;
  retention_runs: RetentionRunTable;
  retention_batches: RetentionBatchTable;
  retention_locks: RetentionLockTable;
  retention_orphans: RetentionOrphanTable;
  deletion_certificates: DeletionCertificateTable;
  authority_requests: AuthorityRequestTable;
  authority_request_events: AuthorityRequestEventTable;
  subject_requests: SubjectRequestTable;
  subject_request_events: SubjectRequestEventTable;
  processing_blocks: ProcessingBlockTable;
  block_sets: BlockSetTable;
  security_incidents: SecurityIncidentTable;
  record_heads: RecordHeadTable;
}

/**
 * Columns that hold sealed material: ciphertext (`*_ct`), blind indexes (`*_bidx`), wrapped keys and the telecom
 * segments' keyed hashes. Only the gate kernel, its sealing extensions and the key ring may name them.
 */
export type SealedColumn =
  `${string}_ct` | `${string}_bidx` | 'wrapped' | 'record_keys' | 'term_filter' | 'term_postings';

/** A table as services see it: its plain columns only. */
export type PlainTable<T> = { [K in keyof T as K extends SealedColumn ? never : K]: T[K] };

/**
 * Every table with its sealed columns left out: the schema of the transaction services get (`Tx`), so naming a
 * ciphertext, blind-index or wrapped-key column outside the kernel does not type-check. src/gate/sealed-tables.ts
 * checks at compile time that every column its specs seal is left out here.
 */
export type PlainDatabase = { [T in keyof Database]: PlainTable<Database[T]> };
