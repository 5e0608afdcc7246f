/**
 * The retention engine: sweeps every registered target in bounded batches, each batch one gate transaction that
 * (1) takes the target's work-row lock — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so with several instances exactly
 * one works a target at a time and the others move on; SQLite's single writer does the same — (2) finds expired
 * items, (3) leaves out what a legal hold or a guard keeps, (4) deletes the rest through the gate (policy-checked,
 * access-logged) and (5) records the batch (counts, SHA-256 digest of the ids) in the same transaction. A crash
 * loses at most the batch in flight; a re-run simply finds what is left. After the run, the committed batches
 * become one signed deletion certificate — also for a run that failed, or one that died (finished by the next run).
 * Modelled on Outline's bounded-batch cleanup tasks.
 */
import os from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { isSigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate } from '../gate/gate.ts';
import { retentionRuleFor } from '../policy/policy.evaluate.ts';
import { retentionPeriodPt } from '../policy/policy.render.ts';
import type { Policy, Retention, RetentionRule } from '../policy/policy.schema.ts';
import type { Store, Tx } from '../store/store.ts';
import type { RetentionBatchRow } from '../store/tables/retention.table.ts';
import {
  digestIds,
  rootDigest,
  signCertificate,
  summaryPt,
  type CertificateBody,
  type CertificateEntry,
  type Signer,
} from './deletion-certificate.ts';
import { holdCovers, holdOverlapsPeriod, type ActiveHold, type LegalHoldService } from './legal-holds.ts';
import type { RetentionClock } from './retention-clock.ts';
import type { RetentionItem, RetentionRegistry, RetentionTarget } from './retention-target.ts';
import type { ShredJournal } from './shred-journal.ts';
import { chunks } from './targets/target-queries.ts';

/** Who sweeps: the system role under the legal-obligation purpose, as the policy grants. */
export const SWEEP_ACTOR = 'retention-sweep';

/** The access context of retention work: the system role under the legal-obligation purpose. */
export function retentionSystemContext(requestId: string): AccessContext {
  return { actor: SWEEP_ACTOR, role: 'system', purpose: 'legal_obligation', requestId, justification: null };
}

export interface RetentionEngineDeps {
  store: Store;
  gate: Gate;
  registry: RetentionRegistry;
  holds: LegalHoldService;
  clock: RetentionClock;
  policy: () => Policy;
  signer: Signer;
  journal: ShredJournal;
  /** Names this process in run records (host and pid by default). */
  instanceId?: string;
}

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

export interface TargetReport {
  target: string;
  category: string;
  description: string;
  rule: RetentionRule | null;
  ruleText: string | null;
  source: string | null;
  verified: boolean | null;
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

export interface PreviewTarget {
  target: string;
  category: string;
  categoryLabel: string;
  description: string;
  rule: RetentionRule | null;
  ruleText: string | null;
  source: string | null;
  verified: boolean | null;
  /** What a sweep now would delete. */
  due: {
    items: number;
    records: number;
    from: string | null;
    to: string | null;
    oldestExpiry: string | null;
  };
  /** Expired but kept by a legal hold (or waiting for a record that refers to it). */
  held: number;
  /** When the next item not yet expired expires (null: none, or no date of its own). */
  nextExpiry: string | null;
  /** The scan stopped at the per-target cap; counts are lower bounds. */
  capped: boolean;
  skipped?: 'no_rule' | 'unsupported_rule';
}

export interface PreviewReport {
  generatedAt: string;
  policyVersion: number;
  activeHolds: number;
  targets: PreviewTarget[];
  /** Always true in a preview; the identity line counts only subjects already queued. */
  note: string;
}

interface RunState {
  runId: string;
  seq: number;
  deletingBatches: number;
  totalRecords: number;
  stopped: boolean;
  startedMs: number;
  options: SweepOptions;
  reports: Map<string, TargetReport & { heldIds: Set<string> }>;
}

const DEFAULT_BATCH = 500;
const MAX_PASSES = 10;
const STALE_AFTER_MS = 15 * 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs sweeps and previews; one per Sigilo. */
export class RetentionEngine {
  readonly instanceId: string;

  constructor(private readonly deps: RetentionEngineDeps) {
    this.instanceId = deps.instanceId ?? `${os.hostname()}:${process.pid}`;
  }

  /** The access context every sweep transaction runs under. */
  systemContext(requestId: string): AccessContext {
    return retentionSystemContext(requestId);
  }

  private entryFor(target: RetentionTarget): Retention | undefined {
    return retentionRuleFor(this.deps.policy(), target.category);
  }

  private categoryLabel(category: string): string {
    return this.deps.policy().categories.find((c) => c.id === category)?.label.pt ?? category;
  }

  // ---- sweep ---------------------------------------------------------------------------------------------

  /**
   * One sweep over every target. Resolves with the report; if a target throws, what was committed before is
   * certified (run status `failed`) and the error is rethrown. Safe to run on several instances at once.
   */
  async run(options: SweepOptions = {}): Promise<SweepReport> {
    await this.finishStaleRuns();
    await this.deps.journal.sync();
    const runId = uuidv7();
    const startedAt = this.deps.clock.nowIso();
    await this.deps.store.db
      .insertInto('retention_runs')
      .values({
        id: runId,
        trigger: options.trigger ?? 'manual',
        instance_id: this.instanceId,
        status: 'running',
        started_at: startedAt,
        heartbeat_at: startedAt,
        finished_at: null,
        deleted_records: 0,
        shredded_subjects: 0,
        error_code: null,
        report: null,
        certificate_id: null,
      })
      .execute();
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
      await this.ensureLockRows();
      for (const target of this.deps.registry.targets()) {
        if (options.targets && !options.targets.includes(target.id) && target.order < 1000) continue;
        await this.sweepTarget(target, state);
        if (state.stopped) break;
      }
    } catch (err) {
      failure = err;
    }
    const status = failure ? 'failed' : 'completed';
    const report = this.report(state, status, startedAt, failure);
    report.certificateId = await this.finishRun(runId, status, report, failure);
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
    return {
      runId: state.runId,
      status,
      startedAt,
      finishedAt: this.deps.clock.nowIso(),
      targets,
      totals: {
        items: targets.reduce((n, t) => n + t.items, 0),
        records: targets.reduce((n, t) => n + t.records, 0),
        held: targets.reduce((n, t) => n + t.held, 0),
        shreddedSubjects: targets.reduce((n, t) => n + t.shreddedSubjects, 0),
      },
      incomplete: state.stopped,
      certificateId: null,
      ...(failure
        ? {
            error: {
              code: isSigiloError(failure) ? failure.code : 'INTERNAL_ERROR',
              message: isSigiloError(failure) ? failure.message : 'the sweep failed',
            },
          }
        : {}),
    };
  }

  private targetReport(state: RunState, target: RetentionTarget): TargetReport & { heldIds: Set<string> } {
    let r = state.reports.get(target.id);
    if (!r) {
      const entry = this.entryFor(target);
      r = {
        target: target.id,
        category: target.category,
        description: target.description,
        rule: entry?.rule ?? null,
        ruleText: entry ? retentionPeriodPt(entry.rule) : null,
        source: entry?.source ?? null,
        verified: entry?.verified ?? null,
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
    const entry = this.entryFor(target);
    if (!entry) {
      report.skipped = 'no_rule';
      return;
    }
    if (!target.supports(entry.rule)) {
      report.skipped = 'unsupported_rule';
      return;
    }
    const categories = [target.category, ...(target.holdCategories ?? [])];
    if (target.periods && entry.rule.kind === 'after' && entry.rule.anchor === 'record_created') {
      if (!(await this.sweepPeriods(target, entry, categories, state))) return;
    }
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      let cursor: string | null = null;
      let deleted = 0;
      let waitedMs = 0;
      for (;;) {
        if (this.limitReached(state)) {
          report.skipped = 'limit';
          state.stopped = true;
          return;
        }
        const r = await this.itemBatch(target, entry, categories, cursor, state);
        if (r === 'busy') {
          // Another instance holds this target's batch lock; wait a little, then leave it to that instance.
          if (waitedMs >= (state.options.busyWaitMs ?? 30_000)) {
            report.skipped = 'busy';
            return;
          }
          await sleep(25);
          waitedMs += 25;
          continue;
        }
        waitedMs = 0;
        deleted += r.items;
        if (r.next === null) break;
        cursor = r.next;
      }
      // Deleting can make more items due within the same run (the identity sweep's accounts → people).
      if (deleted === 0) break;
    }
  }

  private async itemBatch(
    target: RetentionTarget,
    entry: Retention,
    categories: readonly string[],
    cursor: string | null,
    state: RunState,
  ): Promise<'busy' | { items: number; next: string | null }> {
    const report = this.targetReport(state, target);
    const batchSize = state.options.batchSize ?? DEFAULT_BATCH;
    const outcome = await this.deps.gate.run(
      this.systemContext(`${state.runId}/${target.id}/${state.seq + 1}`),
      async (s) => {
        if (!(await this.acquire(s.tx, target.id, state.runId))) return 'busy' as const;
        const holds = await this.deps.holds.active(s.tx, categories);
        const { items, next } = await target.scan({
          db: s.tx,
          rule: entry.rule,
          clock: this.deps.clock,
          after: cursor,
          limit: batchSize,
          dryRun: false,
        });
        const guarded = items.length
          ? await this.deps.registry.guarded(
              target.id,
              s.tx,
              items.map((i) => i.id),
            )
          : new Set<string>();
        const go: RetentionItem[] = [];
        const held: string[] = [];
        for (const i of items) {
          if (guarded.has(i.id) || holds.some((h) => holdCovers(h, categories, i))) held.push(i.id);
          else go.push(i);
        }
        if (go.length === 0) return { items: 0, records: 0, next, held, shredded: [] as string[] };
        const result = await target.delete(s, go);
        const subjects = [...new Set(go.map((i) => i.subjectId))].sort();
        await this.recordBatch(s.tx, state, target, entry, {
          mode: 'items',
          items: go.length,
          records: result.records,
          subjects,
          shredded: result.shredded?.length ?? 0,
          digest: digestIds(go.map((i) => i.id)),
          firstAt: go.reduce((m, i) => (i.from < m ? i.from : m), go[0]!.from),
          lastAt: go.reduce((m, i) => (i.to > m ? i.to : m), go[0]!.to),
        });
        await this.enqueueOrphans(s.tx, result.subjects);
        return {
          items: go.length,
          records: result.records,
          next,
          held,
          shredded: [...(result.shredded ?? [])],
        };
      },
    );
    if (outcome === 'busy') return 'busy';
    for (const id of outcome.held) report.heldIds.add(id);
    report.held = report.heldIds.size;
    if (outcome.items > 0) {
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
    return { items: outcome.items, next: outcome.next };
  }

  /** Whole expired periods first (when the target can); returns false when the run must stop. */
  private async sweepPeriods(
    target: RetentionTarget,
    entry: Retention,
    categories: readonly string[],
    state: RunState,
  ): Promise<boolean> {
    const periods = target.periods!;
    const report = this.targetReport(state, target);
    const clock = this.deps.clock;
    const now = clock.nowIso();
    const listed = await this.deps.store.transaction((tx) =>
      periods.list(tx, clock.anchorUpperBound(entry.rule), 100_000),
    );
    const candidates = listed.filter((p) => clock.expiresAt(entry.rule, p.to) <= now);
    for (const p of candidates) {
      let waitedMs = 0;
      for (;;) {
        if (this.limitReached(state)) {
          report.skipped = 'limit';
          state.stopped = true;
          return false;
        }
        const outcome = await this.deps.gate.run(
          this.systemContext(`${state.runId}/${target.id}/${state.seq + 1}`),
          async (s) => {
            if (!(await this.acquire(s.tx, target.id, state.runId))) return 'busy' as const;
            const holds = await this.deps.holds.active(s.tx, categories);
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
            await this.enqueueOrphans(s.tx, r.subjects);
            return r;
          },
        );
        if (outcome === 'busy') {
          if (waitedMs >= (state.options.busyWaitMs ?? 30_000)) {
            report.skipped = 'busy';
            return true;
          }
          await sleep(25);
          waitedMs += 25;
          continue;
        }
        if (outcome) {
          state.deletingBatches += 1;
          state.totalRecords += outcome.records;
          report.items += outcome.items;
          report.records += outcome.records;
          report.batches += 1;
          state.options.onBatch?.({
            target: target.id,
            items: outcome.items,
            records: outcome.records,
            totalRecords: state.totalRecords,
          });
        }
        break;
      }
    }
    return true;
  }

  private async recordBatch(
    tx: Tx,
    state: RunState,
    target: RetentionTarget,
    entry: Retention,
    b: {
      mode: 'items' | 'period';
      items: number;
      records: number;
      subjects: string[];
      shredded: number;
      digest: string;
      firstAt: string;
      lastAt: string;
    },
  ): Promise<void> {
    state.seq += 1;
    const now = this.deps.clock.nowIso();
    await tx
      .insertInto('retention_batches')
      .values({
        id: uuidv7(),
        run_id: state.runId,
        seq: state.seq,
        target_id: target.id,
        category: target.category,
        rule: JSON.stringify({
          rule: entry.rule,
          source: entry.source,
          verified: entry.verified,
          categoryLabel: this.categoryLabel(target.category),
          description: target.description,
          policyVersion: this.deps.policy().version,
        }),
        mode: b.mode,
        items: b.items,
        records: b.records,
        subject_ids: JSON.stringify(b.subjects),
        shredded: b.shredded,
        digest: b.digest,
        first_at: b.firstAt,
        last_at: b.lastAt,
        created_at: now,
      })
      .execute();
    await tx.updateTable('retention_runs').set({ heartbeat_at: now }).where('id', '=', state.runId).execute();
    await tx
      .updateTable('retention_locks')
      .set((eb) => ({ batches: eb('batches', '+', 1) }))
      .where('target_id', '=', target.id)
      .execute();
  }

  /** Queues subjects for the identity sweep; a fresh token tells a concurrent dequeue this is a new request. */
  private async enqueueOrphans(tx: Tx, subjects: readonly string[]): Promise<void> {
    const now = this.deps.clock.nowIso();
    // Sorted, so two instances queueing overlapping sets lock the rows in the same order (no deadlock).
    for (const part of chunks([...new Set(subjects)].sort(), 200)) {
      await tx
        .insertInto('retention_orphans')
        .values(part.map((subject_id) => ({ subject_id, token: uuidv7(), enqueued_at: now })))
        .onConflict((oc) =>
          oc.column('subject_id').doUpdateSet((eb) => ({
            token: eb.ref('excluded.token'),
            enqueued_at: eb.ref('excluded.enqueued_at'),
          })),
        )
        .execute();
    }
  }

  private async ensureLockRows(): Promise<void> {
    const ids = this.deps.registry.targets().map((t) => t.id);
    await this.deps.store.db
      .insertInto('retention_locks')
      .values(ids.map((target_id) => ({ target_id, run_id: null, locked_at: null, batches: 0 })))
      .onConflict((oc) => oc.column('target_id').doNothing())
      .execute();
  }

  /**
   * Takes the target's work-row lock for this transaction. PostgreSQL: `FOR UPDATE SKIP LOCKED` returns nothing
   * while another instance holds it. SQLite: the UPDATE is the transaction's first write, so it takes SQLite's
   * write lock up front (waiting on busy_timeout) instead of failing to upgrade a read later.
   */
  private async acquire(tx: Tx, targetId: string, runId: string): Promise<boolean> {
    if (this.deps.store.dialect === 'postgres') {
      const row = await tx
        .selectFrom('retention_locks')
        .select('target_id')
        .where('target_id', '=', targetId)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return false;
    }
    await tx
      .updateTable('retention_locks')
      .set({ run_id: runId, locked_at: this.deps.clock.nowIso() })
      .where('target_id', '=', targetId)
      .execute();
    return true;
  }

  // ---- runs and certificates ------------------------------------------------------------------------------

  /** Certifies and closes runs whose process died (no heartbeat for 15 minutes). */
  async finishStaleRuns(staleAfterMs = STALE_AFTER_MS): Promise<string[]> {
    const limit = new Date(this.deps.clock.now().getTime() - staleAfterMs).toISOString();
    const stale = await this.deps.store.db
      .selectFrom('retention_runs')
      .select('id')
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', limit)
      .execute();
    const done: string[] = [];
    for (const r of stale) {
      if (await this.finishRun(r.id, 'interrupted', null, null)) done.push(r.id);
    }
    return done;
  }

  /**
   * Closes a run and issues its certificate from the batches it committed (none: no certificate). For a stale
   * run the status change is conditional, so two instances never certify the same run twice.
   */
  private async finishRun(
    runId: string,
    status: 'completed' | 'failed' | 'interrupted',
    report: SweepReport | null,
    failure: unknown,
  ): Promise<string | null> {
    return this.deps.store.transaction(async (tx) => {
      const now = this.deps.clock.nowIso();
      const claimed = await tx
        .updateTable('retention_runs')
        .set({
          status,
          finished_at: now,
          heartbeat_at: now,
          error_code: failure ? (isSigiloError(failure) ? failure.code : 'INTERNAL_ERROR') : null,
          ...(report ? { report: JSON.stringify(report) } : {}),
        })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return null;
      const run = await tx
        .selectFrom('retention_runs')
        .select(['started_at'])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      const batches = await tx
        .selectFrom('retention_batches')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('seq')
        .execute();
      const records = batches.reduce((n, b) => n + Number(b.records), 0);
      const shredded = batches.reduce((n, b) => n + b.shredded, 0);
      let certificateId: string | null = null;
      if (batches.length > 0) {
        certificateId = uuidv7();
        const cert = signCertificate(
          this.certificateBody(certificateId, runId, status, run.started_at, now, batches),
          this.deps.signer,
        );
        await tx
          .insertInto('deletion_certificates')
          .values({
            id: certificateId,
            run_id: runId,
            issued_at: now,
            body: cert.canonical,
            signature: Buffer.from(cert.signature, 'base64'),
            public_key: Buffer.from(cert.publicKey, 'base64'),
          })
          .execute();
      }
      await tx
        .updateTable('retention_runs')
        .set({ certificate_id: certificateId, deleted_records: records, shredded_subjects: shredded })
        .where('id', '=', runId)
        .execute();
      return certificateId;
    });
  }

  private certificateBody(
    id: string,
    runId: string,
    status: 'completed' | 'failed' | 'interrupted',
    startedAt: string,
    finishedAt: string,
    batches: RetentionBatchRow[],
  ): CertificateBody {
    const groups = new Map<string, RetentionBatchRow[]>();
    for (const b of batches) groups.set(b.target_id, [...(groups.get(b.target_id) ?? []), b]);
    let policyVersion = this.deps.policy().version;
    const entries: CertificateEntry[] = [...groups.entries()].map(([target, list]) => {
      const first = list[0]!;
      const meta = JSON.parse(first.rule) as {
        rule: RetentionRule;
        source: string;
        verified: boolean;
        categoryLabel: string;
        description: string;
        policyVersion: number;
      };
      policyVersion = meta.policyVersion;
      const digests = list.map((b) => b.digest);
      const subjects = new Set(list.flatMap((b) => JSON.parse(b.subject_ids) as string[]));
      return {
        target,
        category: first.category,
        categoryLabel: meta.categoryLabel,
        description: meta.description,
        rule: meta.rule,
        ruleText: retentionPeriodPt(meta.rule),
        source: meta.source,
        verified: meta.verified,
        counts: {
          items: list.reduce((n, b) => n + b.items, 0),
          records: list.reduce((n, b) => n + Number(b.records), 0),
          subjects: subjects.size,
          shreddedSubjects: list.reduce((n, b) => n + b.shredded, 0),
          batches: list.length,
        },
        timeRange: {
          from: list.reduce((m, b) => (b.first_at < m ? b.first_at : m), first.first_at),
          to: list.reduce((m, b) => (b.last_at > m ? b.last_at : m), first.last_at),
        },
        hashes: { algorithm: 'sha256', batches: digests, root: rootDigest(digests) },
      };
    });
    const withoutSummary: Omit<CertificateBody, 'summaryPt'> = {
      type: 'sigilo.deletion-certificate',
      version: 1,
      id,
      runId,
      runStatus: status,
      issuedAt: finishedAt,
      sweep: { startedAt, finishedAt },
      policyVersion,
      entries,
      totals: {
        items: entries.reduce((n, e) => n + e.counts.items, 0),
        records: entries.reduce((n, e) => n + e.counts.records, 0),
        shreddedSubjects: entries.reduce((n, e) => n + e.counts.shreddedSubjects, 0),
      },
    };
    return { ...withoutSummary, summaryPt: summaryPt(withoutSummary, this.deps.clock.zone) };
  }

  // ---- preview -------------------------------------------------------------------------------------------

  /** Dry run: per target and rule, what a sweep now would delete, what holds keep, and the next expiry. */
  async preview(options: { capPerTarget?: number } = {}): Promise<PreviewReport> {
    const policy = this.deps.policy();
    const allHolds = await this.deps.holds.active(this.deps.store.db);
    const targets: PreviewTarget[] = [];
    for (const target of this.deps.registry.targets()) {
      targets.push(await this.previewTarget(target, allHolds, options.capPerTarget ?? 100_000));
    }
    return {
      generatedAt: this.deps.clock.nowIso(),
      policyVersion: policy.version,
      activeHolds: allHolds.length,
      targets,
      note:
        'Dry run: nothing was deleted. Identity data counts only subjects already queued; the records above, ' +
        'once deleted, can make more subjects unreferenced in the same sweep.',
    };
  }

  private async previewTarget(
    target: RetentionTarget,
    allHolds: readonly ActiveHold[],
    cap: number,
  ): Promise<PreviewTarget> {
    // No transaction: a long preview must not hold SQLite's single connection (every request would wait), and
    // its counts are a moment's view anyway. Read paths only query, which the store answers like a transaction.
    const db = this.deps.store.db as unknown as Tx;
    const entry = this.entryFor(target);
    const base = {
      target: target.id,
      category: target.category,
      categoryLabel: this.categoryLabel(target.category),
      description: target.description,
      rule: entry?.rule ?? null,
      ruleText: entry ? retentionPeriodPt(entry.rule) : null,
      source: entry?.source ?? null,
      verified: entry?.verified ?? null,
    };
    const due: PreviewTarget['due'] = { items: 0, records: 0, from: null, to: null, oldestExpiry: null };
    if (!entry || !target.supports(entry.rule)) {
      return {
        ...base,
        due,
        held: 0,
        nextExpiry: null,
        capped: false,
        skipped: entry ? 'unsupported_rule' : 'no_rule',
      };
    }
    const categories = [target.category, ...(target.holdCategories ?? [])];
    const holds = allHolds.filter((h) => categories.some((c) => h.categories.has(c)));
    let held = 0;
    let cursor: string | null = null;
    let seen = 0;
    let capped = false;
    for (;;) {
      const { items, next } = await target.scan({
        db,
        rule: entry.rule,
        clock: this.deps.clock,
        after: cursor,
        limit: 1000,
        dryRun: true,
      });
      const guarded = items.length
        ? await this.deps.registry.guarded(
            target.id,
            db,
            items.map((i) => i.id),
          )
        : new Set<string>();
      for (const i of items) {
        if (guarded.has(i.id) || holds.some((h) => holdCovers(h, categories, i))) {
          held += 1;
          continue;
        }
        due.items += 1;
        due.records += i.records ?? 1;
        if (due.from === null || i.from < due.from) due.from = i.from;
        if (due.to === null || i.to > due.to) due.to = i.to;
        // Items come in anchor order, so the oldest expiry is among the first; reading it costs a calendar
        // computation, which a million-row preview cannot afford per row.
        if (due.items <= 1000 && (due.oldestExpiry === null || i.expiresAt < due.oldestExpiry)) {
          due.oldestExpiry = i.expiresAt;
        }
      }
      seen += items.length;
      if (next === null) break;
      if (seen >= cap) {
        capped = true;
        break;
      }
      cursor = next;
    }
    const nextExpiry = await target.nextExpiry({ db, rule: entry.rule, clock: this.deps.clock });
    return { ...base, due, held, nextExpiry, capped };
  }
}
