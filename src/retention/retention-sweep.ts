/**
 * The sweep: every registered target in bounded batches, each batch one gate transaction that (1) takes the
 * target's work-row lock (retention-lock.repository.ts), (2) finds expired items, (3) leaves out what a legal hold
 * or a guard keeps, (4) deletes the rest through the gate (policy-checked, access-logged) and (5) records the
 * batch (counts, SHA-256 digest of the ids) in the same transaction (retention-run.repository.ts). A crash loses
 * at most the batch in flight; a re-run simply finds what is left. After the run, the committed batches become
 * one signed deletion certificate (certificate-issuer.ts). Modelled on Outline's bounded-batch cleanup tasks.
 */
import { v7 as uuidv7 } from 'uuid';
import { isSigiloError } from '../errors.ts';
import type { Retention } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import { failureCode, type CertificateIssuer } from './certificate-issuer.ts';
import { digestIds } from './deletion-certificate.ts';
import { holdCovers, holdOverlapsPeriod, type ActiveHold } from './legal-holds.ts';
import type { RetentionEngineDeps } from './retention-engine.ts';
import type { RetentionLockRepository } from './retention-lock.repository.ts';
import {
  categoryLabelPt,
  holdCategoriesOf,
  retentionSystemContext,
  ruleEntryFor,
  targetRuleView,
  type TargetRuleView,
} from './retention-policy.ts';
import type { BatchRecord, RetentionRunRepository } from './retention-run.repository.ts';
import type { RetentionItem, RetentionRegistry, RetentionTarget } from './retention-target.ts';

export interface SweepOptions {
  /** Recorded with the run: `manual`, `schedule`, `cli` ... */
  trigger?: string;
  /** Items per batch (one transaction each). Default 500. */
  batchSize?: number;
  /** Stop after this many deleting batches; the next run continues (bounded runs). */
  maxBatches?: number;
  /** Stop starting new batches after this many milliseconds of wall time. */
  maxDurationMs?: number;
  /** How long to wait for a target another instance is sweeping before leaving it to that instance. Default 30 s. */
  busyWaitMs?: number;
  /** Only these target ids (the identity sweep still follows). */
  targets?: readonly string[];
  /** Called after each committed batch (progress bars). */
  onBatch?: (p: BatchProgress) => void;
}

export interface BatchProgress {
  target: string;
  items: number;
  records: number;
  totalRecords: number;
}

export type SkipReason = 'no_rule' | 'unsupported_rule' | 'busy' | 'limit';

export interface TargetReport extends TargetRuleView {
  items: number;
  records: number;
  /** Distinct expired items kept by a legal hold or a guard. */
  held: number;
  batches: number;
  shreddedSubjects: number;
  skipped?: SkipReason;
}

export interface SweepReport {
  runId: string;
  status: 'completed' | 'failed';
  startedAt: string;
  finishedAt: string;
  targets: TargetReport[];
  totals: { items: number; records: number; held: number; shreddedSubjects: number };
  /** True when a batch or time limit stopped the run before everything expired was swept. */
  incomplete: boolean;
  certificateId: string | null;
  error?: { code: string; message: string };
}

export interface RetentionSweepDeps extends Omit<RetentionEngineDeps, 'signer' | 'instanceId'> {
  locks: RetentionLockRepository;
  runs: RetentionRunRepository;
  issuer: CertificateIssuer;
  /** Names this process in run records. */
  instanceId: string;
}

type WorkingReport = TargetReport & { heldIds: Set<string> };

interface RunState {
  runId: string;
  seq: number;
  deletingBatches: number;
  totalRecords: number;
  stopped: boolean;
  startedMs: number;
  options: SweepOptions;
  reports: Map<string, WorkingReport>;
}

/** What one committed (or skipped) batch did. */
interface BatchOutcome {
  items: number;
  records: number;
  held: readonly string[];
  shredded: readonly string[];
}

const DEFAULT_BATCH = 500;
const MAX_PASSES = 10;
const BUSY_POLL_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Splits scanned items into those that go and the ids a guard or an active hold on one of `categories` keeps.
 * The sweep and the preview decide with this same function.
 */
export async function partitionHeld(
  registry: RetentionRegistry,
  target: RetentionTarget,
  db: Tx,
  items: readonly RetentionItem[],
  holds: readonly ActiveHold[],
  categories: readonly string[],
): Promise<{ go: RetentionItem[]; held: string[] }> {
  const guarded = items.length
    ? await registry.guarded(
        target.id,
        db,
        items.map((i) => i.id),
      )
    : new Set<string>();
  const go: RetentionItem[] = [];
  const held: string[] = [];
  for (const i of items) {
    if (guarded.has(i.id) || holds.some((h) => holdCovers(h, categories, i))) held.push(i.id);
    else go.push(i);
  }
  return { go, held };
}

/** Runs sweeps. */
export class RetentionSweep {
  constructor(private readonly deps: RetentionSweepDeps) {}

  /**
   * One sweep over every target. Resolves with the report; if a target throws, what was committed before is
   * certified (run status `failed`) and the error is rethrown. Safe to run on several instances at once.
   */
  async run(options: SweepOptions = {}): Promise<SweepReport> {
    const { deps } = this;
    await deps.issuer.closeStaleRuns();
    await deps.journal.sync();
    const runId = uuidv7();
    const startedAt = deps.clock.nowIso();
    await deps.runs.start(deps.store.db, {
      id: runId,
      trigger: options.trigger ?? 'manual',
      instanceId: deps.instanceId,
      at: startedAt,
    });
    const state: RunState = {
      runId,
      seq: 0,
      deletingBatches: 0,
      totalRecords: 0,
      stopped: false,
      startedMs: Date.now(),
      options,
      reports: new Map(),
    };
    let failure: unknown = null;
    try {
      await deps.locks.ensure(
        deps.store.db,
        deps.registry.targets().map((t) => t.id),
      );
      for (const target of deps.registry.targets()) {
        if (options.targets && !options.targets.includes(target.id) && target.order < 1000) continue;
        await this.sweepTarget(target, state);
        if (state.stopped) break;
      }
    } catch (err) {
      failure = err;
    }
    const status = failure ? 'failed' : 'completed';
    const report = this.report(state, status, startedAt, failure);
    report.certificateId = await deps.issuer.closeRun(runId, status, report, failure);
    // Rethrown as it came (a SigiloError keeps its code); the run is already certified and closed.
    if (failure) throw failure instanceof Error ? failure : new Error('retention sweep failed');
    return report;
  }

  private report(
    state: RunState,
    status: SweepReport['status'],
    startedAt: string,
    failure: unknown,
  ): SweepReport {
    const targets = [...state.reports.values()].map(({ heldIds: _h, ...r }) => r);
    const sum = (pick: (t: TargetReport) => number): number => targets.reduce((n, t) => n + pick(t), 0);
    return {
      runId: state.runId,
      status,
      startedAt,
      finishedAt: this.deps.clock.nowIso(),
      targets,
      totals: {
        items: sum((t) => t.items),
        records: sum((t) => t.records),
        held: sum((t) => t.held),
        shreddedSubjects: sum((t) => t.shreddedSubjects),
      },
      incomplete: state.stopped,
      certificateId: null,
      ...(failure
        ? {
            error: {
              code: failureCode(failure),
              message: isSigiloError(failure) ? failure.message : 'the sweep failed',
            },
          }
        : {}),
    };
  }

  private targetReport(state: RunState, target: RetentionTarget): WorkingReport {
    let r = state.reports.get(target.id);
    if (!r) {
      r = {
        ...targetRuleView(target, ruleEntryFor(this.deps.policy(), target)),
        items: 0,
        records: 0,
        held: 0,
        batches: 0,
        shreddedSubjects: 0,
        heldIds: new Set(),
      };
      state.reports.set(target.id, r);
    }
    return r;
  }

  private limitReached(state: RunState): boolean {
    const o = state.options;
    if (o.maxBatches !== undefined && state.deletingBatches >= o.maxBatches) return true;
    if (o.maxDurationMs !== undefined && Date.now() - state.startedMs >= o.maxDurationMs) return true;
    return false;
  }

  private async sweepTarget(target: RetentionTarget, state: RunState): Promise<void> {
    const report = this.targetReport(state, target);
    const entry = ruleEntryFor(this.deps.policy(), target);
    if (!entry) {
      report.skipped = 'no_rule';
      return;
    }
    if (!target.supports(entry.rule)) {
      report.skipped = 'unsupported_rule';
      return;
    }
    if (target.periods && entry.rule.kind === 'after' && entry.rule.anchor === 'record_created') {
      if (!(await this.sweepPeriods(target, entry, state))) return;
    }
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      let cursor: string | null = null;
      let deleted = 0;
      for (;;) {
        const r = await this.batchWhenFree(state, report, () => this.itemBatch(target, entry, cursor, state));
        if (r === 'limit' || r === 'busy') return;
        deleted += r.items;
        if (r.next === null) break;
        cursor = r.next;
      }
      // Deleting can make more items due within the same run (the identity sweep's accounts → people).
      if (deleted === 0) break;
    }
  }

  /**
   * Runs one batch, retrying while another instance holds the target's lock: after `busyWaitMs` the target is
   * left to that instance (`busy`). Stops the run instead when a batch or time limit is reached (`limit`).
   */
  private async batchWhenFree<T>(
    state: RunState,
    report: WorkingReport,
    batch: () => Promise<'busy' | T>,
  ): Promise<'busy' | 'limit' | T> {
    let waitedMs = 0;
    for (;;) {
      if (this.limitReached(state)) {
        report.skipped = 'limit';
        state.stopped = true;
        return 'limit';
      }
      const r = await batch();
      if (r !== 'busy') return r;
      if (waitedMs >= (state.options.busyWaitMs ?? 30_000)) {
        report.skipped = 'busy';
        return 'busy';
      }
      await sleep(BUSY_POLL_MS);
      waitedMs += BUSY_POLL_MS;
    }
  }

  private batchContext(state: RunState, target: RetentionTarget): ReturnType<typeof retentionSystemContext> {
    return retentionSystemContext(`${state.runId}/${target.id}/${state.seq + 1}`);
  }

  private async itemBatch(
    target: RetentionTarget,
    entry: Retention,
    cursor: string | null,
    state: RunState,
  ): Promise<'busy' | { items: number; next: string | null }> {
    const { deps } = this;
    const categories = holdCategoriesOf(target);
    const outcome = await deps.gate.run(this.batchContext(state, target), async (s) => {
      if (!(await deps.locks.acquire(s.tx, target.id, state.runId, deps.clock.nowIso())))
        return 'busy' as const;
      const holds = await deps.holds.activeIn(s, categories);
      const { items, next } = await target.scan({
        db: s.tx,
        rule: entry.rule,
        clock: deps.clock,
        after: cursor,
        limit: state.options.batchSize ?? DEFAULT_BATCH,
        dryRun: false,
      });
      const { go, held } = await partitionHeld(deps.registry, target, s.tx, items, holds, categories);
      if (go.length === 0) return { items: 0, records: 0, next, held, shredded: [] };
      const result = await target.delete(s, go);
      await this.recordBatch(s.tx, state, target, entry, {
        mode: 'items',
        items: go.length,
        records: result.records,
        subjects: [...new Set(go.map((i) => i.subjectId))].sort(),
        shredded: result.shredded?.length ?? 0,
        digest: digestIds(go.map((i) => i.id)),
        firstAt: go.reduce((m, i) => (i.from < m ? i.from : m), go[0]!.from),
        lastAt: go.reduce((m, i) => (i.to > m ? i.to : m), go[0]!.to),
      });
      await deps.runs.enqueueOrphans(s.tx, result.subjects, deps.clock.nowIso());
      return { items: go.length, records: result.records, next, held, shredded: result.shredded ?? [] };
    });
    if (outcome === 'busy') return 'busy';
    await this.committed(state, target, outcome);
    return { items: outcome.items, next: outcome.next };
  }

  /** Whole expired periods first (when the target can); returns false when the run must stop. */
  private async sweepPeriods(target: RetentionTarget, entry: Retention, state: RunState): Promise<boolean> {
    const { deps } = this;
    const periods = target.periods!;
    const categories = holdCategoriesOf(target);
    const report = this.targetReport(state, target);
    const now = deps.clock.nowIso();
    const listed = await deps.store.transaction((tx) =>
      periods.list(tx, deps.clock.anchorUpperBound(entry.rule), 100_000),
    );
    for (const p of listed.filter((l) => deps.clock.expiresAt(entry.rule, l.to) <= now)) {
      const outcome = await this.batchWhenFree(state, report, () =>
        deps.gate.run(this.batchContext(state, target), async (s) => {
          if (!(await deps.locks.acquire(s.tx, target.id, state.runId, deps.clock.nowIso()))) {
            return 'busy' as const;
          }
          const holds = await deps.holds.activeIn(s, categories);
          // A hold anywhere in the period sends it to the item-by-item sweep, which checks each record's scope.
          if (holds.some((h) => holdOverlapsPeriod(h, categories, p.from, p.to))) return null;
          const r = await periods.drop(s, p);
          // Another instance dropped it a moment ago: nothing left, nothing to certify.
          if (r.items === 0 && r.records === 0) return null;
          await this.recordBatch(s.tx, state, target, entry, {
            mode: 'period',
            items: r.items,
            records: r.records,
            subjects: [...r.subjects].sort(),
            shredded: 0,
            digest: r.digest,
            firstAt: p.from,
            lastAt: p.to,
          });
          await deps.runs.enqueueOrphans(s.tx, r.subjects, deps.clock.nowIso());
          return r;
        }),
      );
      if (outcome === 'limit') return false;
      // Left to the instance sweeping it; the item-by-item pass below gets the same chance.
      if (outcome === 'busy') return true;
      if (outcome) await this.committed(state, target, { ...outcome, held: [], shredded: [] });
    }
    return true;
  }

  /** Counts a committed batch in the run's report, journals its shreds and tells `onBatch`. */
  private async committed(state: RunState, target: RetentionTarget, outcome: BatchOutcome): Promise<void> {
    const report = this.targetReport(state, target);
    for (const id of outcome.held) report.heldIds.add(id);
    report.held = report.heldIds.size;
    if (outcome.items === 0) return;
    state.deletingBatches += 1;
    state.totalRecords += outcome.records;
    report.items += outcome.items;
    report.records += outcome.records;
    report.batches += 1;
    report.shreddedSubjects += outcome.shredded.length;
    // After commit: the journal outlives database restores (see shred-journal.ts).
    await this.deps.journal.record(outcome.shredded);
    state.options.onBatch?.({
      target: target.id,
      items: outcome.items,
      records: outcome.records,
      totalRecords: state.totalRecords,
    });
  }

  private async recordBatch(
    tx: Tx,
    state: RunState,
    target: RetentionTarget,
    entry: Retention,
    b: Omit<BatchRecord, 'runId' | 'seq' | 'targetId' | 'category' | 'meta'>,
  ): Promise<void> {
    const { deps } = this;
    state.seq += 1;
    const policy = deps.policy();
    await deps.runs.recordBatch(
      tx,
      {
        ...b,
        runId: state.runId,
        seq: state.seq,
        targetId: target.id,
        category: target.category,
        meta: {
          rule: entry.rule,
          source: entry.source,
          verified: entry.verified,
          categoryLabel: categoryLabelPt(policy, target.category),
          description: target.description,
          policyVersion: policy.version,
        },
      },
      deps.clock.nowIso(),
    );
    await deps.locks.countBatch(tx, target.id);
  }
}
