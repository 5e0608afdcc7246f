/**
 * The answers Sigilo produces for data-subject requests: the streamed export (access and portability), the
 * subject's own access history, the simplified confirmation, and the information answers (sharing, refusing
 * consent, revocation). Each refuses to run before the identity is verified and is logged as a step.
 */
import { readAccountLinks } from '../gate/account-links.ts';
import type { Writable } from 'node:stream';
import type { AccessLogRepository } from '../access-log/access-log.repository.ts';
import { isSigiloError, SigiloError } from '../errors.ts';
import type { GateSession } from '../gate/gate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { RecordingView } from '../recordings/sealing/recordings.gate.ts';
import type { PersonService } from '../services/person.service.ts';
import type { RecordQueryService } from '../telecom/query/record-query.service.ts';
import type { CallRecord } from '../telecom/records/telecom-record.ts';
import type { SubjectRequestRow } from '../store/tables/subject-request.table.ts';
import { decideDeletion, type CategoryOutcome } from './subject-deletion.ts';
import { collectSubjectData, type CollectedItem } from './subject-data.collector.ts';
import { EXPORT_FORMAT, EXPORT_VERSION, exportSink, type ExportHeader } from './subject-export.ts';
import type { CorrectionItem, RequestState, RequestType } from './subject-request.model.ts';
import { answerStatementsPt, REQUEST_STATE_PT, REQUEST_TYPE_PT } from './subject-request.texts.ts';
import { retentionPeriodPt } from '../policy/policy.render.ts';
import {
  decideNecessity,
  LIFT_REASONS,
  liftStatement,
  restrictionStatement,
  type LiftAnswer,
  type LiftReason,
  type RestrictionAnswer,
} from './subject-restriction.ts';
import type { SubjectRequestRepository } from './subject-request.repository.ts';
import type { SubjectRequestService } from './subject-request.service.ts';
import { SubjectSummary } from './subject-summary.ts';
import {
  reportCategories,
  type RetentionDates,
  type SubjectReportModel,
} from '../reports/subject-report.model.ts';
import {
  actingSubjectOf,
  holdsDuty,
  logRequestStep,
  refuseStep,
  staffPseudonym,
  writeRequestEvent,
} from './sealing/subject-request.gate.ts';

export interface AnswerDeps {
  /** Whether an active legal hold keeps this category of the subject (the retention module's public API). */
  isHeld(
    s: GateSession,
    q: { category: string; accounts?: string[]; people?: string[]; from: string; to: string },
  ): Promise<boolean>;
  /** Retention arithmetic (the retention module's public clock), for "kept until" in the report. */
  retentionDates: RetentionDates;
  requests: SubjectRequestService;
  repo: SubjectRequestRepository;
  accessLog: AccessLogRepository;
  telecom: RecordQueryService;
  /** Corrections go through the person service like any other change (gated, with provenance). */
  people: PersonService;
  /** The subject's recordings, metadata only (the recording service's gated listing). */
  recordings: (s: GateSession, subjectId: string) => Promise<RecordingView[]>;
  policy: () => Policy;
  now: () => Date;
}

/** The answer to a caller identification. */
export interface CallerAnswer {
  lineHeld: boolean;
  call: { startedAt: string; direction: string } | null;
  caller: { name: string; taxId: string } | null;
  statement: string;
}

/** How far from the stated time a call may have started (people remember the minute, not the second). */
const CALL_TOLERANCE_MS = 5 * 60_000;

/** One entry of the subject's access history, as the subject sees it. */
export interface HistoryEntry {
  at: string;
  /** Stable pseudonym of the person or system that acted (a keyed hash), never a name or token id. */
  actor: string;
  role: string;
  roleLabel: string;
  purpose: string | null;
  purposeLabel: string | null;
  legalBasis: string | null;
  categories: string[];
  operation: string;
}

const EXPORT_TYPES: readonly RequestType[] = ['access_complete', 'portability'];
const HISTORY_TYPES: readonly RequestType[] = ['access_history', 'access_complete'];
const HISTORY_MAX = 10_000;
const REPORT_ACCESSES = 50;
const SHARING_STATEMENT =
  'Os dados pessoais não são vendidos nem cedidos a terceiros. São compartilhados somente por ordem fundamentada ' +
  'de autoridades competentes, após validação jurídica, na forma da Política de Privacidade. Requisições ' +
  'protegidas por sigilo legal não podem ser informadas.';

export class SubjectRequestAnswers {
  constructor(private readonly deps: AnswerDeps) {}

  /**
   * Streams the complete export (format sigilo.subject-export v1) of the request's subject to `out`, then marks
   * the request answered with the per-category counts. The data goes only to `out`, never into the database.
   */
  async exportTo(s: GateSession, requestId: string, out: Writable): Promise<SubjectSummary> {
    const row = await this.release(s, requestId, EXPORT_TYPES, 'export');
    const summary = new SubjectSummary();
    const kind = (await this.deps.repo.subjectKind(s.tx, row.subject_id))!;
    await collectSubjectData(
      s,
      { id: row.subject_id, kind },
      this.deps.telecom,
      exportSink(out, await this.header(s, row, kind), summary),
      this.recordingItems,
    );
    await this.finish(s, row, {
      export: { format: EXPORT_FORMAT, version: EXPORT_VERSION },
      categories: counts(summary),
    });
    return summary;
  }

  /** What is held, per category (the walk without the data): the simplified answer and the report's base. */
  async summary(
    s: GateSession,
    requestId: string,
    types?: readonly RequestType[],
  ): Promise<{ row: SubjectRequestRow; summary: SubjectSummary }> {
    const row = await this.release(s, requestId, types ?? null, 'summary');
    const summary = new SubjectSummary();
    const kind = (await this.deps.repo.subjectKind(s.tx, row.subject_id))!;
    await collectSubjectData(
      s,
      { id: row.subject_id, kind },
      this.deps.telecom,
      summary.sink(),
      this.recordingItems,
    );
    return { row, summary };
  }

  /** Confirmation and simplified access (Art. 19 I): whether data are held, and which categories, at once. */
  async simplified(
    s: GateSession,
    requestId: string,
  ): Promise<{ holdsData: boolean; categories: { id: string; label: string; items: number }[] }> {
    const { row, summary } = await this.summary(s, requestId, ['confirmation', 'access_simplified']);
    const policy = this.deps.policy();
    const categories = [...summary.categories.entries()]
      .filter(([, h]) => h.items > 0)
      .map(([id, h]) => ({
        id,
        label: policy.categories.find((c) => c.id === id)?.label.pt ?? id,
        items: h.items,
      }));
    await this.finish(s, row, { categories: Object.fromEntries(categories.map((c) => [c.id, c.items])) });
    return { holdsData: categories.length > 0, categories };
  }

  /**
   * The subject's access history: every allowed access to their data, newest first, staff by role and
   * pseudonym. Entries under a purpose marked `legalSecrecy` in the policy (authority orders) are left out.
   */
  async accessHistory(s: GateSession, requestId: string): Promise<HistoryEntry[]> {
    const row = await this.release(s, requestId, HISTORY_TYPES, 'access_history');
    const entries = await this.history(s, row.subject_id);
    if (row.type === 'access_history') await this.finish(s, row, { entries: entries.length });
    return entries;
  }

  /** The history itself (shared with the report). */
  async history(s: GateSession, subjectId: string): Promise<HistoryEntry[]> {
    const policy = this.deps.policy();
    const secret = new Set(policy.purposes.filter((p) => p.legalSecrecy === true).map((p) => p.id));
    const out: HistoryEntry[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.deps.accessLog.forSubject(s.tx, subjectId, 500, before);
      for (const e of page) {
        if (e.outcome !== 'allowed' || (e.purpose && secret.has(e.purpose))) continue;
        out.push({
          at: e.at,
          actor: staffPseudonym(s, e.actor),
          role: e.role,
          roleLabel: policy.roles.find((r) => r.id === e.role)?.label.pt ?? e.role,
          purpose: e.purpose,
          purposeLabel: policy.purposes.find((p) => p.id === e.purpose)?.label.pt ?? null,
          legalBasis: e.legalBasis ?? policy.purposes.find((p) => p.id === e.purpose)?.legalBasis ?? null,
          categories: e.categories,
          operation: e.operation,
        });
      }
      if (page.length < 500 || out.length >= HISTORY_MAX) break;
      before = page[page.length - 1]!.seq;
    }
    return out.slice(0, HISTORY_MAX);
  }

  /**
   * Information on sharing (Art. 18 VII): the recipients the policy declares, and the sharing recorded in the
   * access log that may be disclosed. Exports under a secret purpose never appear.
   */
  async sharingInformation(
    s: GateSession,
    requestId: string,
  ): Promise<{ statement: string; disclosed: HistoryEntry[] }> {
    const row = await this.release(s, requestId, ['sharing_information'], 'sharing_information');
    const disclosed = (await this.history(s, row.subject_id)).filter(
      (e) => e.operation === 'export' && e.purpose !== 'subject_request',
    );
    const statement = SHARING_STATEMENT;
    await this.finish(s, row, { disclosed: disclosed.length });
    return { statement, disclosed };
  }

  /** Information on refusing consent (Art. 18 VIII) and revocation (Art. 18 IX), from the policy's legal bases. */
  async consentInformation(
    s: GateSession,
    requestId: string,
  ): Promise<{ consentBased: string[]; statement: string }> {
    const row = await this.release(
      s,
      requestId,
      ['consent_refusal_information', 'revocation'],
      'consent_information',
    );
    const policy = this.deps.policy();
    // LGPD Art. 7º, I is consent; every other basis (contract, legal obligation…) does not depend on it.
    const consentBased = policy.purposes
      .filter((p) => /Art\. 7º, I\b(?!I|V)/.test(p.legalBasis))
      .map((p) => p.id);
    const statement =
      consentBased.length === 0
        ? 'Nenhum tratamento de dados pessoais da operadora se baseia no consentimento (LGPD, art. 7º, I): todos decorrem da ' +
          'execução do contrato, do cumprimento de obrigação legal ou regulatória ou do exercício regular de direitos. ' +
          'Por isso não há consentimento a recusar ou revogar; a recusa em fornecer os dados necessários impede apenas a ' +
          'contratação ou a prestação do serviço correspondente.'
        : `Baseiam-se no consentimento as finalidades: ${consentBased.join(', ')}. A revogação pode ser pedida a qualquer momento.`;
    await this.finish(s, row, { consentBased });
    return { consentBased, statement };
  }

  /**
   * A deletion request (Art. 18 IV, VI): per category, deleted or kept with the rule and until when. When
   * nothing must be kept the subject is crypto-shredded (every ciphertext, in the database and in any backup,
   * becomes unreadable); secrets no active contract needs are deleted; the rest stays until retention deletes
   * it on the date given. The caller records a shred in the shred journal once the transaction commits.
   */
  async deletion(
    s: GateSession,
    requestId: string,
  ): Promise<{ subjectId: string; shredded: boolean; categories: CategoryOutcome[] }> {
    const { row, summary } = await this.summary(s, requestId, ['deletion']);
    logRequestStep(s, row.subject_id, 'deletion', row.id);
    const { activeContract, held } = await this.keeping(s, row, summary);
    const nowIso = this.deps.now().toISOString();
    const categories = decideDeletion(
      this.deps.policy(),
      summary.categories,
      this.deps.retentionDates,
      nowIso,
      { activeContract, held },
    );
    const shredded = categories.length > 0 && categories.every((c) => c.outcome === 'deleted');
    if (shredded) {
      await s.shredSubject(row.subject_id, `subject request ${row.id}`);
    } else {
      for (const c of categories.filter((x) => x.outcome === 'deleted')) {
        // Only secrets are deleted row by row here; anything else past its retention goes with the next sweep.
        if (!c.category.endsWith('_secret')) {
          c.outcome = 'expired';
          continue;
        }
        await this.deleteSecrets(s, row.subject_id, c.category);
      }
    }
    await this.finish(s, row, {
      shredded,
      categories: Object.fromEntries(categories.map((c) => [c.category, c.outcome])),
    });
    return { subjectId: row.subject_id, shredded, categories };
  }

  /** The first steps of an Art. 18 IV answer: staff only, logged, each category judged necessary or not. */
  private async necessity(s: GateSession, requestId: string, type: 'anonymisation' | 'blocking') {
    this.assertStaff(s, type);
    const { row, summary } = await this.summary(s, requestId, [type]);
    logRequestStep(s, row.subject_id, type, row.id);
    const decided = decideNecessity(
      this.deps.policy(),
      summary.categories,
      this.deps.retentionDates,
      this.deps.now().toISOString(),
      await this.keeping(s, row, summary),
    );
    return { row, decided };
  }

  /**
   * Anonymisation of unnecessary or excessive data (Art. 18 IV): what no purpose of the contract needs and no
   * law keeps is erased (the subject crypto-shredded when that is everything); what the law keeps stays with its
   * rule and end date; what the contract needs stays, and the answer says for which purposes. The caller records
   * a shred in the shred journal once the transaction commits.
   */
  async anonymisation(
    s: GateSession,
    requestId: string,
  ): Promise<{ subjectId: string; shredded: boolean; categories: RestrictionAnswer[] }> {
    const { row, decided } = await this.necessity(s, requestId, 'anonymisation');
    const shredded = decided.length > 0 && decided.every((c) => c.outcome === 'anonymised');
    if (shredded) {
      await s.shredSubject(row.subject_id, `subject request ${row.id}`);
    } else {
      for (const c of decided.filter((x) => x.outcome === 'anonymised')) {
        // Secrets go now; anything else nothing keeps is past its retention and goes with the next sweep.
        if (c.category.endsWith('_secret')) await this.deleteSecrets(s, row.subject_id, c.category);
        else c.outcome = 'expired';
      }
    }
    const categories = this.stated(decided);
    await this.finish(s, row, {
      shredded,
      categories: Object.fromEntries(categories.map((c) => [c.category, c.outcome])),
    });
    return { subjectId: row.subject_id, shredded, categories };
  }

  /**
   * Blocking of unnecessary or excessive data (Art. 18 IV): every category no purpose of the contract needs is
   * kept (for as long as before) but blocked in the gate: refused PROCESSING_BLOCKED to every purpose the policy
   * does not mark `continuesWhenBlocked`. Necessary categories are not blocked; the answer says why.
   */
  async blocking(
    s: GateSession,
    requestId: string,
  ): Promise<{ subjectId: string; shredded: boolean; categories: RestrictionAnswer[] }> {
    const { row, decided } = await this.necessity(s, requestId, 'blocking');
    for (const c of decided) if (c.outcome !== 'necessary') c.outcome = 'blocked';
    const blocked = decided.filter((c) => c.outcome === 'blocked').map((c) => c.category);
    if (blocked.length > 0) await s.blockProcessing(row.subject_id, blocked, row.id);
    const categories = this.stated(decided);
    await this.finish(s, row, {
      blocked,
      categories: Object.fromEntries(categories.map((c) => [c.category, c.outcome])),
    });
    return { subjectId: row.subject_id, shredded: false, categories };
  }

  /**
   * Lifts the blocks a blocking request put in force (all, or the categories named): the subject asked for it,
   * or the reason ended. Staff only (duty `subject_request.work`); each category's data return to every purpose
   * the policy grants. The gate logs an `unblock` entry, the request's history a `block_lifted` event, and the
   * answer says per category, in Portuguese, what changed.
   */
  async liftBlocks(
    s: GateSession,
    requestId: string,
    input: { reason: LiftReason; categories?: string[] },
  ): Promise<{ subjectId: string; lifted: LiftAnswer[]; stillBlocked: string[] }> {
    if (!holdsDuty(s, 'subject_request.work'))
      refuseStep(s, null, 'block_lifted', 'ROLE_NOT_ALLOWED', 'only the DPO may lift a block');
    if (!(LIFT_REASONS as readonly string[]).includes(input.reason))
      throw new SigiloError('VALIDATION_FAILED', `reason must be one of ${LIFT_REASONS.join(', ')}`, {
        path: 'reason',
      });
    const row = await this.release(s, requestId, ['blocking'], 'block_lifted');
    const mine = (await s.processingBlocks(row.subject_id)).filter((b) => b.requestId === row.id);
    if (mine.length === 0)
      throw new SigiloError('REQUEST_STATE_CONFLICT', 'no block of this request is in force', {
        state: row.state,
      });
    const asked = input.categories ?? mine.map((b) => b.category);
    for (const [i, c] of asked.entries()) {
      if (!mine.some((b) => b.category === c))
        throw new SigiloError('VALIDATION_FAILED', 'the category is not blocked by this request', {
          path: `categories.${i}`,
        });
    }
    const lifted = await s.liftBlocks(row.subject_id, asked, `subject request ${row.id}, ${input.reason}`);
    const at = this.deps.now().toISOString();
    await writeRequestEvent(
      s,
      { requestId: row.id, kind: 'block_lifted', at, actor: s.ctx.actor, role: s.ctx.role },
      { reason: input.reason, categories: lifted.map((b) => b.category) },
    );
    const policy = this.deps.policy();
    return {
      subjectId: row.subject_id,
      lifted: lifted.map((b) => ({
        category: b.category,
        blockedAt: b.blockedAt,
        liftedAt: at,
        statement: liftStatement(policy, b.category, input.reason, at),
      })),
      stillBlocked: [...(await s.blockedCategories(row.subject_id))].sort(),
    };
  }

  /**
   * Applies a correction (Art. 18 III) through the person service, like any other change: each change must name
   * an item the request listed; a name is changed in place, a phone, e-mail or address is replaced by a new item
   * collected with source `subject_request`. The request's history records which items changed (never values).
   */
  async correct(
    s: GateSession,
    requestId: string,
    changes: { item: CorrectionItem; id: string; value: unknown }[],
  ): Promise<{ corrected: { item: CorrectionItem; id: string; newId: string | null; statement: string }[] }> {
    this.assertStaff(s, 'correction');
    const row = await this.release(s, requestId, ['correction'], 'correction');
    if (row.state === 'answered')
      throw new SigiloError('REQUEST_STATE_CONFLICT', 'the correction was already applied', {
        state: row.state,
      });
    const asked =
      (JSON.parse(row.params) as { corrections?: { item: CorrectionItem; id: string }[] }).corrections ?? [];
    const policy = this.deps.policy();
    const label = (c: string): string => policy.categories.find((x) => x.id === c)?.label.pt ?? c;
    const corrected: { item: CorrectionItem; id: string; newId: string | null; statement: string }[] = [];
    for (const [i, c] of changes.entries()) {
      if (!asked.some((a) => a.item === c.item && a.id === c.id))
        throw new SigiloError('VALIDATION_FAILED', 'the request did not ask to correct this item', {
          path: `changes.${i}`,
        });
      const person = row.subject_id;
      let newId: string | null = null;
      if (c.item === 'person_name') {
        await this.deps.people.rename(s, person, String(c.value));
      } else if (c.item === 'postal_address') {
        await this.deps.people.removeAddress(s, person, c.id);
        newId = await this.deps.people.addAddress(s, person, c.value, 'subject_request');
      } else {
        await this.deps.people.removeContact(s, person, c.item, c.id);
        newId = await this.deps.people.addContact(s, person, c.item, String(c.value), 'subject_request');
      }
      const category = c.item === 'person_name' ? 'name' : c.item;
      corrected.push({
        item: c.item,
        id: c.id,
        newId,
        statement: `${label(category)}: corrigido a seu pedido em ${new Intl.DateTimeFormat('pt-BR', {
          timeZone: 'America/Sao_Paulo',
          dateStyle: 'long',
        }).format(this.deps.now())}.`,
      });
    }
    await this.finish(s, row, {
      corrected: corrected.map(({ item, id, newId }) => ({ item, id, newId })),
    });
    return { corrected };
  }

  /** Whether an open contract and legal holds keep the subject's categories (deletion, anonymisation, blocking). */
  private async keeping(
    s: GateSession,
    row: SubjectRequestRow,
    summary: SubjectSummary,
  ): Promise<{ activeContract: boolean; held: Set<string> }> {
    const kind = (await this.deps.repo.subjectKind(s.tx, row.subject_id))!;
    const accounts =
      kind === 'account'
        ? [row.subject_id]
        : (await readAccountLinks(s, { people: [row.subject_id] })).map((r) => r.account_id);
    const active = accounts.length
      ? await s.tx
          .selectFrom('contracts')
          .select('id')
          .where('account_id', 'in', accounts)
          .where('status', '=', 'active')
          .limit(1)
          .execute()
      : [];
    const nowIso = this.deps.now().toISOString();
    const held = new Set<string>();
    for (const [category, h] of summary.categories) {
      const q = {
        category,
        ...(kind === 'account' ? { accounts: [row.subject_id] } : { people: [row.subject_id] }),
        from: h.firstCollectedAt ?? nowIso,
        to: nowIso,
      };
      if (await this.deps.isHeld(s, q)) held.add(category);
    }
    return { activeContract: active.length > 0, held };
  }

  /** Deletes the subject's secrets of one category (no active contract needs them). */
  private async deleteSecrets(s: GateSession, subjectId: string, category: string): Promise<void> {
    if (category === 'provisioning_secret')
      await s.delete('provisioningSecrets', { subject_id: subjectId }, subjectId);
    if (category === 'authentication_secret') {
      await s.delete('portalPasswords', { subject_id: subjectId }, subjectId);
      await s.delete('mfaSecrets', { subject_id: subjectId }, subjectId);
    }
  }

  private stated(decided: Omit<RestrictionAnswer, 'statement'>[]): RestrictionAnswer[] {
    const policy = this.deps.policy();
    return decided.map((c) => ({ ...c, statement: restrictionStatement(policy, c) }));
  }

  /** Answers that change the subject's data are applied by the DPO, never by the portal itself. */
  private assertStaff(s: GateSession, step: string): void {
    if (actingSubjectOf(s) !== null)
      refuseStep(
        s,
        s.ctx.actingForSubject ?? null,
        step,
        'ROLE_NOT_ALLOWED',
        `only the DPO may apply a ${step}`,
      );
  }

  /**
   * Caller identification (Anatel consumer rules; legal source to be confirmed, see the policy): the subscriber
   * who received a call, at a date and time, learns the name and CPF/CNPJ of the calling line when it is the
   * provider's customer, and nothing else about them. Sigilo finds the call in the requester's own records,
   * checks that the requester held the called line then (on file, with an active contract), and looks the
   * calling number up; both sides are in the access log.
   */
  async callerIdentification(s: GateSession, requestId: string): Promise<CallerAnswer> {
    const row = await this.release(s, requestId, ['caller_identification'], 'caller_identification');
    const params = JSON.parse(row.params) as { lineContactPointId: string; calledAt: string };
    const calledAt = Date.parse(params.calledAt);
    const [line] = await s.find('phones', { where: { id: params.lineContactPointId }, fields: ['value'] });
    const number = line ? String(line.fields.value) : null;
    const held = line && Date.parse(String(line.plain.created_at)) <= calledAt;
    const accounts = held
      ? await this.accountsHoldingLine(s, String(line.plain.person_id), params.calledAt)
      : [];
    const window = {
      from: new Date(calledAt - CALL_TOLERANCE_MS).toISOString(),
      to: new Date(calledAt + CALL_TOLERANCE_MS).toISOString(),
    };
    let call: CallRecord | null = null;
    for (const accountId of accounts) {
      const page = await this.deps.telecom.accountHistory(s, 'cdr', accountId, window, 1000);
      for (const r of page.records) {
        if (r.kind !== 'cdr' || r.callee !== number) continue;
        if (
          !call ||
          Math.abs(Date.parse(r.startedAt) - calledAt) < Math.abs(Date.parse(call.startedAt) - calledAt)
        )
          call = r;
      }
    }
    let caller: CallerAnswer['caller'] = null;
    if (call && call.caller.startsWith('+')) {
      const hits = await s.find('phones', { lookup: { field: 'value', value: call.caller }, fields: [] });
      const people = [...new Set(hits.map((h) => String(h.plain.person_id)))];
      const links = await readAccountLinks(s, { people });
      const callerAccounts = [...new Set(links.map((l) => l.account_id))];
      // A number on file for more than one customer names nobody: the answer must be exactly the caller.
      if (callerAccounts.length === 1) {
        const [acc] = await s.find('accounts', {
          where: { id: callerAccounts[0]! },
          subjectId: callerAccounts[0]!,
          fields: ['name', 'taxId'],
        });
        if (acc) {
          caller = { name: String(acc.fields.name), taxId: String(acc.fields.taxId) };
          logRequestStep(
            s,
            acc.subjectId,
            'caller_identification.disclosed',
            row.id,
            'name and tax id to the called subscriber',
          );
        }
      }
    }
    await this.finish(s, row, {
      callFound: call !== null,
      callerIdentified: caller !== null,
      lineHeld: accounts.length > 0,
    });
    return {
      lineHeld: accounts.length > 0,
      call: call ? { startedAt: call.startedAt, direction: call.direction } : null,
      caller,
      statement: caller
        ? 'A chamada foi originada por cliente da operadora, identificado pelo nome e pelo CPF/CNPJ acima.'
        : call
          ? 'A chamada foi localizada, mas a linha de origem não pertence a cliente da operadora que possa ser identificado.'
          : 'Nenhuma chamada recebida pela sua linha foi localizada na data e hora informadas.',
    };
  }

  /** Accounts the person is linked to that had an active contract at `at`. */
  private async accountsHoldingLine(s: GateSession, personId: string, at: string): Promise<string[]> {
    const day = at.slice(0, 10);
    const accounts = (await readAccountLinks(s, { people: [personId] })).map((l) => l.account_id);
    if (accounts.length === 0) return [];
    const rows = await s.tx
      .selectFrom('contracts')
      .select('account_id')
      .where('account_id', 'in', accounts)
      .where('started_on', '<=', day)
      .where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>=', day)]))
      .execute();
    return [...new Set(rows.map((r) => r.account_id))];
  }

  /**
   * The Portuguese report of a complete access request: per category held, purposes, legal basis, sources,
   * when collected, retention rule and until when; sharing; the most recent accesses. Rendered by src/reports.
   */
  async report(s: GateSession, requestId: string): Promise<SubjectReportModel> {
    const { row, summary } = await this.summary(s, requestId, ['access_complete']);
    const policy = this.deps.policy();
    const history = await this.history(s, row.subject_id);
    const label = (id: string): string => policy.categories.find((c) => c.id === id)?.label.pt ?? id;
    const kind = (await this.deps.repo.subjectKind(s.tx, row.subject_id))!;
    const { blocked, requests } = await this.restrictions(s, row.subject_id);
    return {
      controller: { name: policy.controller.name, dpoEmail: policy.controller.dpoEmail },
      policyVersion: policy.version,
      generatedAt: this.deps.now().toISOString(),
      request: { id: row.id, receivedAt: row.received_at, dueAt: row.due_at },
      subject: { id: row.subject_id, kind },
      categories: reportCategories(
        policy,
        summary.categories,
        this.deps.retentionDates,
        new Map(blocked.map((b) => [b.category, b.since])),
      ),
      recordings: summary.recordings,
      requests: requests.map((r) => ({
        typeLabel: r.typeLabel,
        stateLabel: r.stateLabel,
        receivedAt: r.receivedAt,
        answeredAt: r.answeredAt,
        answer: r.answer,
      })),
      sharing: SHARING_STATEMENT,
      accesses: {
        total: history.length,
        shown: history.slice(0, REPORT_ACCESSES).map((e) => ({
          at: e.at,
          actor: e.actor,
          roleLabel: e.roleLabel,
          purposeLabel: e.purposeLabel,
          categories: e.categories.map(label),
        })),
      },
    };
  }

  /**
   * Refuses, with the error an answer would give, when the request cannot release `answer` now (identity not
   * verified, refused, or of another type); logs nothing when it can. Routes that stream call it first, so a
   * refusal is an error response rather than a cut stream.
   */
  async assertReleasable(s: GateSession, requestId: string, answer: 'export'): Promise<void> {
    const row = await this.deps.requests.requireVerified(s, requestId, { allowAnswered: true });
    const types = answer === 'export' ? EXPORT_TYPES : [];
    if (!types.includes(row.type as RequestType))
      throw new SigiloError('REQUEST_STATE_CONFLICT', `a ${row.type} request has no ${answer}`, {
        state: row.state,
      });
  }

  /** The answer of an information request, chosen by its type. */
  async information(
    s: GateSession,
    requestId: string,
  ): Promise<{ type: RequestType; answer: Record<string, unknown> }> {
    const row = await this.deps.requests.requireVerified(s, requestId, { allowAnswered: true });
    const type = row.type as RequestType;
    switch (type) {
      case 'confirmation':
      case 'access_simplified':
        return { type, answer: await this.simplified(s, requestId) };
      case 'sharing_information':
        return { type, answer: await this.sharingInformation(s, requestId) };
      case 'consent_refusal_information':
      case 'revocation':
        return { type, answer: await this.consentInformation(s, requestId) };
      case 'access_history':
        return { type, answer: { entries: await this.accessHistory(s, requestId) } };
      case 'caller_identification':
        return { type, answer: { ...(await this.callerIdentification(s, requestId)) } };
      default:
        throw new SigiloError('REQUEST_STATE_CONFLICT', `a ${type} request is answered by its own route`, {
          state: row.state,
        });
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private async release(
    s: GateSession,
    requestId: string,
    types: readonly RequestType[] | null,
    step: string,
  ): Promise<SubjectRequestRow> {
    const row = await this.deps.requests.requireVerified(s, requestId, { allowAnswered: true });
    if (types && !types.includes(row.type as RequestType)) {
      throw new SigiloError('REQUEST_STATE_CONFLICT', `a ${row.type} request has no such answer`, {
        state: row.state,
      });
    }
    logRequestStep(s, row.subject_id, step, row.id);
    return row;
  }

  private async finish(
    s: GateSession,
    row: SubjectRequestRow,
    summary: Record<string, unknown>,
  ): Promise<void> {
    if (row.state === 'answered') return;
    try {
      await this.deps.requests.markAnswered(s, row.id, summary);
    } catch (err) {
      // Another instance answered the request while this one streamed it (two downloads at once): the request is
      // answered once, by the other, and this is a second download, which an answered request allows. Failing
      // here cut the stream the client had already received whole (multi-instance proof, issue 14).
      if (
        isSigiloError(err, 'REQUEST_STATE_CONFLICT') &&
        (await this.deps.repo.get(s, row.id))?.state === 'answered'
      )
        return;
      throw err;
    }
  }

  private async header(
    s: GateSession,
    row: SubjectRequestRow,
    kind: 'account' | 'person',
  ): Promise<ExportHeader> {
    const policy = this.deps.policy();
    return {
      generatedAt: this.deps.now().toISOString(),
      controller: { name: policy.controller.name, dpoEmail: policy.controller.dpoEmail },
      policyVersion: policy.version,
      request: { id: row.id, type: row.type, receivedAt: row.received_at },
      subject: { id: row.subject_id, kind },
      ...(await this.restrictions(s, row.subject_id)),
    };
  }

  /** The subject's blocked categories and requests with their answers in Portuguese (export and report). */
  private async restrictions(
    s: GateSession,
    subjectId: string,
  ): Promise<Pick<ExportHeader, 'blocked' | 'requests'>> {
    const policy = this.deps.policy();
    const label = (id: string): string => policy.categories.find((c) => c.id === id)?.label.pt ?? id;
    // Through the gate, which checks the blocks' MACs: a deleted block is not left out of the answer silently.
    const blocked = (await s.processingBlocks(subjectId)).map((b) => ({
      category: b.category,
      label: label(b.category),
      since: b.blockedAt,
      requestId: b.requestId,
    }));
    const requests = (await this.deps.repo.list(s, { subjectId, limit: 1000 })).map((r) => {
      const answer = r.answer ? (JSON.parse(r.answer) as Record<string, unknown>) : null;
      const type = r.type as RequestType;
      return {
        id: r.id,
        type,
        typeLabel: REQUEST_TYPE_PT[type],
        state: r.state,
        stateLabel: REQUEST_STATE_PT[r.state as RequestState],
        receivedAt: r.received_at,
        answeredAt: r.answered_at,
        answer: answerStatementsPt(policy, type, answer),
      };
    });
    return { blocked, requests };
  }

  /** The subject's recordings as export items: when, size, type, and until when each is kept. */
  private readonly recordingItems = async (s: GateSession, subjectId: string): Promise<CollectedItem[]> => {
    const policy = this.deps.policy();
    const retention = policy.retention.find((r) => r.category === 'support_recording');
    return (await this.deps.recordings(s, subjectId)).map((r) => ({
      id: r.id,
      data: {},
      attributes: {
        ticket_id: r.ticketId,
        recorded_at: r.recordedAt,
        // Sigilo stores no duration for a recording (the platforms send none): the size is what it knows.
        duration_seconds: null,
        size_bytes: r.sizeBytes,
        content_type: r.contentType,
        audio: 'not_included',
        retention: retention
          ? {
              rule: retentionPeriodPt(retention.rule),
              source: retention.source,
              until: this.deps.retentionDates.expiresAt(retention.rule, r.recordedAt),
            }
          : null,
      },
      provenance: r.provenance,
    }));
  };
}

function counts(summary: SubjectSummary): Record<string, number> {
  return Object.fromEntries([...summary.categories].map(([c, h]) => [c, h.items]));
}
