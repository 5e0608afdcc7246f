/**
 * Data-subject requests (LGPD Arts. 18–19): intake, identity verification, the clock, extensions, refusals and
 * the overdue list. Every step runs in a gate session with purpose `subject_request` and is written to the
 * access log about the subject; answers that release data (subject-request.answers.ts) refuse to run before
 * the identity is verified.
 */
import { v7 as uuidv7 } from 'uuid';
import { SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import { normaliseTaxId } from '../validation/tax-id.ts';
import type { SubjectRequestRow } from '../store/tables/subject-request.table.ts';
import { deadlineOf, dueStatus, endOfLocalDayAfter } from './subject-request.deadline.ts';
import {
  CHANNELS,
  CORRECTION_ITEMS,
  DOCUMENT_KINDS,
  DUE_SOON_DAYS,
  EXTENSION_MAX_DAYS,
  EXTENSION_REASONS,
  OPEN_STATES,
  PROOF_KINDS,
  REFUSAL_REASONS,
  REPRESENTATIVE_KINDS,
  REQUEST_TYPES,
  TRANSITIONS,
  VERIFICATION_METHODS,
  type CorrectionItem,
  type DocumentKind,
  type ExtensionReason,
  type ProofKind,
  type RefusalReason,
  type RepresentativeKind,
  type RequestChannel,
  type RequestState,
  type RequestType,
  type VerificationMethod,
} from './subject-request.model.ts';
import type { SubjectRequestRepository } from './subject-request.repository.ts';
import {
  actingSubjectOf,
  holdsDuty,
  logRequestStep,
  readRequestEvents,
  refuseStep,
  requireRequestPurpose,
  staffPseudonym,
  writeRequestEvent,
} from './sealing/subject-request.gate.ts';

export interface Representative {
  kind: RepresentativeKind;
  /** The representative, when they are a person known to Sigilo (e.g. the company contact). */
  personId?: string;
  proof: { kind: ProofKind; reference: string };
}

export interface NewRequest {
  subjectId: string;
  type: RequestType;
  channel: RequestChannel;
  /** When the request arrived (default now); an instant in the past, never the future. */
  receivedAt?: string;
  representative?: Representative;
  /** caller_identification: the requester's line (a phone contact point on file) and when the call came in. */
  callerIdentification?: { lineContactPointId: string; calledAt: string };
  /** correction: the subject's stored items that the subject says are wrong (never the new values). */
  correction?: { items: { item: CorrectionItem; id: string }[] };
}

export type Verification =
  | { method: 'portal_session'; sessionRef: string }
  | { method: 'email_code' | 'phone_code'; contactPointId: string; codeReference: string }
  | { method: 'document_check'; documentKind: DocumentKind; reference: string };

export interface RequestView {
  id: string;
  subjectId: string;
  type: RequestType;
  state: RequestState;
  channel: RequestChannel;
  receivedAt: string;
  dueAt: string;
  originalDueAt: string;
  due: 'overdue' | 'due_soon' | 'on_time' | 'closed';
  extension: { reason: ExtensionReason; extendedAt: string } | null;
  verification: {
    method: VerificationMethod;
    evidence: Record<string, string>;
    verifiedAt: string;
    verifiedBy: string;
  } | null;
  representative: Representative | null;
  params: Record<string, unknown>;
  refusalReason: RefusalReason | null;
  answeredAt: string | null;
  answer: Record<string, unknown> | null;
}

export interface RequestEventView {
  kind: string;
  at: string;
  actor: string;
  role: string;
  details: Record<string, unknown>;
}

const REF = /^[\p{L}\p{N}][\p{L}\p{N} ._/#:-]{0,79}$/u;

/** The workflow of data-subject requests. */
export class SubjectRequestService {
  constructor(
    private readonly repo: SubjectRequestRepository,
    private readonly now: () => Date,
  ) {}

  /** Registers a request; the deadline starts from `receivedAt` (Brasília calendar). */
  async create(s: GateSession, input: NewRequest): Promise<RequestView> {
    requireRequestPurpose(s, null, 'create');
    const type = oneOf(REQUEST_TYPES, input.type, 'type');
    const asked = oneOf(CHANNELS, input.channel, 'channel');
    const kind = await this.repo.subjectKind(s.tx, input.subjectId);
    // The portal probing a subject that does not exist is refused and logged like one of another subject's.
    if (!kind && actingSubjectOf(s) !== null) refuseStep(s, null, 'create', 'NOT_FOUND', 'subject not found');
    if (!kind) throw new SigiloError('NOT_FOUND', 'subject not found', { resource: 'subject' });
    this.assertMayAct(s, input.subjectId, 'create');
    const byPortal = actingSubjectOf(s) !== null;
    // The portal's own session is the subject signed in: it speaks for itself, through the portal channel.
    if (byPortal && input.representative)
      throw new SigiloError('VALIDATION_FAILED', 'a portal request is made by the subject in person', {
        path: 'representative',
      });
    const now = this.now().toISOString();
    const receivedAt = input.receivedAt ? instant(input.receivedAt, 'receivedAt') : now;
    if (receivedAt > now)
      throw new SigiloError('VALIDATION_FAILED', 'receivedAt is in the future', { path: 'receivedAt' });
    const representative = input.representative
      ? await this.checkRepresentative(s, input.subjectId, kind, input.representative)
      : null;
    const params: Record<string, unknown> = {};
    if (type === 'caller_identification') {
      const c = input.callerIdentification;
      if (!c)
        throw new SigiloError('VALIDATION_FAILED', 'caller identification needs the line and the call time', {
          path: 'callerIdentification',
        });
      params.lineContactPointId = await this.ownPhone(s, input.subjectId, kind, c.lineContactPointId);
      params.calledAt = instant(c.calledAt, 'callerIdentification.calledAt');
    } else if (input.callerIdentification) {
      throw new SigiloError('VALIDATION_FAILED', 'callerIdentification is only for caller_identification', {
        path: 'callerIdentification',
      });
    }
    if (type === 'correction') {
      params.corrections = await this.correctionItems(s, input.subjectId, kind, input.correction);
    } else if (input.correction) {
      throw new SigiloError('VALIDATION_FAILED', 'correction is only for correction requests', {
        path: 'correction',
      });
    }
    const channel: RequestChannel = byPortal ? 'portal' : asked;
    const id = uuidv7();
    const due = deadlineOf(type, receivedAt);
    await this.repo.insert(s, {
      id,
      subject_id: input.subjectId,
      type,
      state: 'received',
      channel,
      received_at: receivedAt,
      due_at: due,
      original_due_at: due,
      extension_reason: null,
      extended_at: null,
      params: JSON.stringify(params),
      verification_method: null,
      verification_evidence: null,
      verified_at: null,
      verified_by: null,
      representative_kind: representative?.kind ?? null,
      representative_person_id: representative?.personId ?? null,
      representative_proof: representative ? JSON.stringify(representative.proof) : null,
      refusal_reason: null,
      answered_at: null,
      answer: null,
      created_by: s.ctx.actor,
      created_at: now,
      updated_at: now,
    });
    await this.event(s, id, 'received', { type, channel, dueAt: due, representative: representative?.kind });
    logRequestStep(s, input.subjectId, 'received', id, `type ${type}`);
    return this.get(s, id);
  }

  /**
   * Records how the identity was verified. A code must have been confirmed on a contact point already on file
   * for the subject (a number or address the requester merely states opens nothing), a document checked by
   * staff, or the subject signed in to the portal. A representative's proof must be on the request.
   */
  async verifyIdentity(s: GateSession, id: string, v: Verification): Promise<RequestView> {
    const row = await this.load(s, id);
    const method = oneOf(VERIFICATION_METHODS, v.method, 'method');
    let evidence: Record<string, string>;
    if (v.method === 'portal_session') {
      if (!holdsDuty(s, 'subject_request.act_for_own_subject'))
        insufficient('a portal session is verified only by the portal itself', 'method');
      evidence = { sessionRef: reference(v.sessionRef, 'sessionRef') };
    } else {
      this.assertStaff(s, row.subject_id, 'verify');
      if (v.method === 'document_check') {
        evidence = {
          documentKind: oneOf(DOCUMENT_KINDS, v.documentKind, 'documentKind'),
          reference: reference(v.reference, 'reference'),
        };
      } else {
        const cp = await this.repo.contactPoint(s.tx, v.contactPointId);
        const wanted = v.method === 'email_code' ? 'email' : 'phone';
        const kind = (await this.repo.subjectKind(s.tx, row.subject_id))!;
        const holder = row.representative_person_id ?? (kind === 'person' ? row.subject_id : null);
        const ownerOfAccount =
          cp && kind === 'account' && !row.representative_person_id
            ? (await this.repo.relation(s, row.subject_id, cp.person_id)) === 'owner'
            : false;
        if (!cp || cp.kind !== wanted || (cp.person_id !== holder && !ownerOfAccount)) {
          insufficient(
            `the ${wanted} is not on file for the subject or their representative`,
            'contactPointId',
          );
        }
        evidence = {
          contactPointId: v.contactPointId,
          codeReference: reference(v.codeReference, 'codeReference'),
        };
      }
    }
    if (row.representative_kind && !row.representative_proof)
      insufficient("the representative's proof is missing", 'representative.proof');
    const at = this.now().toISOString();
    await this.transition(s, row, 'identity_verified', {
      verification_method: method,
      verification_evidence: JSON.stringify(evidence),
      verified_at: at,
      verified_by: s.ctx.actor,
    });
    await this.event(s, id, 'identity_verified', { method });
    logRequestStep(s, row.subject_id, 'identity_verified', id, `method ${method}`);
    return this.get(s, id);
  }

  /** Starts work on a verified request. */
  async start(s: GateSession, id: string): Promise<RequestView> {
    const row = await this.load(s, id);
    this.assertStaff(s, row.subject_id, 'start');
    await this.transition(s, row, 'in_progress', {});
    await this.event(s, id, 'in_progress', {});
    logRequestStep(s, row.subject_id, 'in_progress', id);
    return this.get(s, id);
  }

  /** Extends an open request's deadline once, by at most 15 calendar days, for a stated reason. */
  async extend(s: GateSession, id: string, days: number, reason: ExtensionReason): Promise<RequestView> {
    const row = await this.load(s, id);
    this.assertStaff(s, row.subject_id, 'extend');
    const why = oneOf(EXTENSION_REASONS, reason, 'reason');
    if (!Number.isInteger(days) || days < 1 || days > EXTENSION_MAX_DAYS)
      throw new SigiloError('VALIDATION_FAILED', `days must be 1 to ${EXTENSION_MAX_DAYS}`, { path: 'days' });
    if (!OPEN_STATES.includes(row.state as RequestState))
      conflict(`a ${row.state} request cannot be extended`, row.state);
    if (row.extended_at) conflict('the deadline was already extended once', row.state);
    const dueAt = endOfLocalDayAfter(row.due_at, days);
    const at = this.now().toISOString();
    const ok = await this.repo.update(s, id, row.state as RequestState, {
      due_at: dueAt,
      extension_reason: why,
      extended_at: at,
      updated_at: at,
    });
    if (!ok) conflict('the request changed meanwhile', row.state);
    await this.event(s, id, 'extended', { days, reason: why, dueAt });
    logRequestStep(s, row.subject_id, 'extended', id, `reason ${why}`);
    return this.get(s, id);
  }

  /** Refuses a request with a coded reason (LGPD Art. 18 §4). */
  async refuse(s: GateSession, id: string, reason: RefusalReason): Promise<RequestView> {
    const row = await this.load(s, id);
    this.assertStaff(s, row.subject_id, 'refuse');
    const why = oneOf(REFUSAL_REASONS, reason, 'reason');
    const at = this.now().toISOString();
    await this.transition(s, row, 'refused', { refusal_reason: why, answered_at: at });
    await this.event(s, id, 'refused', { reason: why });
    logRequestStep(s, row.subject_id, 'refused', id, `reason ${why}`);
    return this.get(s, id);
  }

  /** Marks a verified request answered, with a summary of the answer (never the data itself). */
  async markAnswered(s: GateSession, id: string, summary: Record<string, unknown>): Promise<RequestView> {
    const row = await this.requireVerified(s, id);
    const at = this.now().toISOString();
    await this.transition(s, row, 'answered', { answered_at: at, answer: JSON.stringify(summary) });
    await this.event(s, id, 'answered', summary);
    logRequestStep(s, row.subject_id, 'answered', id);
    return this.get(s, id);
  }

  /**
   * The request, verified and not yet closed, for an answer that releases data: IDENTITY_NOT_VERIFIED before
   * verification (logged as a denial), REQUEST_STATE_CONFLICT once answered or refused.
   */
  async requireVerified(
    s: GateSession,
    id: string,
    options: { allowAnswered?: boolean } = {},
  ): Promise<SubjectRequestRow> {
    const row = await this.load(s, id);
    if (row.state === 'received') {
      refuseStep(
        s,
        row.subject_id,
        'release',
        'IDENTITY_NOT_VERIFIED',
        `request ${id}: identity not verified`,
      );
    }
    // An answered request may be downloaded again; a refused one releases nothing.
    const open = row.state === 'identity_verified' || row.state === 'in_progress';
    if (!open && !(options.allowAnswered && row.state === 'answered'))
      conflict(`the request is ${row.state}`, row.state);
    return row;
  }

  /** One request. */
  async get(s: GateSession, id: string): Promise<RequestView> {
    const row = await this.load(s, id);
    return this.view(row, s);
  }

  /** The request's history, oldest first. */
  async history(s: GateSession, id: string): Promise<RequestEventView[]> {
    const row = await this.load(s, id);
    // The subject sees staff by role and a stable pseudonym, never by token or account id.
    const bySubject = actingSubjectOf(s) !== null;
    return (await readRequestEvents(s, row.subject_id, id)).map((e) => ({
      kind: e.kind,
      at: e.at,
      actor: bySubject && e.role !== s.ctx.role ? staffPseudonym(s, e.actor) : e.actor,
      role: e.role,
      details: e.details,
    }));
  }

  /** Requests, soonest deadline first: open ones past their deadline, due within 3 days, or all. */
  async list(
    s: GateSession,
    f: { due?: 'overdue' | 'due_soon'; subjectId?: string; state?: RequestState; limit?: number } = {},
  ): Promise<RequestView[]> {
    requireRequestPurpose(s, null, 'list');
    // The portal lists the requests of the one subject it acts for, whatever subject the filter names.
    const bound = actingSubjectOf(s);
    if (bound !== null && bound !== '') {
      if (f.subjectId !== undefined && f.subjectId !== bound) return [];
      f = { ...f, subjectId: bound };
    } else if (!holdsDuty(s, 'subject_request.work')) {
      refuseStep(
        s,
        f.subjectId ?? null,
        'list',
        'ROLE_NOT_ALLOWED',
        `role ${s.ctx.role} may not list requests`,
      );
    }
    const now = this.now();
    const nowIso = now.toISOString();
    const soon = new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString();
    const rows = await this.repo.list(s, {
      ...(f.subjectId ? { subjectId: f.subjectId } : {}),
      ...(f.due ? { states: OPEN_STATES } : f.state ? { states: [f.state] } : {}),
      ...(f.due === 'overdue' ? { dueBefore: nowIso } : {}),
      ...(f.due === 'due_soon' ? { dueAfter: nowIso, dueBefore: soon } : {}),
      limit: Math.min(Math.max(f.limit ?? 100, 1), 1000),
    });
    return rows.map((r) => this.view(r, s));
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private async load(s: GateSession, id: string): Promise<SubjectRequestRow> {
    requireRequestPurpose(s, null, 'read');
    const row = await this.repo.get(s, id);
    // A guessed id from the portal answers, and is logged, exactly as another subject's request.
    if (!row && actingSubjectOf(s) !== null)
      refuseStep(s, null, 'read', 'NOT_FOUND', 'not the subject this access acts for');
    if (!row)
      throw new SigiloError('NOT_FOUND', 'subject request not found', { resource: 'subject_request' });
    this.assertMayAct(s, row.subject_id, 'read');
    return row;
  }

  /**
   * Roles holding `subject_request.work` (the DPO in the seed) work every request. A subject-bound role (the portal) acts for the one subject its signed assertion
   * names: another subject's request answers exactly as one that does not exist (the refusal is logged).
   */
  private assertMayAct(s: GateSession, subjectId: string, step: string): void {
    if (holdsDuty(s, 'subject_request.work')) return;
    const bound = actingSubjectOf(s);
    if (bound !== null) {
      if (bound !== '' && bound === subjectId) return;
      refuseStep(s, subjectId, step, 'NOT_FOUND', 'not the subject this access acts for');
    }
    refuseStep(s, subjectId, step, 'ROLE_NOT_ALLOWED', `role ${s.ctx.role} may not work subject requests`);
  }

  private assertStaff(s: GateSession, subjectId: string, step: string): void {
    if (!holdsDuty(s, 'subject_request.work'))
      refuseStep(s, subjectId, step, 'ROLE_NOT_ALLOWED', `only the DPO may ${step} a request`);
  }

  private async transition(
    s: GateSession,
    row: SubjectRequestRow,
    to: RequestState,
    set: Partial<SubjectRequestRow>,
  ): Promise<void> {
    const from = row.state as RequestState;
    if (!TRANSITIONS[from].includes(to)) conflict(`a ${from} request cannot become ${to}`, from);
    const ok = await this.repo.update(s, row.id, from, {
      ...set,
      state: to,
      updated_at: this.now().toISOString(),
    });
    if (!ok) conflict('the request changed meanwhile', from);
  }

  private async event(s: GateSession, requestId: string, kind: string, details: unknown): Promise<void> {
    await writeRequestEvent(
      s,
      { requestId, kind, at: this.now().toISOString(), actor: s.ctx.actor, role: s.ctx.role },
      details,
    );
  }

  private async checkRepresentative(
    s: GateSession,
    subjectId: string,
    subjectKind: 'account' | 'person',
    r: Representative,
  ): Promise<Representative> {
    const kind = oneOf(REPRESENTATIVE_KINDS, r.kind, 'representative.kind');
    if (!r.proof) insufficient('a representative needs proof', 'representative.proof');
    const proof = {
      kind: oneOf(PROOF_KINDS, r.proof.kind, 'representative.proof.kind'),
      reference: reference(r.proof.reference, 'representative.proof.reference'),
    };
    if (kind === 'company_contact') {
      // A company's contact speaks for the company account only if Sigilo records them as its contact.
      if (subjectKind !== 'account' || !r.personId)
        insufficient('a company contact represents an account and must be a known person', 'representative');
      const relation = await this.repo.relation(s, subjectId, r.personId);
      if (relation !== 'owner' && relation !== 'contact')
        insufficient('the person is not a contact of the account', 'representative.personId');
    } else if (r.personId && !(await this.repo.subjectKind(s.tx, r.personId))) {
      throw new SigiloError('NOT_FOUND', 'representative not found', { path: 'representative.personId' });
    }
    return { kind, ...(r.personId ? { personId: r.personId } : {}), proof };
  }

  /** The items a correction names, each one of the subject's own (by id; NOT_FOUND otherwise). */
  private async correctionItems(
    s: GateSession,
    subjectId: string,
    kind: 'account' | 'person',
    c: NewRequest['correction'],
  ): Promise<{ item: CorrectionItem; id: string }[]> {
    const items = c?.items ?? [];
    if (items.length === 0 || items.length > 20)
      throw new SigiloError('VALIDATION_FAILED', 'a correction names 1 to 20 items', {
        path: 'correction.items',
      });
    const out: { item: CorrectionItem; id: string }[] = [];
    for (const [i, x] of items.entries()) {
      const item = oneOf(CORRECTION_ITEMS, x.item, `correction.items.${i}.item`);
      let mine: boolean;
      if (item === 'person_name') mine = kind === 'person' && x.id === subjectId;
      else if (item === 'postal_address')
        mine =
          (await s.tx
            .selectFrom('addresses')
            .select('id')
            .where('id', '=', x.id)
            .where('subject_id', '=', subjectId)
            .executeTakeFirst()) !== undefined;
      else {
        const cp = await this.repo.contactPoint(s.tx, x.id);
        mine = cp?.kind === item && cp.person_id === subjectId;
      }
      if (!mine)
        throw new SigiloError('NOT_FOUND', "the item is not one of the subject's", {
          path: `correction.items.${i}.id`,
        });
      out.push({ item, id: x.id });
    }
    return out;
  }

  /** The phone contact point id when it is the subject's own line (a person's, or an account owner's). */
  private async ownPhone(
    s: GateSession,
    subjectId: string,
    kind: 'account' | 'person',
    contactPointId: string,
  ): Promise<string> {
    const cp = await this.repo.contactPoint(s.tx, contactPointId);
    const mine =
      cp?.kind === 'phone' &&
      (kind === 'person'
        ? cp.person_id === subjectId
        : (await this.repo.relation(s, subjectId, cp.person_id)) !== undefined);
    if (!mine)
      insufficient('the line is not on file for the subject', 'callerIdentification.lineContactPointId');
    return contactPointId;
  }

  private view(r: SubjectRequestRow, s?: GateSession): RequestView {
    const state = r.state as RequestState;
    const bySubject = s !== undefined && actingSubjectOf(s) !== null;
    return {
      id: r.id,
      subjectId: r.subject_id,
      type: r.type as RequestType,
      state,
      channel: r.channel as RequestChannel,
      receivedAt: r.received_at,
      dueAt: r.due_at,
      originalDueAt: r.original_due_at,
      due: OPEN_STATES.includes(state) ? dueStatus(r.due_at, this.now(), DUE_SOON_DAYS) : 'closed',
      extension:
        r.extension_reason && r.extended_at
          ? { reason: r.extension_reason as ExtensionReason, extendedAt: r.extended_at }
          : null,
      verification:
        r.verification_method && r.verified_at && r.verified_by
          ? {
              method: r.verification_method as VerificationMethod,
              evidence: JSON.parse(r.verification_evidence ?? '{}') as Record<string, string>,
              verifiedAt: r.verified_at,
              verifiedBy:
                bySubject && r.verification_method !== 'portal_session'
                  ? staffPseudonym(s, r.verified_by)
                  : r.verified_by,
            }
          : null,
      representative: r.representative_kind
        ? {
            kind: r.representative_kind as RepresentativeKind,
            ...(r.representative_person_id ? { personId: r.representative_person_id } : {}),
            proof: JSON.parse(r.representative_proof ?? 'null') as Representative['proof'],
          }
        : null,
      params: JSON.parse(r.params) as Record<string, unknown>,
      refusalReason: (r.refusal_reason as RefusalReason | null) ?? null,
      answeredAt: r.answered_at,
      answer: r.answer ? (JSON.parse(r.answer) as Record<string, unknown>) : null,
    };
  }
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown, path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new SigiloError('VALIDATION_FAILED', `${path} must be one of ${allowed.join(', ')}`, { path });
  return value as T;
}

function instant(value: unknown, path: string): string {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new SigiloError('VALIDATION_FAILED', `${path} must be an ISO-8601 date-time`, { path });
  return new Date(ms).toISOString();
}

function reference(value: unknown, path: string): string {
  if (typeof value !== 'string' || !REF.test(value) || looksLikeTaxId(value))
    throw new SigiloError(
      'VALIDATION_FAILED',
      `${path} must be a short reference (letters, digits, . _ / # : -), never a document number`,
      { path },
    );
  return value;
}

/** A reference must point into the DPO's file, not copy a CPF or CNPJ into a plain column. */
function looksLikeTaxId(value: string): boolean {
  try {
    normaliseTaxId(value, 'reference');
    return true;
  } catch {
    return false;
  }
}

function insufficient(message: string, path: string): never {
  throw new SigiloError('VERIFICATION_INSUFFICIENT', message, { path });
}

function conflict(message: string, state: string): never {
  throw new SigiloError('REQUEST_STATE_CONFLICT', message, { state });
}
