/**
 * The security-incident register (LGPD Art. 48; Res. CD/ANPD 15/2024): record an incident, count the subjects it
 * affects from the data where possible, compute the 3-business-day deadline of the communications, record when
 * they were made, and draft them. Every call runs in a gate session (role `dpo`, purpose `legal_obligation` in the
 * default policy): the free text is guarded, then sealed under the incident's own subject key, and each step is
 * in the access log. The register is kept 5 years from the record (Art. 10; see incidents.retention-target.ts).
 */
import { SigiloError } from '../errors.ts';
import type { GateSession, OpenedRow } from '../gate/gate.ts';
import type { FreeTextGuard } from '../guard/free-text.guard.ts';
import { isPersonalCategory } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import { businessDeadline, INCIDENT_COMMUNICATION_BUSINESS_DAYS } from './business-days.ts';
import { anpdDraft, subjectsDraft, type CommunicationDraft } from './incident-drafts.ts';
import { IncidentRepository, type AffectedByKey } from './incident.repository.ts';

/** What the DPO records about an incident. */
export interface NewIncident {
  /** When the controller learned that the incident affected personal data (starts the deadline). */
  knownAt: string;
  /** When it happened, if known. */
  occurredAt?: string | null;
  /** Free text: what happened, its cause (guarded, then sealed). */
  description: string;
  /** Policy categories of the personal data affected. */
  categories: string[];
  /** The master-key (KEK) version that leaked: the affected subjects are those whose data keys it wrapped. */
  leakedKeyVersion?: number;
  /** The number of subjects affected, when it cannot be computed from the data. */
  affectedSubjects?: number;
  /** Technical and security measures, before and after the incident (guarded, sealed). */
  measures?: string;
  /** Risks and possible impacts on the subjects (guarded, sealed). */
  risks?: string;
  /** Why a communication is late, when it is (guarded, sealed). */
  delayReason?: string;
}

export type IncidentState = 'open' | 'communicated' | 'closed';

/** An incident as the register shows it. */
export interface IncidentView {
  id: string;
  state: IncidentState;
  occurredAt: string | null;
  knownAt: string;
  categories: string[];
  affectedSubjects: number;
  /** `key_version`: computed from the data keys the leaked master-key version wrapped; `declared`: given. */
  affectedBasis: 'key_version' | 'declared';
  leakedKeyVersion: number | null;
  /** End of the 3rd business day after `knownAt` (Brasília), for the ANPD and the subjects alike. */
  communicationDueAt: string;
  communicationDueDate: string;
  anpdCommunicatedAt: string | null;
  subjectsCommunicatedAt: string | null;
  /** Whether a communication still owed is past its deadline at the time of the answer. */
  overdue: boolean;
  description: string | null;
  measures: string | null;
  risks: string | null;
  delayReason: string | null;
  createdBy: string;
  createdAt: string;
  policyVersion: number;
}

/** One page of the register: plain facts only, no free text. */
export type IncidentSummary = Omit<IncidentView, 'description' | 'measures' | 'risks' | 'delayReason'>;

const FREE_TEXT = {
  description: 'security_incident.description',
  measures: 'security_incident.measures',
  risks: 'security_incident.risks',
  delayReason: 'security_incident.delay_reason',
} as const;
type FreeTextField = keyof typeof FREE_TEXT;

export interface IncidentDeps {
  guard: FreeTextGuard;
  policy: () => Policy;
  now: () => Date;
}

export class IncidentService {
  private readonly repo = new IncidentRepository();

  constructor(private readonly deps: IncidentDeps) {}

  /** Records an incident; returns it as the register shows it. */
  async record(s: GateSession, input: NewIncident): Promise<IncidentView> {
    const policy = this.deps.policy();
    const knownAt = instant(input.knownAt, 'body.knownAt');
    const occurredAt = input.occurredAt ? instant(input.occurredAt, 'body.occurredAt') : null;
    if (occurredAt && occurredAt > knownAt) {
      throw new SigiloError('VALIDATION_FAILED', 'an incident cannot be known before it occurred', {
        path: 'body.occurredAt',
      });
    }
    if (knownAt > this.deps.now().toISOString()) {
      throw new SigiloError('VALIDATION_FAILED', 'knownAt is in the future', { path: 'body.knownAt' });
    }
    const categories = [...new Set(input.categories)];
    categories.forEach((c, i) => {
      if (!isPersonalCategory(policy, c) || c === 'security_incident') {
        throw new SigiloError(
          'CATEGORY_NOT_DECLARED',
          `category '${c}' is not a personal category of the policy`,
          {
            path: `body.categories[${i}]`,
          },
        );
      }
    });

    let affected: number;
    let basis: 'key_version' | 'declared';
    if (input.leakedKeyVersion !== undefined) {
      affected = (await this.repo.affectedByKeyVersion(s.tx, input.leakedKeyVersion)).subjects;
      basis = 'key_version';
    } else if (input.affectedSubjects !== undefined) {
      affected = input.affectedSubjects;
      basis = 'declared';
    } else {
      throw new SigiloError(
        'VALIDATION_FAILED',
        'give leakedKeyVersion (the affected subjects are computed) or affectedSubjects',
        { path: 'body.affectedSubjects' },
      );
    }

    // Every field is sealed, an absent one as '': the gate opens all of a row's fields, and an empty ciphertext
    // also hides which of them the DPO filled in.
    const sealed = {} as Record<FreeTextField, string>;
    for (const field of Object.keys(FREE_TEXT) as FreeTextField[]) {
      const text = input[field];
      sealed[field] = text !== undefined && text.trim() !== '' ? this.guarded(field, text) : '';
    }
    if (!sealed.description) {
      throw new SigiloError('VALIDATION_FAILED', 'a description is required', { path: 'body.description' });
    }

    const due = businessDeadline(knownAt, INCIDENT_COMMUNICATION_BUSINESS_DAYS);
    const now = this.deps.now().toISOString();
    const subjectId = await s.newSubject('security_incident');
    const id = await s.insert('securityIncidents', {
      subjectId,
      source: 'staff',
      plain: {
        occurred_at: occurredAt,
        known_at: knownAt,
        categories: JSON.stringify(categories),
        affected_subjects: affected,
        affected_basis: basis,
        kek_version: input.leakedKeyVersion ?? null,
        communication_due_at: due.dueAt,
        anpd_communicated_at: null,
        subjects_communicated_at: null,
        state: 'open',
        created_by: s.ctx.actor,
        created_at: now,
        updated_at: now,
      },
      sealed,
    });
    return this.get(s, id);
  }

  /** One incident with its free text opened. */
  async get(s: GateSession, id: string): Promise<IncidentView> {
    const [row] = await s.find('securityIncidents', { where: { id } });
    if (!row) throw new SigiloError('NOT_FOUND', 'incident not found', { resource: 'security_incident' });
    return this.view(row);
  }

  /** The register, newest first: plain facts only (no free text is opened). */
  async list(s: GateSession, limit = 100): Promise<IncidentSummary[]> {
    const rows = await s.find('securityIncidents', {
      fields: [],
      orderBy: 'created_at',
      limit: Math.min(limit, 1000),
    });
    return rows
      .map((r) => {
        const { description: _d, measures: _m, risks: _r, delayReason: _l, ...summary } = this.view(r);
        return summary;
      })
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /**
   * Records that the ANPD or the subjects were told (at `at`, default now). A communication after the deadline
   * needs the reasons for the delay (Res. 15/2024 Art. 6 §… "motivos da demora"): given here or before.
   */
  async communicated(
    s: GateSession,
    id: string,
    to: 'anpd' | 'subjects',
    options: { at?: string; delayReason?: string } = {},
  ): Promise<IncidentView> {
    const current = await this.get(s, id);
    const at = options.at ? instant(options.at, 'body.at') : this.deps.now().toISOString();
    if (at < current.knownAt) {
      throw new SigiloError(
        'VALIDATION_FAILED',
        'a communication cannot precede the knowledge of the incident',
        {
          path: 'body.at',
        },
      );
    }
    const delayReason = options.delayReason?.trim()
      ? this.guarded('delayReason', options.delayReason)
      : undefined;
    if (at > current.communicationDueAt && !delayReason && !current.delayReason) {
      throw new SigiloError(
        'VALIDATION_FAILED',
        'the communication is past its deadline: give the reasons for the delay (delayReason)',
        { path: 'body.delayReason' },
      );
    }
    const plain: Record<string, unknown> = {
      [to === 'anpd' ? 'anpd_communicated_at' : 'subjects_communicated_at']: at,
    };
    const anpd = to === 'anpd' ? at : current.anpdCommunicatedAt;
    const subjects = to === 'subjects' ? at : current.subjectsCommunicatedAt;
    if (anpd && subjects) plain.state = 'communicated';
    await s.update('securityIncidents', id, { plain, ...(delayReason ? { sealed: { delayReason } } : {}) });
    return this.get(s, id);
  }

  /** Drafts of the communications to the ANPD (Art. 6) and to the subjects (Art. 9), from the register entry. */
  async drafts(
    s: GateSession,
    id: string,
  ): Promise<{ incident: IncidentView; anpd: CommunicationDraft; subjects: CommunicationDraft }> {
    const incident = await this.get(s, id);
    const policy = this.deps.policy();
    const totalSubjects = await this.repo.customerSubjects(s.tx);
    const now = this.deps.now().toISOString();
    return {
      incident,
      anpd: anpdDraft(incident, policy, { totalSubjects, now }),
      subjects: subjectsDraft(incident, policy, now),
    };
  }

  /** How many subjects' data keys master-key version `kekVersion` wraps (accounts and people, not shredded). */
  affectedByKeyVersion(s: GateSession, kekVersion: number): Promise<AffectedByKey> {
    return this.repo.affectedByKeyVersion(s.tx, kekVersion);
  }

  /** The guard's verdict for one free-text field: the text to seal, or a refusal that never echoes it. */
  private guarded(field: FreeTextField, text: string): string {
    const verdict = this.deps.guard.check(FREE_TEXT[field], text, `body.${field}`);
    if (verdict.action === 'quarantine') {
      // The register has no review queue: text the policy would hold for review is refused instead.
      throw new SigiloError(
        'SENSITIVE_DATA_DETECTED',
        `body.${field} contains data the policy holds for review: ${verdict.classes.join(', ')}`,
        { path: `body.${field}`, classes: verdict.classes },
      );
    }
    return verdict.text;
  }

  private view(row: OpenedRow<'securityIncidents'>): IncidentView {
    const p = row.plain;
    const dueAt = p.communication_due_at as string;
    const anpd = (p.anpd_communicated_at as string | null) ?? null;
    const subjects = (p.subjects_communicated_at as string | null) ?? null;
    const now = this.deps.now().toISOString();
    const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
    return {
      id: row.id,
      state: p.state as IncidentState,
      occurredAt: (p.occurred_at as string | null) ?? null,
      knownAt: p.known_at as string,
      categories: JSON.parse(p.categories as string) as string[],
      affectedSubjects: Number(p.affected_subjects),
      affectedBasis: p.affected_basis as 'key_version' | 'declared',
      leakedKeyVersion: p.kek_version === null || p.kek_version === undefined ? null : Number(p.kek_version),
      communicationDueAt: dueAt,
      communicationDueDate: businessDeadline(p.known_at as string, INCIDENT_COMMUNICATION_BUSINESS_DAYS)
        .dueDate,
      anpdCommunicatedAt: anpd,
      subjectsCommunicatedAt: subjects,
      overdue: now > dueAt && (!anpd || !subjects),
      description: text(row.fields.description),
      measures: text(row.fields.measures),
      risks: text(row.fields.risks),
      delayReason: text(row.fields.delayReason),
      createdBy: p.created_by as string,
      createdAt: p.created_at as string,
      policyVersion: Number(p.policy_version),
    };
  }
}

/** A valid ISO-8601 instant, normalised to UTC with milliseconds. */
function instant(value: string, path: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    throw new SigiloError('VALIDATION_FAILED', 'must be an ISO-8601 date and time', { path });
  }
  return new Date(ms).toISOString();
}
