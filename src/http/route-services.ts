/**
 * What the HTTP routes may use, narrowed from the whole Sigilo: the gate's door (`run`), the services, the policy
 * in force, the audit reads and a readiness probe. Never the store, the key ring or the key provider: a route
 * that needs data calls a service, and every service call on personal data runs inside `gated`.
 */
import { sql } from 'kysely';
import type { Sigilo } from '../app.ts';
import type { ChainedEntry } from '../access-log/access-log.entry.ts';
import type { VerifyReport } from '../access-log/access-log.verify.ts';
import type { SecurityEvent } from '../access-log/security-events.ts';
import type { Gate } from '../gate/gate.ts';
import type { ProcessingRecordModel } from '../reports/processing-record.model.ts';
import type { PolicyPublication } from '../publication/policy-publication.service.ts';
import type { RetentionModule } from '../retention/retention.module.ts';

/** Reads of the keyed access log for the auditor, and the entries that record those reads. */
export interface AuditLog {
  page(afterSeq: number, limit: number): Promise<ChainedEntry[]>;
  forSubject(subjectId: string, limit: number): Promise<ChainedEntry[]>;
  verify(): Promise<VerifyReport>;
  /** Appends a security event (the auditor's read or verification) in its own transaction. */
  record(event: SecurityEvent): Promise<void>;
}

/** Everything a route plugin may call. */
export interface RouteServices {
  /** One gated transaction per request (through `gated`). */
  readonly gate: Pick<Gate, 'run'>;
  readonly accounts: Sigilo['services']['accounts'];
  readonly people: Sigilo['services']['people'];
  readonly contracts: Sigilo['services']['contracts'];
  readonly invoices: Sigilo['services']['invoices'];
  readonly tickets: Sigilo['services']['tickets'];
  readonly guardQuarantine: Sigilo['services']['guardQuarantine'];
  readonly credentials: Sigilo['services']['credentials'];
  readonly telecomIngest: Sigilo['services']['telecomIngest'];
  readonly telecomQuery: Sigilo['services']['telecomQuery'];
  readonly recordings: Sigilo['services']['recordings'];
  readonly authorityRequests: Sigilo['services']['authorityRequests'];
  readonly attributionRules: Sigilo['services']['attributionRules'];
  readonly policies: Pick<PolicyPublication, 'policy' | 'list' | 'version' | 'propose' | 'approve'>;
  readonly auditLog: AuditLog;
  readonly subjectRequests: Sigilo['services']['subjectRequests'];
  readonly subjectAnswers: Sigilo['services']['subjectAnswers'];
  readonly incidents: Sigilo['services']['incidents'];
  /** Retention previews, deletion certificates and legal holds (each checks the caller's duty). */
  readonly retention: Pick<RetentionModule, 'preview' | 'certificates' | 'holds'>;
  /** The records of processing (counts only), bound to the store. */
  readonly processingRecord: { build(): Promise<ProcessingRecordModel> };
  /** Writes shreds to the shred journal after their transaction committed (deletion requests). */
  recordShreds(subjectIds: readonly string[]): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ready(): Promise<void>;
}

/** Narrows a Sigilo to what the routes may use (the one place in src/http that sees the store). */
export function routeServicesOf(sigilo: Sigilo): RouteServices {
  const { services, store, accessLog } = sigilo;
  return {
    gate: sigilo.gate,
    accounts: services.accounts,
    people: services.people,
    contracts: services.contracts,
    invoices: services.invoices,
    tickets: services.tickets,
    guardQuarantine: services.guardQuarantine,
    credentials: services.credentials,
    telecomIngest: services.telecomIngest,
    telecomQuery: services.telecomQuery,
    recordings: services.recordings,
    authorityRequests: services.authorityRequests,
    attributionRules: services.attributionRules,
    policies: sigilo.policies,
    auditLog: {
      page: (afterSeq, limit) => accessLog.repo.page(store.db, afterSeq, limit),
      forSubject: (subjectId, limit) => accessLog.repo.forSubject(store.db, subjectId, limit),
      verify: () => accessLog.verify(),
      record: (event) => accessLog.security.record(event),
    },
    ready: async () => {
      await sql`select 1`.execute(store.db);
    },
    subjectRequests: services.subjectRequests,
    subjectAnswers: services.subjectAnswers,
    incidents: services.incidents,
    retention: sigilo.retention,
    processingRecord: {
      build: () => store.transaction((tx) => services.processingRecord.build(tx)),
    },
    recordShreds: (ids) => sigilo.retention.journal.record(ids),
  };
}
