/**
 * SQL for the bookkeeping of retention sweeps: runs (`retention_runs`), the batches each run committed
 * (`retention_batches`, written in the transaction of the deletion they describe), the certificates issued from
 * them (`deletion_certificates`) and the identity sweep's queue (`retention_orphans`). No personal data: ids,
 * counts, digests and rule metadata only.
 */
import { v7 as uuidv7 } from 'uuid';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type { Db, Tx } from '../store/store.ts';
import type { RetentionBatchRow, RetentionRunTable } from '../store/tables/retention.table.ts';
import { chunks } from './targets/target-queries.ts';

export type RunStatus = RetentionRunTable['status'];

/** The rule a batch was deleted under, as stored with it (the certificate is assembled from this). */
export interface BatchRuleMeta {
  rule: RetentionRule;
  source: string;
  verified: boolean;
  categoryLabel: string;
  description: string;
  policyVersion: number;
}

/** One committed deletion batch, as the sweep records it. */
export interface BatchRecord {
  runId: string;
  seq: number;
  targetId: string;
  category: string;
  meta: BatchRuleMeta;
  mode: 'items' | 'period';
  items: number;
  records: number;
  /** Sorted subject ids whose records went. */
  subjects: readonly string[];
  shredded: number;
  /** SHA-256 of the batch's sorted primary ids. */
  digest: string;
  firstAt: string;
  lastAt: string;
}

/** The stored rule metadata of a batch row. */
export function batchRuleMeta(row: Pick<RetentionBatchRow, 'rule'>): BatchRuleMeta {
  return JSON.parse(row.rule) as BatchRuleMeta;
}

/** The subject ids of a batch row. */
export function batchSubjects(row: Pick<RetentionBatchRow, 'subject_ids'>): string[] {
  return JSON.parse(row.subject_ids) as string[];
}

/** Runs, batches, certificates and the identity queue. */
export class RetentionRunRepository {
  /** Records a run that has just started. */
  async start(
    db: Db | Tx,
    run: { id: string; trigger: string; instanceId: string; at: string },
  ): Promise<void> {
    await db
      .insertInto('retention_runs')
      .values({
        id: run.id,
        trigger: run.trigger,
        instance_id: run.instanceId,
        status: 'running',
        started_at: run.at,
        heartbeat_at: run.at,
        finished_at: null,
        deleted_records: 0,
        shredded_subjects: 0,
        error_code: null,
        report: null,
        certificate_id: null,
      })
      .execute();
  }

  /** Records a committed batch and beats the run's heartbeat, in the batch's transaction. */
  async recordBatch(tx: Tx, b: BatchRecord, now: string): Promise<void> {
    await tx
      .insertInto('retention_batches')
      .values({
        id: uuidv7(),
        run_id: b.runId,
        seq: b.seq,
        target_id: b.targetId,
        category: b.category,
        rule: JSON.stringify(b.meta),
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
    await tx.updateTable('retention_runs').set({ heartbeat_at: now }).where('id', '=', b.runId).execute();
  }

  /** Ids of runs still marked running whose heartbeat is older than `before`. */
  async staleRunIds(db: Db | Tx, before: string): Promise<string[]> {
    const rows = await db
      .selectFrom('retention_runs')
      .select('id')
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', before)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Marks a running run finished; false when it was not running any more (another instance closed it first),
   * so a run is closed and certified once.
   */
  async claimFinish(
    tx: Tx,
    runId: string,
    f: { status: Exclude<RunStatus, 'running'>; at: string; errorCode: string | null; report: string | null },
  ): Promise<boolean> {
    const claimed = await tx
      .updateTable('retention_runs')
      .set({
        status: f.status,
        finished_at: f.at,
        heartbeat_at: f.at,
        error_code: f.errorCode,
        ...(f.report !== null ? { report: f.report } : {}),
      })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) > 0;
  }

  /** When the run started. */
  async startedAt(tx: Tx, runId: string): Promise<string> {
    const run = await tx
      .selectFrom('retention_runs')
      .select('started_at')
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    return run.started_at;
  }

  /** The run's batches in commit order. */
  async batches(db: Db | Tx, runId: string): Promise<RetentionBatchRow[]> {
    return db
      .selectFrom('retention_batches')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('seq')
      .execute();
  }

  /** Stores a signed certificate. */
  async insertCertificate(
    tx: Tx,
    c: {
      id: string;
      runId: string;
      issuedAt: string;
      canonical: string;
      signature: string;
      publicKey: string;
    },
  ): Promise<void> {
    await tx
      .insertInto('deletion_certificates')
      .values({
        id: c.id,
        run_id: c.runId,
        issued_at: c.issuedAt,
        body: c.canonical,
        signature: Buffer.from(c.signature, 'base64'),
        public_key: Buffer.from(c.publicKey, 'base64'),
      })
      .execute();
  }

  /** Writes a finished run's totals and its certificate id (null: nothing was deleted). */
  async setOutcome(
    tx: Tx,
    runId: string,
    o: { certificateId: string | null; records: number; shredded: number },
  ): Promise<void> {
    await tx
      .updateTable('retention_runs')
      .set({ certificate_id: o.certificateId, deleted_records: o.records, shredded_subjects: o.shredded })
      .where('id', '=', runId)
      .execute();
  }

  /**
   * Queues subjects for the identity sweep; a fresh token tells a concurrent dequeue this is a new request, and a
   * re-queued subject gets the new time.
   */
  async enqueueOrphans(db: Db | Tx, subjects: readonly string[], now: string): Promise<void> {
    // Sorted, so two instances queueing overlapping sets lock the rows in the same order (no deadlock).
    for (const part of chunks([...new Set(subjects)].sort(), 200)) {
      await db
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

  /** Failed runs by error code, every instance's (the store is shared). */
  async failuresByCode(db: Db): Promise<{ code: string; count: number }[]> {
    const rows = await db
      .selectFrom('retention_runs')
      .select(['error_code', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('status', '=', 'failed')
      .groupBy('error_code')
      .execute();
    return rows.map((r) => ({ code: r.error_code ?? 'INTERNAL_ERROR', count: Number(r.n) }));
  }
}
