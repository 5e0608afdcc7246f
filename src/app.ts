/**
 * The composition root: builds the store, key ring, access log, published policy, gate and services once,
 * each getting only what it uses. Routes, jobs and CLI commands receive a `Sigilo` and nothing else.
 */
import fs from 'node:fs';
import { AuthorityRequestService } from './authority-requests/authority-request.service.ts';
import { AccessLogRepository } from './access-log/access-log.repository.ts';
import { AccessLogHeadFile } from './access-log/access-log.head-file.ts';
import { verifyAccessLog, type VerifyOptions, type VerifyReport } from './access-log/access-log.verify.ts';
import { AccessLogWriter } from './access-log/access-log.writer.ts';
import { SecurityEventLog } from './access-log/security-events.ts';
import type { SigiloConfig } from './config/config.ts';
import { verifyEd25519 } from './crypto/signing.ts';
import { SigiloError } from './errors.ts';
import { Gate } from './gate/gate.ts';
import { FreeTextGuard } from './guard/free-text.guard.ts';
import { QuarantineService } from './guard/quarantine.service.ts';
import { IncidentService } from './incidents/incident.service.ts';
import { ProcessingRecordService } from './reports/processing-record.service.ts';
import { registerIncidentRetention } from './incidents/incidents.retention-target.ts';
import { EnvKeyProvider } from './keys/env.provider.ts';
import type { KeyProvider } from './keys/key-provider.ts';
import { Keyring } from './keys/keyring.ts';
import { LocalKeyFileProvider } from './keys/local-key-file.provider.ts';
import { loadDefaultPolicy } from './policy/policy.loader.ts';
import type { Policy } from './policy/policy.schema.ts';
import { PolicyPublication } from './publication/policy-publication.service.ts';
import { AccountService } from './services/account.service.ts';
import { ContractService } from './services/contract.service.ts';
import { CredentialService } from './services/credential.service.ts';
import { InvoiceService } from './services/invoice.service.ts';
import { PersonService } from './services/person.service.ts';
import { TicketService } from './services/ticket.service.ts';
import { SubjectRequestAnswers } from './subject-requests/subject-request.answers.ts';
import { SubjectRequestRepository } from './subject-requests/subject-request.repository.ts';
import { SubjectRequestService } from './subject-requests/subject-request.service.ts';
import { createRetention, type RetentionModule } from './retention/retention.module.ts';
import type { BlobStore } from './recordings/blob-store.ts';
import { openBlobStore } from './recordings/open-blob-store.ts';
import { registerAuthorityRequestRetention } from './retention/targets/authority-request.target.ts';
import { RecordingService } from './recordings/recording.service.ts';
import { registerRecordingRetention } from './recordings/recordings.retention-target.ts';
import { BlobDeletions } from './recordings/sealing/blob-deletions.ts';
import { registerTelecomRetention } from './telecom/telecom.retention-targets.ts';
import { AttributionRuleService } from './telecom/attribution/attribution-rule.service.ts';
import { sealLegacyAttributionRules } from './telecom/sealing/attribution-rules.gate.ts';
import { sealLegacyColumns } from './gate/legacy-columns.ts';
import { backfillBlockSets } from './gate/block-set-backfill.ts';
import { backfillRecordMacs } from './gate/record-mac-backfill.ts';
import { backfillRowMacs } from './gate/row-mac-backfill.ts';
import { backfillRecordingMacs } from './recordings/sealing/recordings.gate.ts';
import { backfillSegmentMacs } from './telecom/sealing/telecom-segment-backfill.ts';
import { TokenLabels } from './tokens/sealing/token-labels.ts';
import { RecordIngestService } from './telecom/ingest/record-ingest.service.ts';
import { TelecomPreparer } from './telecom/sealing/telecom-prepare.pool.ts';
import { RecordQueryService } from './telecom/query/record-query.service.ts';
import { migrateToLatest, openPostgresStore, openSqliteStore, type Store } from './store/store.ts';

/** Everything a running Sigilo is made of. */
export interface Sigilo {
  readonly store: Store;
  readonly gate: Gate;
  readonly keyring: Keyring;
  readonly keys: KeyProvider;
  readonly policies: PolicyPublication;
  readonly accessLog: {
    readonly repo: AccessLogRepository;
    readonly writer: AccessLogWriter;
    /** The signed head kept outside the database (SIGILO_AUDIT_HEAD_FILE). */
    readonly headFile: AccessLogHeadFile;
    verify(options?: VerifyOptions): Promise<VerifyReport>;
    /** Writes the newest committed head to the head file now. */
    flushHead(): Promise<void>;
    /** Security events (refusals before the gate, tokens, publication, audit reads), floods summarised. */
    readonly security: SecurityEventLog;
  };
  readonly services: {
    readonly accounts: AccountService;
    readonly people: PersonService;
    readonly contracts: ContractService;
    readonly invoices: InvoiceService;
    readonly tickets: TicketService;
    readonly guardQuarantine: QuarantineService;
    readonly credentials: CredentialService;
    readonly telecomIngest: RecordIngestService;
    readonly recordings: RecordingService;
    readonly telecomQuery: RecordQueryService;
    readonly attributionRules: AttributionRuleService;
    readonly authorityRequests: AuthorityRequestService;
    readonly subjectRequests: SubjectRequestService;
    readonly subjectAnswers: SubjectRequestAnswers;
    /** The security-incident register (Res. CD/ANPD 15/2024). */
    readonly incidents: IncidentService;
    /** The records of processing (LGPD Art. 37). */
    readonly processingRecord: ProcessingRecordService;
  };
  /** Retention sweeps, legal holds, deletion certificates and the shred journal (docs/retention.md). */
  readonly retention: RetentionModule;
  /** Seals and opens staff token labels (for the token service, which the HTTP app and the CLI build). */
  readonly tokenLabels: TokenLabels;
  readonly now: () => Date;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Injected clock (tests walk time forward with it). */
  now?: () => Date;
  /** Use this store instead of the configured one (tests). */
  store?: Store;
  /** Use this key provider instead of the configured one (tests). */
  keyProvider?: KeyProvider;
  /** Use this blob store for recordings instead of the configured one (tests). */
  blobStore?: BlobStore;
}

/** Opens the configured store (without migrating). */
export function openConfiguredStore(config: SigiloConfig): Store {
  return config.store.kind === 'sqlite'
    ? openSqliteStore(config.store.file)
    : openPostgresStore({
        connectionString: config.store.url,
        sslMode: config.store.sslMode,
        maxConnections: config.store.maxConnections,
        ...(config.store.caFile ? { caFile: config.store.caFile } : {}),
      });
}

/** Opens the configured key provider; the local key file must exist and be private (mode 0600). */
export async function openKeyProvider(config: SigiloConfig): Promise<KeyProvider> {
  if (config.keys.provider === 'env') return EnvKeyProvider.fromEnv();
  return LocalKeyFileProvider.open(config.keys.file);
}

/**
 * First start: data directory (0700), master key file (0600), database, migrations, system keys and the
 * default policy as version 1. Safe to run again: it only creates what is missing.
 */
export async function initSigilo(
  config: SigiloConfig,
  options: OpenOptions & { policy?: Policy } = {},
): Promise<{ createdKey: boolean; publishedPolicy: number | null; migrations: string[] }> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let createdKey = false;
  let keys = options.keyProvider;
  if (!keys) {
    if (config.keys.provider === 'local-file' && !fs.existsSync(config.keys.file)) {
      keys = await LocalKeyFileProvider.create(config.keys.file);
      createdKey = true;
    } else {
      keys = await openKeyProvider(config);
    }
  }
  const store = options.store ?? openConfiguredStore(config);
  try {
    const migrations = await migrateToLatest(store);
    const now = options.now ?? (() => new Date());
    const keyring = new Keyring(keys, now);
    await keyring.load(store);
    const policies = new PolicyPublication(store, now);
    let publishedPolicy: number | null = null;
    if (!(await policies.list()).length) {
      publishedPolicy = (await policies.publish(options.policy ?? loadDefaultPolicy(), 'sigilo-init'))
        .version;
    }
    return { createdKey, publishedPolicy, migrations };
  } finally {
    if (!options.store) await store.close();
  }
}

/** Opens an initialised Sigilo: everything wired, policy loaded, keys unwrapped. */
export async function openSigilo(config: SigiloConfig, options: OpenOptions = {}): Promise<Sigilo> {
  const now = options.now ?? (() => new Date());
  const keys = options.keyProvider ?? (await openKeyProvider(config));
  const store = options.store ?? openConfiguredStore(config);
  try {
    const pending = await store.db
      .selectFrom('policy_versions')
      .select('version')
      .limit(1)
      .execute()
      .catch(() => null);
    if (!pending)
      throw new SigiloError('NOT_INITIALISED', 'the database is not initialised; run `sigilo init`');
    await migrateToLatest(store);
    const keyring = new Keyring(keys, now);
    await keyring.load(store);
    const repo = new AccessLogRepository(store.dialect);
    const warn = (message: string, details: Record<string, unknown>): void =>
      process.emitWarning(message, { code: 'SIGILO_AUDIT', detail: JSON.stringify(details) });
    const verifySigned = (message: Buffer, signature: Buffer): boolean =>
      verifyEd25519(keyring.signingPublicKey, message, signature);
    const headFile = new AccessLogHeadFile(config.auditHead.file, verifySigned);
    const writer = new AccessLogWriter(repo, keyring, keyring, now, {
      checkpointEvery: config.checkpointEvery,
      headFile,
      headIntervalMs: config.auditHead.intervalMs,
      verifySignature: verifySigned,
      onProblem: warn,
    });
    await writer.init(store);
    // Reads the version in force lazily: `policies` below is loaded before any event can be recorded.
    const security: SecurityEventLog = new SecurityEventLog(
      store,
      writer,
      now,
      (): number => policies.policy().version,
      {
        onProblem: warn,
      },
    );
    const policies: PolicyPublication = new PolicyPublication(store, now, security);
    await policies.load();
    const gate = new Gate({
      store,
      keyring,
      accessLog: writer,
      policy: () => policies.policy(),
      purposesOf: (version) => policies.purposesOf(version),
      now,
    });
    // Every core row gets its MAC once (the start after the row-MAC migration); from then on NULL is a mismatch.
    await gate.run(
      { actor: 'sigilo', role: 'system', purpose: 'legal_obligation', requestId: 'start:row-macs' },
      (s) =>
        backfillRowMacs(s, [
          { name: 'telecom_segments', run: backfillSegmentMacs },
          { name: 'recordings', run: backfillRecordingMacs },
        ]),
    );
    // Every subject gets its MACed set of processing blocks once (the start after the block-MAC migration).
    await gate.run(
      { actor: 'sigilo', role: 'system', purpose: 'legal_obligation', requestId: 'start:block-sets' },
      (s) => backfillBlockSets(s),
    );
    // Holds, subject requests, account links and histories get their MACs and heads once (the start after the
    // record-MAC migration); from then on NULL is a mismatch and a missing head a deleted set.
    await gate.run(
      { actor: 'sigilo', role: 'system', purpose: 'legal_obligation', requestId: 'start:record-macs' },
      (s) => backfillRecordMacs(s),
    );
    // What was stored in clear before it was sealed (attribution rules, credential labels) is sealed once, and
    // the clear table or column the migrations had to leave goes.
    await gate.run(
      {
        actor: 'sigilo',
        role: 'system',
        purpose: 'legal_obligation',
        requestId: 'start:seal-attribution-rules',
      },
      (s) => sealLegacyAttributionRules(s),
    );
    await gate.run(
      {
        actor: 'sigilo',
        role: 'system',
        purpose: 'legal_obligation',
        requestId: 'start:seal-legacy-columns',
      },
      (s) => sealLegacyColumns(s),
    );
    const retention = createRetention({
      store,
      gate,
      policy: () => policies.policy(),
      now,
      signer: keyring,
      keyring,
      dataDir: config.dataDir,
    });
    // A restored backup may predate shreds: destroy those subjects' keys again before serving anything.
    await retention.journal.reconcile();
    const blobs = options.blobStore ?? (await openBlobStore(config.recordings.store, now));
    // Blobs go only once the deletion of their row commits; a crash or a failing store leaves them queued.
    const blobDeletions = new BlobDeletions(gate, blobs);
    await blobDeletions.drain();
    registerRecordingRetention(retention.registry, blobDeletions);
    registerTelecomRetention(retention.registry);
    registerIncidentRetention(retention.registry);
    registerAuthorityRequestRetention(retention.registry, blobDeletions);
    const requestRepo = new SubjectRequestRepository();
    const subjectRequests = new SubjectRequestService(requestRepo, now);
    const telecomIngest = new RecordIngestService(
      gate,
      store,
      new TelecomPreparer(keyring, config.ingestWorkers),
    );
    const telecomQuery = new RecordQueryService();
    const accounts = new AccountService();
    const people = new PersonService();
    const authorityRequests = new AuthorityRequestService({
      policy: () => policies.policy(),
      now,
      holds: retention.holds,
      accounts,
      people,
      telecomQuery,
      db: store.db,
      signer: keyring,
      dialect: store.dialect,
      blobs,
    });
    const recordings = new RecordingService({
      gate,
      blobs,
      deletions: blobDeletions,
      maxBytes: config.recordings.maxBytes,
      now,
    });
    return {
      store,
      gate,
      keyring,
      keys,
      policies,
      accessLog: {
        repo,
        writer,
        headFile,
        /** Verifies the whole log (options: how it is read and hashed; the verdict is the same). */
        verify: async (options: VerifyOptions = {}) => {
          await keyring.reloadAccessLogKeys(store.db);
          return verifyAccessLog(
            store.db,
            repo,
            {
              checkSignature: verifyEd25519,
              trustedPublicKey: keyring.signingPublicKey,
              logKey: (v) => keyring.accessLogKey(v),
              logKeyVersions: () => keyring.accessLogKeyVersions,
              headFile,
            },
            { source: store.source, ...options },
          );
        },
        flushHead: () => writer.flushHead(),
        security,
      },
      services: {
        accounts,
        people,
        contracts: new ContractService(),
        invoices: new InvoiceService(),
        tickets: new TicketService(new FreeTextGuard(() => policies.policy()), now),
        guardQuarantine: new QuarantineService(),
        credentials: new CredentialService(),
        telecomIngest,
        recordings,
        telecomQuery,
        attributionRules: new AttributionRuleService(),
        authorityRequests,
        subjectRequests,
        subjectAnswers: new SubjectRequestAnswers({
          retentionDates: retention.clock,
          isHeld: (s, q) => retention.holds.isHeld(s, q),
          requests: subjectRequests,
          repo: requestRepo,
          accessLog: repo,
          telecom: telecomQuery,
          people,
          recordings: (s, subjectId) => recordings.listForSubject(s, subjectId),
          policy: () => policies.policy(),
          now,
        }),
        incidents: new IncidentService({
          guard: new FreeTextGuard(() => policies.policy()),
          policy: () => policies.policy(),
          now,
        }),
        processingRecord: new ProcessingRecordService(() => policies.policy(), now),
      },
      retention,
      tokenLabels: new TokenLabels(keyring),
      now,
      close: async () => {
        await blobDeletions.settled();
        await security.close();
        await writer.close();
        await telecomIngest.close();
        await store.close();
      },
    };
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
}
