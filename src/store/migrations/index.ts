import type { Migration, MigrationProvider } from 'kysely';
import * as vaultCore from './2026-11-26T1300-vault-core.migration.ts';
import * as staffTokens from './2026-11-26T1400-staff-tokens.migration.ts';
import * as retention from './2026-11-26T1500-retention.migration.ts';
import * as recordings from './2026-11-26T1600-recordings.migration.ts';
import * as telecomRecords from './2026-11-26T1700-telecom-records.migration.ts';
import * as telecomSegmentIndexes from './2026-11-26T1800-telecom-segment-indexes.migration.ts';
import * as tokenApprovals from './2026-12-03T1200-token-approvals.migration.ts';
import * as telecomSegmentMacs from './2026-12-03T1300-telecom-segment-macs.migration.ts';
import * as recordingMacs from './2026-12-03T1310-recording-macs.migration.ts';
import * as accessLogKeyed from './2026-12-03T1350-access-log-keyed.migration.ts';
import * as authorityRequests from './2026-12-03T1400-authority-requests.migration.ts';
import * as guardQuarantine from './2026-12-03T1400-guard-quarantine.migration.ts';
import * as subjectRequests from './2026-12-03T1400-subject-requests.migration.ts';
import * as accessLogSecrecy from './2026-12-03T1410-access-log-secrecy.migration.ts';
import * as policyProposals from './2026-12-03T1410-policy-proposals.migration.ts';
import * as securityIncidents from './2026-12-04T1500-security-incidents.migration.ts';
import * as telecomTermPostings from './2026-12-04T1500-telecom-term-postings.migration.ts';
import * as attributionRulesSealed from './2026-12-04T1500-attribution-rules-sealed.migration.ts';
import * as credentialLabelsSealed from './2026-12-04T1510-credential-labels-sealed.migration.ts';
import * as tokenLabelsSealed from './2026-12-04T1520-token-labels-sealed.migration.ts';
import * as holdAndEventTextSealed from './2026-12-04T1530-hold-and-event-text-sealed.migration.ts';
import * as coreRowMacs from './2026-12-04T1600-core-row-macs.migration.ts';
import * as processingBlocks from './2026-12-04T1900-processing-blocks.migration.ts';
import * as processingBlockMacs from './2026-12-04T2200-processing-block-macs.migration.ts';
import * as telecomPostingMacs from './2026-12-04T1900-telecom-posting-macs.migration.ts';
import * as authorityOrderDocuments from './2026-12-04T1910-authority-order-documents.migration.ts';
import * as recordMacs from './2026-12-04T2100-record-macs.migration.ts';
import * as blobDeletions from './2026-12-04T2200-blob-deletions.migration.ts';
import * as kekVersions from './2026-12-04T2200-kek-versions.migration.ts';
import * as accessLogLinkFormat from './2026-12-04T2300-access-log-link-format.migration.ts';

/** All migrations in order; names are timestamps so they sort. Add new ones at the end, never edit old ones. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-26T1300-vault-core': vaultCore,
  '2026-11-26T1400-staff-tokens': staffTokens,
  '2026-11-26T1500-retention': retention,
  '2026-11-26T1600-recordings': recordings,
  '2026-11-26T1700-telecom-records': telecomRecords,
  '2026-11-26T1800-telecom-segment-indexes': telecomSegmentIndexes,
  '2026-12-03T1200-token-approvals': tokenApprovals,
  '2026-12-03T1300-telecom-segment-macs': telecomSegmentMacs,
  '2026-12-03T1310-recording-macs': recordingMacs,
  '2026-12-03T1350-access-log-keyed': accessLogKeyed,
  '2026-12-03T1400-authority-requests': authorityRequests,
  '2026-12-03T1400-guard-quarantine': guardQuarantine,
  '2026-12-03T1400-subject-requests': subjectRequests,
  '2026-12-03T1410-access-log-secrecy': accessLogSecrecy,
  '2026-12-03T1410-policy-proposals': policyProposals,
  '2026-12-04T1500-security-incidents': securityIncidents,
  '2026-12-04T1500-telecom-term-postings': telecomTermPostings,
  '2026-12-04T1500-attribution-rules-sealed': attributionRulesSealed,
  '2026-12-04T1510-credential-labels-sealed': credentialLabelsSealed,
  '2026-12-04T1520-token-labels-sealed': tokenLabelsSealed,
  '2026-12-04T1530-hold-and-event-text-sealed': holdAndEventTextSealed,
  '2026-12-04T1600-core-row-macs': coreRowMacs,
  '2026-12-04T1900-processing-blocks': processingBlocks,
  '2026-12-04T1900-telecom-posting-macs': telecomPostingMacs,
  '2026-12-04T1910-authority-order-documents': authorityOrderDocuments,
  '2026-12-04T2100-record-macs': recordMacs,
  '2026-12-04T2200-blob-deletions': blobDeletions,
  '2026-12-04T2200-kek-versions': kekVersions,
  '2026-12-04T2200-processing-block-macs': processingBlockMacs,
  '2026-12-04T2300-access-log-link-format': accessLogLinkFormat,
};

/** Hands Kysely's Migrator the statically imported migrations (no file-system scanning, works from any cwd). */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
