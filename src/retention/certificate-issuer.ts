/**
 * Closes retention runs and issues their deletion certificates: the run is marked finished, its committed batches
 * become one signed certificate (none when nothing was deleted), and its totals are written, in one transaction.
 * A run that failed is certified for what it committed before the error; a run whose process died is found by
 * its stale heartbeat and certified by the next run, on whichever instance gets there first.
 */
import { v7 as uuidv7 } from 'uuid';
import { isSigiloError } from '../errors.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store } from '../store/store.ts';
import { assembleCertificateBody } from './certificate-assembly.ts';
import { signCertificate, type Signer } from './deletion-certificate.ts';
import type { RetentionClock } from './retention-clock.ts';
import type { RetentionRunRepository, RunStatus } from './retention-run.repository.ts';

/** A run that stops beating for this long is taken for dead. */
export const STALE_AFTER_MS = 15 * 60_000;

export interface CertificateIssuerDeps {
  store: Store;
  runs: RetentionRunRepository;
  signer: Signer;
  clock: RetentionClock;
  policy: () => Policy;
}

/** The code a failed run records (a SigiloError's own; anything else is internal). */
export function failureCode(failure: unknown): string {
  return isSigiloError(failure) ? failure.code : 'INTERNAL_ERROR';
}

/** Closes runs and certifies what they deleted. */
export class CertificateIssuer {
  constructor(private readonly deps: CertificateIssuerDeps) {}

  /**
   * Closes a run and issues its certificate from the batches it committed; returns the certificate id (null:
   * nothing was deleted, or another instance closed the run first — the status change is conditional, so a run
   * is never certified twice).
   */
  async closeRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    report: object | null,
    failure: unknown,
  ): Promise<string | null> {
    const { runs } = this.deps;
    return this.deps.store.transaction(async (tx) => {
      const now = this.deps.clock.nowIso();
      const claimed = await runs.claimFinish(tx, runId, {
        status,
        at: now,
        errorCode: failure ? failureCode(failure) : null,
        report: report ? JSON.stringify(report) : null,
      });
      if (!claimed) return null;
      const startedAt = await runs.startedAt(tx, runId);
      const batches = await runs.batches(tx, runId);
      let certificateId: string | null = null;
      if (batches.length > 0) {
        certificateId = uuidv7();
        const body = assembleCertificateBody({
          id: certificateId,
          runId,
          status,
          startedAt,
          finishedAt: now,
          batches,
          policyVersion: this.deps.policy().version,
          zone: this.deps.clock.zone,
        });
        const cert = signCertificate(body, this.deps.signer);
        await runs.insertCertificate(tx, { id: certificateId, runId, issuedAt: now, ...cert });
      }
      await runs.setOutcome(tx, runId, {
        certificateId,
        records: batches.reduce((n, b) => n + Number(b.records), 0),
        shredded: batches.reduce((n, b) => n + b.shredded, 0),
      });
      return certificateId;
    });
  }

  /** Certifies and closes runs whose process died (no heartbeat for `staleAfterMs`); returns those certified. */
  async closeStaleRuns(staleAfterMs = STALE_AFTER_MS): Promise<string[]> {
    const before = new Date(this.deps.clock.now().getTime() - staleAfterMs).toISOString();
    const done: string[] = [];
    for (const id of await this.deps.runs.staleRunIds(this.deps.store.db, before)) {
      if (await this.closeRun(id, 'interrupted', null, null)) done.push(id);
    }
    return done;
  }
}
