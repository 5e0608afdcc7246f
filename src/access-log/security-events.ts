/**
 * Security events in the access log (SPEC §5): refusals before the gate (validation, authentication, role),
 * token issuance and revocation, policy publication and the auditor's reads of the log. None of them touches
 * personal data, so they are written here rather than through the gate; what they record is chosen so that no
 * personal data and no credential is in it (a credential is named at most by a 12-hex-digit prefix of its SHA-256).
 * Floods are summarised: the first refusal of a kind (operation, code, route, actor) in an interval is an entry at
 * once, the others are counted and written as one summary entry when the interval ends.
 */
import type { Store, Tx } from '../store/store.ts';
import type { AccessLogEntry, ChainedEntry } from './access-log.entry.ts';
import type { AccessLogWriter } from './access-log.writer.ts';

const MAX_KINDS = 1000;
const OVERFLOW = 'overflow';

/** One security event, as the adapters report it. */
export interface SecurityEvent {
  /** What happened: `auth.refused`, `role.refused`, `request.refused`, `token.create`, `audit.read_log`, ... */
  operation: string;
  outcome: AccessLogEntry['outcome'];
  /** The principal's non-personal actor id, or `anonymous`. */
  actor: string;
  /** The principal's role, or `none`. */
  role: string;
  /** Error code and non-personal context (route pattern, field path, token id): never a value that was sent. */
  reason: string | null;
  requestId: string;
  /** The pseudonymous subject the event is about (the auditor reading one subject's entries), if any. */
  subjectId?: string | null;
  /** The policy version the entry names (default: the one in force; a publication names the one it publishes). */
  policyVersion?: number;
}

export interface SecurityEventOptions {
  /** Length of a summarising interval (default 60 s). */
  intervalMs?: number;
  /** Called when an event could not be written (the request it describes goes on regardless). */
  onProblem?: (message: string, details: Record<string, unknown>) => void;
}

/** Writes security events to the access log, summarising floods of refusals. */
export class SecurityEventLog {
  private readonly buckets = new Map<string, { event: SecurityEvent; more: number }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;

  constructor(
    private readonly store: Store,
    private readonly writer: AccessLogWriter,
    private readonly now: () => Date,
    private readonly policyVersion: () => number,
    private readonly options: SecurityEventOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  private entry(e: SecurityEvent): AccessLogEntry {
    return {
      at: this.now().toISOString(),
      actor: e.actor,
      role: e.role,
      purpose: null,
      legalBasis: null,
      subjectId: e.subjectId ?? null,
      categories: [],
      operation: e.operation,
      outcome: e.outcome,
      reason: e.reason,
      requestId: e.requestId,
      policyVersion: e.policyVersion ?? this.policyVersion(),
      justification: null,
    };
  }

  /** Appends `event` in `tx` (the transaction of the change it describes); the caller reports the commit. */
  appendIn(tx: Tx, event: SecurityEvent): Promise<ChainedEntry[]> {
    return this.writer.append(tx, [this.entry(event)]);
  }

  /** Tells the writer that entries appended with `appendIn` committed. */
  committed(chained: readonly ChainedEntry[]): void {
    this.writer.committed(chained);
  }

  /** Appends `event` in its own transaction. */
  async record(event: SecurityEvent): Promise<void> {
    const chained = await this.store.transaction((tx) => this.appendIn(tx, event));
    this.writer.committed(chained);
  }

  /**
   * Records a refusal, summarised per `kind` (what makes two refusals the same: never a client's value or
   * address): the first one of an interval is written now, later ones are counted. Never throws.
   */
  async refused(event: SecurityEvent, kind: string): Promise<void> {
    // Kinds are bounded (codes × routes × actors); past MAX_KINDS in one interval they share one bucket anyway.
    if (this.buckets.size >= MAX_KINDS && !this.buckets.has(kind)) kind = OVERFLOW;
    const bucket = this.buckets.get(kind);
    if (bucket) {
      bucket.more += 1;
      return;
    }
    this.buckets.set(kind, { event, more: 0 });
    this.arm();
    await this.record(event).catch((err: unknown) =>
      this.options.onProblem?.('security event not logged', {
        operation: event.operation,
        error: (err as Error).message,
      }),
    );
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Writes one summary entry per kind refused more than once in the interval, and starts a new interval. */
  async flush(): Promise<void> {
    const seconds = Math.round(this.intervalMs / 1000);
    const summaries = [...this.buckets.values()]
      .filter((b) => b.more > 0)
      .map((b) =>
        this.entry({
          ...b.event,
          requestId: 'summary',
          reason: `${b.event.reason ?? b.event.operation} (summary: ${b.more} more in the last ${seconds} s)`,
        }),
      );
    this.buckets.clear();
    if (summaries.length === 0) return;
    try {
      const chained = await this.store.transaction((tx) => this.writer.append(tx, summaries));
      this.writer.committed(chained);
    } catch (err) {
      this.options.onProblem?.('security event summary not logged', { error: (err as Error).message });
    }
  }

  /** Writes pending summaries and stops the interval (Sigilo.close). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}

const logged = new WeakSet<object>();

/** Marks an error whose attempt the gate already wrote to the access log (so no adapter logs it twice). */
export function markAccessLogged(err: unknown): void {
  if (typeof err === 'object' && err !== null) logged.add(err);
}

/** Whether the gate already wrote the attempt behind `err` to the access log. */
export function wasAccessLogged(err: unknown): boolean {
  return typeof err === 'object' && err !== null && logged.has(err);
}
