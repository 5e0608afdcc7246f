/**
 * Bulk ingestion of telecom records: attribution to accounts, normalisation, and batches handed to the gate
 * (one transaction each, so a killed import loses at most the batch in flight and a re-run skips what is
 * stored). Rows that cannot be read or attributed go to the error report with their line, never dropped silently.
 */
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import type { Gate } from '../../gate/gate.ts';
import type { AttributedGroup, PreparedCdrBatch, TelecomPreparer } from '../sealing/telecom-prepare.pool.ts';
import { AccountDayBuffer } from './account-day-buffer.ts';
import { attributeCdrs } from './cdr-attribution.ts';
import {
  indexTelecomBacklog,
  storePreparedTelecom,
  storeTelecomRecords,
  type AccountBatch,
} from '../sealing/telecom-records.gate.ts';
import type { Store } from '../../store/store.ts';
import type { Attributor, AttributionFacts } from '../attribution/attribution.ts';
import { AttributionRuleService } from '../attribution/attribution-rule.service.ts';
import type { ParsedCdr, ParseOutcome } from '../formats/cdr-record.ts';
import { checkRecordInput, parsedFromInput } from '../records/record-input.schema.ts';
import {
  storableAccess,
  storableConnection,
  storableTraffic,
  type StorableRecord,
  type TelecomKind,
} from '../records/telecom-record.ts';

/** Records per transaction: large enough to amortise a commit, small enough to keep an import near 200 MB. */
export const DEFAULT_BATCH = 5_000;

/**
 * Batches' worth of attributed records an import holds per account and day before it stores the oldest days: a
 * file over 500 accounts then gives each account's day a few segments instead of one per batch (P8), and a
 * transaction holds at most this many batches. Held records outlive the young generation, so more costs garbage
 * collection under the import's 160 MB heap: P8 at 300,000 rows took 25.0 s CPU with 8, 19.5 s with 3, 18.4 s with
 * 2, against 26.2 s before the buffer.
 */
export const BUFFER_BATCHES = 3;

/** Most errors kept in a report (the count goes on). */
export const ERROR_REPORT_LIMIT = 10_000;

export interface IngestReport {
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
  errors: { line: number; reason: string }[];
}

export interface IngestProgress {
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
}

export interface IngestOptions {
  /** Attribute every record to this account (skips the rules). */
  accountId?: string;
  /** Provenance source: 'import' for files, 'network_platform' for platform pushes. */
  source?: 'import' | 'network_platform';
  batchSize?: number;
  onProgress?: (p: IngestProgress) => void;
}

/** An item to attribute and store. */
interface Pending {
  line: number;
  accountId: string | null;
  record: StorableRecord;
}

export class RecordIngestService {
  private readonly rules = new AttributionRuleService();

  constructor(
    private readonly gate: Gate,
    private readonly store: Store,
    /** Worker threads that hash bulk CDR batches (no data key) while the previous batch is stored. */
    private readonly preparer: TelecomPreparer,
  ) {}

  /** The rules of one import, read once through the gate (one access-log entry per import, not per record). */
  private attributor(ctx: AccessContext): Promise<Attributor> {
    return this.gate.run(ctx, (s) => this.rules.attributor(s));
  }

  /** Stops the preparing worker threads. */
  close(): Promise<void> {
    return this.preparer.close();
  }

  /**
   * Ingests CDRs read by one of the file readers. Batches are prepared (attribution, normalisation, keyed
   * hashes, encoding) on the gate's worker threads while the previous batch is stored, and stored in order, one
   * transaction each.
   */
  async ingestCdrs(
    ctx: AccessContext,
    outcomes: AsyncIterable<ParseOutcome>,
    options: IngestOptions = {},
  ): Promise<IngestReport> {
    await this.indexBacklog(ctx, 'cdr');
    return this.pipeCdrs(ctx, outcomes, options);
  }

  /**
   * Gives term postings to segments stored before they existed, a transaction per 500, up to `max` segments
   * (every import does this first, so the backlog the 2026-12-04T1500 migration listed drains as data comes in;
   * until then searches find those segments through their Bloom filters). Returns how many were indexed.
   */
  async indexBacklog(ctx: AccessContext, kind: TelecomKind, max = 5_000): Promise<number> {
    // Nothing waiting (the common case once drained): no gate transaction, so concurrent importers on SQLite
    // do not queue for the write lock only to find an empty backlog.
    const waiting = await this.store.db
      .selectFrom('telecom_unindexed_segments')
      .select('segment_id')
      .where('kind', '=', kind)
      .limit(1)
      .executeTakeFirst();
    if (!waiting) return 0;
    let done = 0;
    while (done < max) {
      const n = await this.gate.run(ctx, (s) => indexTelecomBacklog(s, kind, Math.min(500, max - done)));
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /**
   * The bulk CDR pipeline (files and HTTP batches): rejected items are reported at once; the rest are attributed
   * and normalised a batch at a time and held per account and UTC day (AccountDayBuffer) until they make large
   * segments, then prepared and stored in order, one transaction each. One transaction is prepared ahead: its
   * keyed hashes are computed (on a worker, when configured) while the previous one is stored.
   */
  private async pipeCdrs(
    ctx: AccessContext,
    items: AsyncIterable<ParseOutcome & { accountId?: string | undefined }>,
    options: IngestOptions,
  ): Promise<IngestReport> {
    await this.assertAccount(options.accountId);
    const report = emptyReport();
    const target = options.accountId
      ? { accountId: options.accountId }
      : { attributor: await this.attributor(ctx) };
    const preparer = this.preparer;
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const buffer = new AccountDayBuffer({ flushAt: BUFFER_BATCHES * batchSize, transaction: batchSize });
    const inFlight: Promise<PreparedCdrBatch>[] = [];
    const store = async (batch: PreparedCdrBatch): Promise<void> => {
      await this.flushPrepared(ctx, batch, report, options);
    };
    const dispatch = (groups: AttributedGroup[] | null): void => {
      if (!groups?.length) return;
      const p = preparer.prepareGroups(groups);
      // Awaited in order later; until then a failure must not surface as an unhandled rejection.
      p.catch(() => undefined);
      inFlight.push(p);
    };
    let parsed: ParsedCdr[] = [];
    let explicit: (string | null)[] = [];
    let anyExplicit = false;
    const attribute = (): void => {
      const { byAccount, rejects } = attributeCdrs(parsed, target, anyExplicit ? explicit : undefined);
      for (const r of rejects) reject(report, r.line, r.reason);
      for (const [accountId, g] of byAccount)
        for (let i = 0; i < g.records.length; i++) buffer.add(accountId, g.records[i]!, g.lines[i]!);
      parsed = [];
      explicit = [];
      anyExplicit = false;
    };
    try {
      for await (const o of items) {
        report.read++;
        if (!o.ok) {
          reject(report, o.line, o.reason);
          continue;
        }
        parsed.push(o.record);
        explicit.push(o.accountId ?? null);
        if (o.accountId) anyExplicit = true;
        if (parsed.length >= batchSize) {
          attribute();
          dispatch(buffer.take());
          if (inFlight.length > 1) await store(await inFlight.shift()!);
        }
      }
      if (parsed.length) attribute();
      dispatch(buffer.drain());
      while (inFlight.length) await store(await inFlight.shift()!);
    } finally {
      // A failed batch stops the import; batches still being prepared are awaited so none is left dangling.
      await Promise.allSettled(inFlight);
    }
    return report;
  }

  /** Stores one prepared batch in one gated transaction (accounts that do not exist are reported). */
  private async flushPrepared(
    ctx: AccessContext,
    batch: PreparedCdrBatch,
    report: IngestReport,
    options: IngestOptions,
  ): Promise<void> {
    const known = await this.knownAccounts(batch.accounts.map((a) => a.accountId));
    const accounts = batch.accounts.filter((a) => known.has(a.accountId));
    for (const a of batch.accounts) {
      if (known.has(a.accountId)) continue;
      for (const line of a.lines ?? []) reject(report, line, 'the attributed account does not exist');
    }
    if (accounts.length) {
      const r = await this.gate.run(ctx, (s) =>
        storePreparedTelecom(s, 'cdr', accounts, options.source ?? 'import'),
      );
      report.stored += r.stored;
      report.duplicates += r.duplicates;
    }
    progress(report, options);
  }

  /**
   * Ingests a batch of records of `kind` sent as JSON objects (HTTP API). Each is validated on its own; bad ones
   * are reported with their index and the rest are stored.
   */
  async ingestObjects(
    ctx: AccessContext,
    kind: TelecomKind,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    options: IngestOptions = {},
  ): Promise<IngestReport> {
    await this.indexBacklog(ctx, kind);
    if (kind === 'cdr') return this.pipeCdrs(ctx, this.cdrObjects(items), options);
    await this.assertAccount(options.accountId);
    const attributor = await this.attributor(ctx);
    const report = emptyReport();
    let pending: Pending[] = [];
    let index = 0;
    for await (const item of items) {
      index++;
      report.read++;
      const parsed = this.parseObject(kind, item);
      if ('problem' in parsed) {
        reject(report, index, parsed.problem);
        continue;
      }
      const accountId = options.accountId ?? parsed.accountId ?? attributor.resolve(parsed.facts);
      if (!accountId) {
        reject(report, index, 'no accountId and no attribution rule matches this record');
        continue;
      }
      pending.push({ line: index, accountId, record: parsed.record });
      if (pending.length >= (options.batchSize ?? DEFAULT_BATCH)) {
        await this.flush(ctx, kind, pending, report, options);
        pending = [];
      }
    }
    await this.flush(ctx, kind, pending, report, options);
    return report;
  }

  /** CDRs of an HTTP batch as parse outcomes (index as line), with the account a record names. */
  private async *cdrObjects(
    items: Iterable<unknown> | AsyncIterable<unknown>,
  ): AsyncGenerator<ParseOutcome & { accountId?: string | undefined }> {
    let index = 0;
    for await (const item of items) yield parsedFromInput(item, ++index);
  }

  private parseObject(kind: Exclude<TelecomKind, 'cdr'>, item: unknown): Parsed | { problem: string } {
    switch (kind) {
      case 'connection': {
        const r = checkRecordInput(kind, item);
        if ('problem' in r) return r;
        return {
          record: storableConnection(r.value),
          accountId: r.value.accountId,
          facts: { username: r.value.username ?? null, sourceIp: r.value.ip },
        };
      }
      case 'access': {
        const r = checkRecordInput(kind, item);
        if ('problem' in r) return r;
        return {
          record: storableAccess(r.value),
          accountId: r.value.accountId,
          facts: { username: r.value.user, sourceIp: r.value.ip },
        };
      }
      case 'traffic': {
        const r = checkRecordInput(kind, item);
        if ('problem' in r) return r;
        return { record: storableTraffic(r.value), accountId: r.value.accountId, facts: {} };
      }
    }
  }

  private async flush(
    ctx: AccessContext,
    kind: TelecomKind,
    pending: Pending[],
    report: IngestReport,
    options: IngestOptions,
  ): Promise<void> {
    if (pending.length === 0) return;
    const byAccount = new Map<string, StorableRecord[]>();
    for (const p of pending) {
      let list = byAccount.get(p.accountId!);
      if (!list) byAccount.set(p.accountId!, (list = []));
      list.push(p.record);
    }
    const known = await this.knownAccounts([...byAccount.keys()]);
    const batches: AccountBatch[] = [];
    for (const [accountId, records] of byAccount) {
      if (!known.has(accountId)) {
        for (const p of pending)
          if (p.accountId === accountId) reject(report, p.line, 'the attributed account does not exist');
        continue;
      }
      // An account's data subject is the account itself.
      batches.push({ accountId, records });
    }
    const r = await this.gate.run(ctx, (s) =>
      storeTelecomRecords(s, kind, batches, options.source ?? 'import'),
    );
    report.stored += r.stored;
    report.duplicates += r.duplicates;
    progress(report, options);
  }

  private readonly accountCache = new Set<string>();

  private async knownAccounts(ids: string[]): Promise<Set<string>> {
    const missing = ids.filter((id) => !this.accountCache.has(id));
    if (missing.length) {
      const rows = await this.store.db
        .selectFrom('accounts')
        .select('id')
        .where('id', 'in', missing)
        .execute();
      for (const r of rows) this.accountCache.add(r.id);
    }
    return new Set(ids.filter((id) => this.accountCache.has(id)));
  }

  private async assertAccount(accountId: string | undefined): Promise<void> {
    if (accountId && !(await this.knownAccounts([accountId])).has(accountId)) {
      throw new SigiloError('NOT_FOUND', 'account not found', { resource: 'account', path: 'accountId' });
    }
  }
}

interface Parsed {
  record: StorableRecord;
  accountId: string | undefined;
  facts: AttributionFacts;
}

function emptyReport(): IngestReport {
  return { read: 0, stored: 0, duplicates: 0, rejected: 0, errors: [] };
}

function reject(report: IngestReport, line: number, reason: string): void {
  report.rejected++;
  if (report.errors.length < ERROR_REPORT_LIMIT) report.errors.push({ line, reason });
}

function progress(report: IngestReport, options: IngestOptions): void {
  options.onProgress?.({
    read: report.read,
    stored: report.stored,
    duplicates: report.duplicates,
    rejected: report.rejected,
  });
}
