/**
 * The retention engine, assembled from its parts: the sweep (retention-sweep.ts), the dry run
 * (retention-preview.ts), the per-target work-row locks (retention-lock.repository.ts), the run bookkeeping
 * (retention-run.repository.ts) and the issuing of deletion certificates (certificate-issuer.ts, which assembles
 * them with certificate-assembly.ts). See docs/retention.md.
 */
import os from 'node:os';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate } from '../gate/gate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store } from '../store/store.ts';
import { CertificateIssuer, STALE_AFTER_MS } from './certificate-issuer.ts';
import type { Signer } from './deletion-certificate.ts';
import type { LegalHoldService } from './legal-holds.ts';
import type { RetentionClock } from './retention-clock.ts';
import { RetentionLockRepository } from './retention-lock.repository.ts';
import { retentionSystemContext } from './retention-policy.ts';
import { RetentionPreview, type PreviewReport } from './retention-preview.ts';
import { RetentionRunRepository } from './retention-run.repository.ts';
import { RetentionSweep, type SweepOptions, type SweepReport } from './retention-sweep.ts';
import type { RetentionRegistry } from './retention-target.ts';
import type { ShredJournal } from './shred-journal.ts';

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

/** Runs sweeps and previews; one per Sigilo. */
export class RetentionEngine {
  readonly instanceId: string;
  private readonly sweep: RetentionSweep;
  private readonly dryRun: RetentionPreview;
  private readonly issuer: CertificateIssuer;
  private readonly registry: RetentionRegistry;

  constructor(deps: RetentionEngineDeps) {
    this.registry = deps.registry;
    this.instanceId = deps.instanceId ?? `${os.hostname()}:${process.pid}`;
    const runs = new RetentionRunRepository();
    this.issuer = new CertificateIssuer({
      store: deps.store,
      runs,
      signer: deps.signer,
      clock: deps.clock,
      policy: deps.policy,
    });
    this.sweep = new RetentionSweep({
      ...deps,
      locks: new RetentionLockRepository(deps.store.dialect),
      runs,
      issuer: this.issuer,
      instanceId: this.instanceId,
    });
    this.dryRun = new RetentionPreview(deps);
  }

  /** The access context every sweep transaction runs under. */
  systemContext(requestId: string): AccessContext {
    return retentionSystemContext(requestId);
  }

  /**
   * One sweep over every target. Resolves with the report; if a target throws, what was committed before is
   * certified (run status `failed`) and the error is rethrown. Safe to run on several instances at once.
   * Runs whose process died (no heartbeat for 15 minutes) are certified and closed first: otherwise the batches
   * a killed sweep committed stayed uncertified and its run marked running for ever (crash proof, issue 14).
   */
  async run(options: SweepOptions = {}): Promise<SweepReport> {
    await this.finishStaleRuns();
    await this.registry.runUpkeep();
    const report = await this.sweep.run(options);
    await this.registry.runUpkeep();
    return report;
  }

  /** Certifies and closes runs whose process died (no heartbeat for 15 minutes). */
  finishStaleRuns(staleAfterMs = STALE_AFTER_MS): Promise<string[]> {
    return this.issuer.closeStaleRuns(staleAfterMs);
  }

  /** Dry run: per target and rule, what a sweep now would delete, what holds keep, and the next expiry. */
  preview(options: { capPerTarget?: number } = {}): Promise<PreviewReport> {
    return this.dryRun.preview(options);
  }
}
