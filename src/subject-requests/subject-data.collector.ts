/**
 * Walks everything Sigilo holds about one data subject, through the gate (purpose `subject_request`): every
 * personal-data table by the subject's id, and the subject's telecom records. Rows are selected by `subject_id`,
 * the column every personal row carries (docs/architecture.md), so the walk is complete by construction and
 * never reaches another subject. Items are handed to a sink one at a time: the walk never holds all records.
 */
import type { GateSession } from '../gate/gate.ts';
import { provenanceOf, type Provenance } from '../services/provenance.ts';
import type { RecordQueryService } from '../telecom/query/record-query.service.ts';
import type { TelecomKind, TelecomRecord } from '../telecom/records/telecom-record.ts';

/** The sections of an export, in order, with the policy category of their items. */
export const TABLE_SECTIONS = [
  { section: 'accounts', view: 'accounts', category: 'name' },
  { section: 'people', view: 'people', category: 'name' },
  { section: 'phones', view: 'phones', category: 'phone' },
  { section: 'emails', view: 'emails', category: 'email' },
  { section: 'ipAddresses', view: 'ipAddresses', category: 'ip_address' },
  { section: 'addresses', view: 'addresses', category: 'postal_address' },
  { section: 'contracts', view: 'contracts', category: 'contract' },
  { section: 'contractEvents', view: 'contractEvents', category: 'contract' },
  { section: 'invoices', view: 'invoices', category: 'payment' },
  { section: 'tickets', view: 'tickets', category: 'support_ticket' },
  { section: 'ticketMessages', view: 'ticketMessages', category: 'support_ticket' },
] as const;

export const TELECOM_SECTIONS: readonly { section: string; kind: TelecomKind; category: string }[] = [
  { section: 'callRecords', kind: 'cdr', category: 'call_record' },
  { section: 'connectionRecords', kind: 'connection', category: 'connection_record' },
  { section: 'accessRecords', kind: 'access', category: 'access_record' },
  { section: 'trafficUsage', kind: 'traffic', category: 'traffic_data' },
];

/** Plain columns that say nothing to the subject (or repeat what the item already says). */
const INTERNAL = new Set(['subject_id', 'source', 'collected_at', 'legal_basis', 'policy_version', 'kind']);

/** One stored item, as the subject receives it. */
export interface CollectedItem {
  id: string;
  /** The sealed fields, opened. */
  data: Record<string, unknown>;
  /** Plain columns: links to other items, status, dates. */
  attributes: Record<string, unknown>;
  provenance: Provenance;
}

/** Where the walk sends what it finds. */
export interface SubjectDataSink {
  /** A section starts (always called, even for an empty section). */
  section(name: string, category: string): Promise<void> | void;
  item(item: CollectedItem, category: string, extraCategories: readonly string[]): Promise<void> | void;
  /** A telecom record: its JSON text (as the record query service exports it) and its instant. */
  record(json: string, category: string, at: string | null): Promise<void> | void;
  /** Items that exist but whose value is never released (secrets): only their kind and dates. */
  withheld(kind: string, category: string, createdAt: string): Promise<void> | void;
  end(): Promise<void> | void;
}

/** The subject's support-call recordings as export items: metadata and retention, never the audio. */
export type RecordingLister = (s: GateSession, subjectId: string) => Promise<CollectedItem[]>;

/** When a telecom record happened (start of a call or connection, an access, a traffic period). */
function instantOf(r: TelecomRecord): string | null {
  const x = r as { startedAt?: string; at?: string; periodStart?: string };
  return x.startedAt ?? x.at ?? x.periodStart ?? null;
}

/** Walks the subject's data into `sink`. */
export async function collectSubjectData(
  s: GateSession,
  subject: { id: string; kind: 'account' | 'person' },
  telecom: RecordQueryService,
  sink: SubjectDataSink,
  recordings: RecordingLister,
): Promise<void> {
  for (const t of TABLE_SECTIONS) {
    await sink.section(t.section, t.category);
    // An account's rows and a person's rows are told apart by subject id anyway; skipping the other kind's
    // identity table just spares a read that could find nothing.
    if (t.view === (subject.kind === 'account' ? 'people' : 'accounts')) continue;
    const rows = await s.find(t.view, {
      where: { subject_id: subject.id },
      subjectId: subject.id,
      orderBy: 'created_at',
    });
    for (const r of rows) {
      const attributes: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.plain)) if (!INTERNAL.has(k) && k !== 'id') attributes[k] = v;
      const extra = t.view === 'accounts' ? ['tax_id'] : [];
      await sink.item(
        {
          id: r.id,
          data: r.fields,
          attributes,
          provenance: provenanceOf(r.plain),
        },
        t.category,
        extra,
      );
    }
  }
  await sink.section('recordings', 'support_recording');
  for (const r of await recordings(s, subject.id)) await sink.item(r, 'support_recording', []);
  for (const t of TELECOM_SECTIONS) {
    await sink.section(t.section, t.category);
    if (subject.kind === 'account') {
      // The hot loop of a large export (issue 15, P4): a sink answers a promise only when it must wait.
      for await (const r of telecom.accountRecords(s, t.kind, subject.id, {})) {
        const wait = sink.record(JSON.stringify(r), t.category, instantOf(r));
        if (wait) await wait;
      }
    } else if (t.kind === 'cdr') {
      // A person's calls live in their accounts' segments: the calls on the person's own numbers.
      let cursor: string | undefined;
      do {
        const page = await telecom.personCalls(s, subject.id, {}, 1000, cursor);
        for (const r of page.records) await sink.record(JSON.stringify(r), t.category, instantOf(r));
        cursor = page.next ?? undefined;
      } while (cursor);
    }
  }
  // Secrets are never released, not even to their owner (SPEC §1); the subject learns that they exist.
  await sink.section('credentials', 'authentication_secret');
  const creds = await s.tx
    .selectFrom('credentials')
    .select(['kind', 'created_at'])
    .where('subject_id', '=', subject.id)
    .orderBy('created_at')
    .execute();
  for (const c of creds) {
    await sink.withheld(
      c.kind,
      c.kind === 'provisioning_secret' ? 'provisioning_secret' : 'authentication_secret',
      c.created_at,
    );
  }
  await sink.end();
}
