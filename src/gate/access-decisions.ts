/**
 * Policy decisions and their access-log entries for one session: every gated call asks `authorize` for the
 * categories it touches, then records the access with `allowed` (appended in the session's transaction by `flush`)
 * or `fail` (kept apart, so Gate.run can log it after the caller's work is rolled back).
 */
import type { AccessLogEntry, ChainedEntry } from '../access-log/access-log.entry.ts';
import type { AccessLogWriter } from '../access-log/access-log.writer.ts';
import { SigiloError, type ErrorCode } from '../errors.ts';
import { evaluate, isSubjectBound, recordablePurpose, type Operation } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import type { AccessContext } from './access-context.ts';
import type { CategoryDecision } from './gate-kernel.ts';

const JUSTIFICATION_MAX = 500;
/** The log operations that read (a `search` reads through a blind index): one entry per subject for all of them. */
const READING = new Set(['read', 'search']);
/** The reason a read that matched no row is logged with (see GateSession.openAndLog). */
export const NO_MATCH = 'no matching record';

/** Adds categories and legal bases to an entry being built (categories stay sorted, bases unique). */
function mergeInto(
  entry: AccessLogEntry,
  decisions: Map<string, CategoryDecision>,
  legalBasis: string | null = null,
): void {
  entry.categories = [...new Set([...entry.categories, ...decisions.keys()])].sort();
  const bases = new Set([
    ...(entry.legalBasis?.split('; ') ?? []),
    ...(legalBasis?.split('; ') ?? []),
    ...[...decisions.values()].map((d) => d.legalBasis),
  ]);
  bases.delete('');
  entry.legalBasis = [...bases].join('; ') || null;
}

/** One session's policy decisions and access-log entries. */
export class AccessDecisions {
  private readonly entries: AccessLogEntry[] = [];
  /** Pending entries by subject, operation and reason (merged, see `allowed`). */
  private readonly pending = new Map<string, AccessLogEntry>();

  constructor(
    private readonly policy: Policy,
    private readonly ctx: AccessContext,
    private readonly now: () => Date,
    /** Entries of denied or failed accesses, logged by Gate.run in a transaction of their own. */
    private readonly failures: AccessLogEntry[],
    /** The purposes each published version declared (absent: records are not checked against their version). */
    private readonly purposesOf?: (version: number) => ReadonlySet<string> | undefined,
  ) {}

  /** Whether the policy lets this context use `operation` on `category` (no access happens, nothing is logged). */
  may(category: string, operation: Operation): boolean {
    if (!this.ctx.purpose) return false;
    return evaluate(this.policy, { role: this.ctx.role, purpose: this.ctx.purpose, category, operation })
      .allowed;
  }

  /** Evaluates every category; on the first refusal logs a denied entry and throws its code. */
  authorize(
    categories: string[],
    operation: Operation,
    subjectId: string | null,
    logOperation: string,
  ): Map<string, CategoryDecision> {
    const { ctx } = this;
    // Acting for one subject, an access about anyone else (or about no known subject) is "not found", whatever
    // the policy would say: a policy refusal would tell that the record exists.
    const bound = this.boundSubject();
    if (bound !== null && subjectId !== bound) {
      this.fail(
        logOperation,
        subjectId,
        categories,
        'denied',
        'NOT_FOUND',
        'not the subject this access acts for',
      );
    }
    if (!ctx.purpose) {
      this.fail(logOperation, subjectId, categories, 'denied', 'PURPOSE_REQUIRED', 'no purpose stated');
    }
    const decisions = new Map<string, CategoryDecision>();
    for (const category of categories) {
      const d = evaluate(this.policy, {
        role: ctx.role,
        purpose: ctx.purpose,
        category,
        operation,
      });
      if (!d.allowed) {
        this.fail(logOperation, subjectId, categories, 'denied', d.code, d.reason, { category, operation });
      }
      decisions.set(category, { masking: d.masking, legalBasis: d.legalBasis });
    }
    return decisions;
  }

  /**
   * LGPD Art. 9 §2: a record may be used only for purposes declared by the policy version it was collected under,
   * unless the version in force marks the purpose `appliesToExisting` (the subjects were told). On the first record
   * that fails, logs a denied entry and throws PURPOSE_NOT_DECLARED_AT_COLLECTION.
   */
  authorizeCollected(
    records: readonly { subjectId: string; policyVersion: number }[],
    categories: string[],
    logOperation: string,
  ): void {
    const purpose = this.ctx.purpose;
    if (!purpose || !this.purposesOf) return;
    if (this.policy.purposes.some((p) => p.id === purpose && p.appliesToExisting)) return;
    for (const r of records) {
      if (r.policyVersion === this.policy.version) continue;
      // A version never published (a row written outside Sigilo) cannot be judged here; it is not refused.
      if (this.purposesOf(r.policyVersion)?.has(purpose) ?? true) continue;
      this.fail(
        logOperation,
        r.subjectId,
        categories,
        'denied',
        'PURPOSE_NOT_DECLARED_AT_COLLECTION',
        `purpose '${purpose}' was not declared by policy version ${r.policyVersion}, under which the record was collected`,
        { collectedUnder: r.policyVersion },
      );
    }
  }

  /**
   * The one subject this context may touch: its `actingForSubject`, or '' (matching no subject) for a
   * subject-bound role that names none; null when the context is not bound to a subject.
   */
  boundSubject(): string | null {
    if (this.ctx.actingForSubject) return this.ctx.actingForSubject;
    return isSubjectBound(this.policy, this.ctx.role) ? '' : null;
  }

  /** `where` narrowed to the bound subject's rows (a filter on another subject then matches nothing). */
  scoped(where: Record<string, unknown> = {}): Record<string, unknown> {
    const bound = this.boundSubject();
    if (bound === null) return where;
    const asked = where.subject_id;
    const allowed = asked === undefined || asked === bound || (Array.isArray(asked) && asked.includes(bound));
    return { ...where, subject_id: allowed ? bound : [] };
  }

  /** Records a failed access (logged even after rollback) and throws its code. */
  fail(
    operation: string,
    subjectId: string | null,
    categories: string[],
    outcome: 'denied' | 'error',
    code: ErrorCode,
    reason: string,
    details: Record<string, unknown> = {},
  ): never {
    this.failures.push(this.entry(operation, subjectId, categories, outcome, `${code}: ${reason}`, null));
    throw new SigiloError(code, outcome === 'denied' ? `access denied: ${reason}` : reason, {
      role: this.ctx.role,
      purpose: this.recordedPurpose,
      ...details,
    });
  }

  /** Records an allowed access, appended in the session's transaction by `flush`. */
  allowed(
    operation: string,
    subjectId: string | null,
    decisions: Map<string, CategoryDecision>,
    reason: string | null = null,
  ): void {
    // One entry per subject per transaction for what it read: reading a person's name, phones and addresses is one
    // access with several categories, not five entries, and a lookup that finds a person by a blind index and then
    // reads them is one `search` naming every category (the log stays readable and the hot path short).
    const reading = READING.has(operation);
    const key = `${subjectId ?? ''}\u0000${reading ? 'read' : operation}\u0000${reason ?? ''}`;
    const same = this.pending.get(key);
    if (same) {
      if (operation === 'search') same.operation = 'search';
      mergeInto(same, decisions);
      return;
    }
    const legalBasis = [...new Set([...decisions.values()].map((d) => d.legalBasis))].join('; ') || null;
    const entry = this.entry(operation, subjectId, [...decisions.keys()], 'allowed', reason, legalBasis);
    this.pending.set(key, entry);
    this.entries.push(entry);
  }

  /** Appends the allowed entries recorded so far in `tx` (Gate.run calls it just before commit). */
  async flush(tx: Tx, accessLog: AccessLogWriter): Promise<ChainedEntry[]> {
    return accessLog.append(tx, this.take());
  }

  /**
   * Takes the allowed entries recorded so far (for `flush`, or for the log's group commit). A read that matched
   * no row names no subject; when the same transaction read subjects, it was part of reading them (their
   * addresses, say, where they have none), so its categories join their entries instead of standing alone: a
   * request that reads people leaves one entry per person, naming every category it was allowed to read.
   */
  take(): AccessLogEntry[] {
    this.pending.clear();
    const taken = this.entries.splice(0);
    const read = taken.filter((e) => e.subjectId !== null && READING.has(e.operation) && e.reason === null);
    if (read.length === 0) return taken;
    return taken.filter((e) => {
      const empty = e.subjectId === null && READING.has(e.operation) && e.reason === NO_MATCH;
      if (!empty) return true;
      const decisions = new Map(
        e.categories.map((c): [string, CategoryDecision] => [c, { masking: 'hidden', legalBasis: '' }]),
      );
      for (const r of read) mergeInto(r, decisions, e.legalBasis);
      return false;
    });
  }

  /** The purpose as the log and error details may hold it: a declared id, or a marker with its length. */
  private get recordedPurpose(): string | null {
    return this.ctx.purpose === null ? null : recordablePurpose(this.policy, this.ctx.purpose);
  }

  private entry(
    operation: string,
    subjectId: string | null,
    categories: string[],
    outcome: AccessLogEntry['outcome'],
    reason: string | null,
    legalBasis: string | null,
  ): AccessLogEntry {
    return {
      at: this.now().toISOString(),
      actor: this.ctx.actor,
      role: this.ctx.role,
      purpose: this.recordedPurpose,
      legalBasis,
      subjectId,
      categories: [...new Set(categories)].sort(),
      operation,
      outcome,
      reason,
      requestId: this.ctx.requestId,
      policyVersion: this.policy.version,
      justification: this.ctx.justification?.slice(0, JUSTIFICATION_MAX) ?? null,
      ...(this.ctx.legalSecrecy ? { legalSecrecy: true } : {}),
    };
  }
}
