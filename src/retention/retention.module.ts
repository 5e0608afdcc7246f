/**
 * Builds the retention engine with the core targets, legal holds, certificates and the shred journal. The
 * composition root calls `createRetention` once and exposes the result as `sigilo.retention`; other modules plug
 * their targets in with `sigilo.retention.registry.register(...)` before the first sweep.
 */
import path from 'node:path';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate } from '../gate/gate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store } from '../store/store.ts';
import { requireDuty } from '../policy/policy.evaluate.ts';
import { CertificateService } from './certificate.service.ts';
import type { Signer } from './deletion-certificate.ts';
import { LegalHoldService } from './legal-holds.ts';
import { HoldTexts, type HoldTextKeys } from './sealing/hold-text.gate.ts';
import { DEFAULT_RETENTION_ZONE, RetentionClock } from './retention-clock.ts';
import { RetentionEngine } from './retention-engine.ts';
import { retentionSystemContext } from './retention-policy.ts';
import type { PreviewReport } from './retention-preview.ts';
import { RetentionRunRepository } from './retention-run.repository.ts';
import type { SweepOptions, SweepReport } from './retention-sweep.ts';
import { RetentionScheduler, type ScheduleOptions } from './retention-sweep.job.ts';
import { RetentionRegistry } from './retention-target.ts';
import { SHRED_JOURNAL_FILE, ShredJournal } from './shred-journal.ts';
import { ContractTarget, InvoiceTarget } from './targets/contract.targets.ts';
import { authenticationSecretTarget, provisioningSecretTarget } from './targets/credential.targets.ts';
import { IdentityTarget } from './targets/identity.target.ts';
import { TicketTarget } from './targets/ticket.target.ts';

export interface RetentionDeps {
  store: Store;
  gate: Gate;
  policy: () => Policy;
  now: () => Date;
  /** Sigilo's Ed25519 key (the key ring). */
  signer: Signer;
  /** Seals the legal holds' free text (the staff-text key). */
  keyring: HoldTextKeys;
  /** The data directory; the shred journal lives here, outside database backups. */
  dataDir: string;
  /** IANA zone for calendar periods; default America/Sao_Paulo. */
  zone?: string;
  instanceId?: string;
}

/** The retention module as `sigilo.retention`. */
export interface RetentionModule {
  readonly registry: RetentionRegistry;
  readonly engine: RetentionEngine;
  readonly holds: LegalHoldService;
  readonly certificates: CertificateService;
  readonly journal: ShredJournal;
  readonly clock: RetentionClock;
  /** One sweep (system context; every deletion is policy-checked and access-logged). */
  run(options?: SweepOptions): Promise<SweepReport>;
  /** Dry run for a staff member allowed to see it. */
  preview(ctx: AccessContext): Promise<PreviewReport>;
  /** A scheduler for `serve` (not started). */
  scheduler(options?: ScheduleOptions): RetentionScheduler;
  /** Queues a subject for the identity sweep (e.g. after a subject-rights deletion removed its records). */
  enqueueSubject(subjectId: string): Promise<void>;
  /** Failed sweep runs by error code (for /metrics: a hold that does not verify fails every sweep). */
  failedRuns(): Promise<{ code: string; count: number }[]>;
}

/** Wires the retention module; core targets are registered, telecom targets are added by their module. */
export function createRetention(deps: RetentionDeps): RetentionModule {
  const clock = new RetentionClock(deps.now, deps.zone ?? DEFAULT_RETENTION_ZONE);
  const registry = new RetentionRegistry();
  registry.register(new InvoiceTarget());
  registry.register(new ContractTarget());
  registry.register(new TicketTarget());
  registry.register(authenticationSecretTarget());
  registry.register(provisioningSecretTarget());
  registry.register(new IdentityTarget(() => registry.targets()));

  const holds = new LegalHoldService({
    store: deps.store,
    policy: deps.policy,
    clock,
    texts: new HoldTexts(deps.keyring, deps.store.dialect),
    gate: deps.gate,
  });
  const journal = new ShredJournal({
    file: path.join(deps.dataDir, SHRED_JOURNAL_FILE),
    store: deps.store,
    gate: deps.gate,
    publicKey: () => deps.signer.signingPublicKey,
    systemContext: retentionSystemContext,
  });
  const engine = new RetentionEngine({
    store: deps.store,
    gate: deps.gate,
    registry,
    holds,
    clock,
    policy: deps.policy,
    signer: deps.signer,
    journal,
    ...(deps.instanceId ? { instanceId: deps.instanceId } : {}),
  });
  const certificates = new CertificateService({
    store: deps.store,
    policy: deps.policy,
    publicKey: () => deps.signer.signingPublicKey,
  });
  const e = engine;
  const runs = new RetentionRunRepository();
  const enqueue = (subjectId: string): Promise<void> =>
    runs.enqueueOrphans(deps.store.db, [subjectId], clock.nowIso());
  return {
    registry,
    engine: e,
    holds,
    certificates,
    journal,
    clock,
    run: (options) => e.run(options),
    preview: (ctx) => {
      requireDuty(deps.policy(), ctx.role, 'retention.preview', 'preview retention');
      return e.preview();
    },
    scheduler: (options) => new RetentionScheduler(e, options),
    enqueueSubject: enqueue,
    failedRuns: () => runs.failuresByCode(deps.store.db),
  };
}
