/**
 * The plug-in contract of the retention engine. A retention target is one kind of stored record governed by one
 * policy category's rule: it knows how to find, in bounded batches, the records whose retention has ended, how
 * to delete them through the gate, and which subjects its remaining records still need. The engine owns the rest:
 * rules, clock, legal holds, locking between instances, batching, certificates and the identity sweep.
 *
 * Telecom records (CDRs, connection/access records, traffic, recordings) plug in by implementing this interface
 * and calling `sigilo.retention.registry.register(target)` — see docs/retention.md.
 */
import type { GateSession } from '../gate/gate.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import type { RetentionClock } from './retention-clock.ts';

/** One record (or one sealed segment of records) whose retention has ended. */
export interface RetentionItem {
  /** Primary id; sorted ids of each batch are hashed into the deletion certificate. */
  id: string;
  /** The data subject whose key seals it. */
  subjectId: string;
  /** Accounts and people it belongs to: a legal hold scoped to any of them may keep it. */
  accounts: readonly string[];
  people: readonly string[];
  /** The time span the record describes (ISO instants), matched against hold windows; `from <= to`. */
  from: string;
  to: string;
  /** When its retention ended (ISO instant, `<= now`). */
  expiresAt: string;
  /**
   * How many stored records it stands for (a segment of 2,000 CDRs is one item, 2,000 records; in a preview, a
   * ticket with its messages). Default 1.
   */
  records?: number;
}

export interface ScanQuery {
  /**
   * The batch transaction in a sweep (the engine holds this target's lock in it). A preview passes the store
   * itself (no transaction, so SQLite's one connection is not held): read paths must use only query methods.
   */
  db: Tx;
  rule: RetentionRule;
  clock: RetentionClock;
  /** Keyset cursor returned by the previous scan of this pass, null for the first. */
  after: string | null;
  limit: number;
  /** A preview must not change anything. */
  dryRun: boolean;
}

export interface ScanResult {
  /** Expired items among the rows scanned (exactly: `expiresAt <= now`). */
  items: RetentionItem[];
  /** Cursor after the last row scanned (expired or not), or null when there are no more rows. */
  next: string | null;
}

export interface DeleteResult {
  /** Rows deleted (children included: a contract with three history events is four). */
  records: number;
  /** Subjects whose identity data may no longer be needed now: the engine queues them for the identity sweep. */
  subjects: readonly string[];
  /** Subjects crypto-shredded in this batch (the identity target only). */
  shredded?: readonly string[];
}

/** A whole time period of records (a day, a partition) that can be deleted in one statement. */
export interface RetentionPeriod {
  /** Stable key, e.g. `cdr/2026-11-26`. */
  key: string;
  /** Every record in it has its anchor in `[from, to)` (ISO instants). */
  from: string;
  to: string;
}

/** Optional fast path for `after record_created` rules: delete whole expired periods at once. */
export interface PeriodDeletion {
  /** Periods that hold records and whose `to` is at most `endsBy`, oldest first, at most `limit`. */
  list(db: Tx, endsBy: string, limit: number): Promise<RetentionPeriod[]>;
  /**
   * Deletes every record of the period through the gate. Returns what `delete` returns plus the SHA-256 digest
   * of the period's sorted primary ids (use `digestIds`) and how many primary items that was.
   */
  drop(
    session: GateSession,
    period: RetentionPeriod,
  ): Promise<DeleteResult & { items: number; digest: string }>;
}

/** A kind of stored record governed by one category's retention rule. */
export interface RetentionTarget {
  /** Unique and stable (it names the target's lock row and appears in certificates), e.g. `telecom.cdr`. */
  readonly id: string;
  /** The policy category whose retention rule applies. */
  readonly category: string;
  /** Extra categories whose legal holds also keep these records (identity: name, phone, e-mail ...). */
  readonly holdCategories?: readonly string[];
  /** Portuguese description of what goes, for previews and certificates ("chamados e mensagens"). */
  readonly description: string;
  /**
   * Sweep order: lower first. Children before parents (FKs): telecom 10–30, credentials 40, invoices 50,
   * contracts 60, tickets 70; identity is always last (1000).
   */
  readonly order: number;
  /** Whether this target can apply `rule` (e.g. an anchor it has a column for). */
  supports(rule: RetentionRule): boolean;
  /** Finds expired items in keyset order after `q.after`; reads only (except the identity queue). */
  scan(q: ScanQuery): Promise<ScanResult>;
  /** The earliest expiry strictly after now, for the preview. */
  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null>;
  /** Deletes these items (already filtered for holds) through the gate, in the session's transaction. */
  delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult>;
  /** Of `subjectIds`, those that records of this target still need (their identity must stay). */
  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>>;
  /** Optional whole-period fast path. */
  readonly periods?: PeriodDeletion;
  /**
   * Optional: called in the identity sweep's transaction just before these subjects' identity rows are deleted
   * and their keys shredded; delete leftovers that are not retained records (configuration such as attribution
   * rules that point at the account). Returns rows deleted.
   */
  forgetSubjects?(session: GateSession, subjectIds: readonly string[]): Promise<number>;
}

/**
 * Keeps a parent record while something outside its target still points at it: given candidate item ids of
 * `targetId`, returns those that must wait (e.g. tickets that still have recordings under a legal hold).
 */
export type RetentionGuard = (db: Tx, itemIds: readonly string[]) => Promise<Set<string>>;

/** The set of targets the engine sweeps; core targets are registered by the composition root. */
export class RetentionRegistry {
  private readonly byId = new Map<string, RetentionTarget>();
  private readonly guards = new Map<string, RetentionGuard[]>();
  private readonly upkeeps: (() => Promise<void>)[] = [];

  /** Adds a target; its id must be new. */
  register(target: RetentionTarget): void {
    if (this.byId.has(target.id)) throw new Error(`retention target ${target.id} is already registered`);
    this.byId.set(target.id, target);
  }

  /** Swaps a registered target for another with the same id (custom deployments, fault-injection tests). */
  replace(target: RetentionTarget): void {
    if (!this.byId.has(target.id)) throw new Error(`retention target ${target.id} is not registered`);
    this.byId.set(target.id, target);
  }

  /** Adds a guard that keeps items of `targetId` while something else still refers to them. */
  guard(targetId: string, guard: RetentionGuard): void {
    this.guards.set(targetId, [...(this.guards.get(targetId) ?? []), guard]);
  }

  /** Adds work every sweep does before and after its batches: finishing deletions outside the database (blobs). */
  upkeep(fn: () => Promise<void>): void {
    this.upkeeps.push(fn);
  }

  /** Runs the upkeep of every target, in registration order. */
  async runUpkeep(): Promise<void> {
    for (const fn of this.upkeeps) await fn();
  }

  /** Every target in sweep order. */
  targets(): RetentionTarget[] {
    return [...this.byId.values()].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
  }

  /** One target by id. */
  get(id: string): RetentionTarget | undefined {
    return this.byId.get(id);
  }

  /** Item ids of `targetId` that a guard says must wait. */
  async guarded(targetId: string, db: Tx, itemIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const g of this.guards.get(targetId) ?? []) for (const id of await g(db, itemIds)) out.add(id);
    return out;
  }
}
