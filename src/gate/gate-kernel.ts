/**
 * The gate's internals, for the sealing extensions (src/telecom/sealing, src/recordings/sealing) only: lint forbids
 * importing this file anywhere else, so services keep seeing just the session's public methods.
 */
import type { ErrorCode } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Operation } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { BulkInsert } from '../store/bulk-insert.ts';
import type { KernelTx, StoreDialect } from '../store/store.ts';
import type { MaskLevel } from '../validation/masking.ts';
import type { AccessContext } from './access-context.ts';
import type { GateSession } from './gate.ts';

/** A policy decision for one category, as the gate applies it. */
export interface CategoryDecision {
  masking: MaskLevel;
  legalBasis: string;
}

/** What a sealing extension may use of one session: its transaction, keys, policy decisions and log. */
export interface GateKernel {
  /** The session's transaction with the sealed columns in view. */
  readonly tx: KernelTx;
  readonly ctx: AccessContext;
  readonly policy: Policy;
  readonly keyring: Keyring;
  readonly now: () => Date;
  /** Dialect-specific bulk insertion (telecom hot path). */
  readonly bulk: BulkInsert;
  readonly dialect: StoreDialect;
  /** Runs `fn` once the session's transaction has committed (never after a rollback): in-memory caches of
   *  what was written must not learn of writes that did not happen. */
  afterCommit(fn: () => void): void;
  /** Evaluates every category; on the first refusal logs a denied entry and throws its code. */
  authorize(
    categories: string[],
    operation: Operation,
    subjectId: string | null,
    logOperation: string,
  ): Map<string, CategoryDecision>;
  /** LGPD Art. 9 §2: refuses (logged) a read of records for a purpose the policy version each was collected
   *  under did not declare, unless the version in force says the purpose applies to existing records. */
  authorizeCollected(
    records: readonly { subjectId: string; policyVersion: number }[],
    categories: string[],
    logOperation: string,
  ): void;
  /** Records an allowed access (appended in the session's transaction at commit). */
  allowed(
    logOperation: string,
    subjectId: string | null,
    decisions: Map<string, CategoryDecision>,
    reason?: string | null,
  ): void;
  /** Records a failed access (logged even after rollback) and throws. */
  fail(
    logOperation: string,
    subjectId: string | null,
    categories: string[],
    outcome: 'denied' | 'error',
    code: ErrorCode,
    reason: string,
    details?: Record<string, unknown>,
  ): never;
  /** Refuses (logged, PROCESSING_BLOCKED) an access to a category one of `subjects` had blocked. */
  assertNotBlocked(
    subjects: Iterable<string>,
    categories: readonly string[],
    logOperation: string,
  ): Promise<void>;
  /** The subject's current data key (created on first use). */
  currentDataKey(subjectId: string): Promise<{ version: number; key: Buffer }>;
  /** A given version of the subject's data key (cached for the session); SUBJECT_SHREDDED when destroyed. */
  dataKey(subjectId: string, version: number): Promise<Buffer>;
  /** The row MAC of `row` as it will be stored in core table `table` (src/gate/row-mac.ts). */
  rowMacOf(table: string, row: Record<string, unknown>): Promise<Buffer>;
  /** The columns to read for `checkRowMacs` of a core table (none for a table without row MACs). */
  rowMacColumns(table: string): string[];
  /** INTEGRITY_ERROR (logged under `category`) naming the first row whose row MAC does not match (row-mac.ts). */
  checkRowMacs(
    table: string,
    category: string,
    logOp: string,
    rows: readonly Record<string, unknown>[],
  ): Promise<void>;
}

// Keyed by the session object: whoever holds only a GateSession cannot reach its kernel without this module.
const kernels = new WeakMap<GateSession, GateKernel>();

/** Binds a session to its kernel (called once by the session's constructor). */
export function bindKernel(session: GateSession, kernel: GateKernel): void {
  kernels.set(session, kernel);
}

/** The kernel behind a session (sealing extensions only; see GateKernel). */
export function kernelOf(session: GateSession): GateKernel {
  const k = kernels.get(session);
  if (!k) throw new Error('not a gate session');
  return k;
}
