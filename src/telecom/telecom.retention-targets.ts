/**
 * Retention of telecom records (SPEC §6): CDRs (`call_record`, P5Y by default), connection records
 * (`connection_record`, P1Y), customer-system access records (`access_record`, P6M) and traffic/usage data
 * (`traffic_data`, P1Y), each counted from the record's own time. Records are stored in sealed segments (one
 * account, one kind, one UTC day), so the unit of deletion is the segment: it goes when its LAST record's retention
 * has ended, never before. Whole UTC days whose end + period has passed go in one statement per table (the
 * engine's period path, used only when no hold touches the day); the rest go segment by segment, exactly.
 */
import { digestIds } from '../retention/deletion-certificate.ts';
import type {
  DeleteResult,
  PeriodDeletion,
  RetentionItem,
  RetentionPeriod,
  RetentionRegistry,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from '../retention/retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchoredFetch } from '../retention/targets/anchored-scan.ts';
import { anchorPage, chunks, presentIn } from '../retention/targets/target-queries.ts';
import type { GateSession } from '../gate/gate.ts';
import { deleteTelecomDay, deleteTelecomSegments } from './sealing/telecom-records.gate.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import { KIND_CATEGORY, type TelecomKind } from './records/telecom-record.ts';

interface SegmentAnchorRow {
  id: string;
  /** last_at: the segment's retention ends with its last record's. */
  anchor: string;
  account_id: string;
  subject_id: string;
  first_at: string;
  record_count: number;
}

const DAY_MS = 86_400_000;
const nextDayStart = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString();

/** Per kind: target id, Portuguese description, sweep order (telecom 10–30). */
const TARGETS: Record<TelecomKind, { id: string; description: string; order: number }> = {
  access: { id: 'telecom.access', description: 'registros de acesso a portal, aplicativo e API', order: 10 },
  connection: { id: 'telecom.connection', description: 'registros de conexão', order: 15 },
  cdr: { id: 'telecom.cdr', description: 'registros de chamadas (CDRs)', order: 20 },
  traffic: { id: 'telecom.traffic', description: 'dados de tráfego e uso', order: 25 },
};

/** Sealed segments of one telecom record kind as a retention target. */
export class TelecomRetentionTarget implements RetentionTarget {
  readonly id: string;
  readonly category: string;
  readonly description: string;
  readonly order: number;
  readonly periods: PeriodDeletion;

  constructor(
    readonly kind: TelecomKind,
    /** Only one target should forget attribution rules (they are per account, not per kind). */
    private readonly forgetsAttribution = false,
  ) {
    const t = TARGETS[kind];
    this.id = t.id;
    this.description = t.description;
    this.order = t.order;
    this.category = KIND_CATEGORY[kind];
    this.periods = {
      list: (db, endsBy, limit) => this.listDays(db, endsBy, limit),
      drop: (session, period) => this.dropDay(session, period),
    };
    if (forgetsAttribution) this.forgetSubjects = (s, ids) => this.forgetAttribution(s, ids);
  }

  forgetSubjects?: (session: GateSession, subjectIds: readonly string[]) => Promise<number>;

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && rule.anchor === 'record_created';
  }

  private fetch(db: Tx): AnchoredFetch<SegmentAnchorRow> {
    return async (r) => {
      let q = db
        .selectFrom('telecom_segments')
        .select(['id', 'last_at as anchor', 'account_id', 'subject_id', 'first_at', 'record_count'])
        .where('kind', '=', this.kind);
      // A segment's day is the UTC day of all its records: bounding it lets the (kind, day) index do the work.
      if (r.max !== undefined) q = q.where('day', '<=', r.max.slice(0, 10));
      if (r.min !== undefined) q = q.where('day', '>=', r.min.slice(0, 10));
      return anchorPage(q, 'last_at', 'id', r).execute();
    };
  }

  scan(q: ScanQuery): Promise<ScanResult> {
    return anchoredScan(q, 'instant', this.fetch(q.db), (row) => ({
      id: row.id,
      subjectId: row.subject_id,
      accounts: [row.account_id],
      people: [],
      from: row.first_at,
      to: row.anchor,
      records: row.record_count,
    }));
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    const r = await deleteTelecomSegments(
      session,
      this.kind,
      items.map((i) => i.id),
    );
    return { records: r.records, subjects: r.subjects };
  }

  references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    return presentIn(db, 'telecom_segments', ['account_id'], subjectIds, { column: 'kind', in: [this.kind] });
  }

  /** UTC days holding segments of this kind whose end is at most `endsBy`, oldest first. */
  private async listDays(db: Tx, endsBy: string, limit: number): Promise<RetentionPeriod[]> {
    const rows = await db
      .selectFrom('telecom_segments')
      .select('day')
      .distinct()
      .where('kind', '=', this.kind)
      .where('day', '<', endsBy.slice(0, 10))
      .orderBy('day')
      .limit(limit)
      .execute();
    return rows
      .map((r) => ({ key: `${this.kind}/${r.day}`, from: `${r.day}T00:00:00.000Z`, to: nextDayStart(r.day) }))
      .filter((p) => p.to <= endsBy);
  }

  private async dropDay(
    session: GateSession,
    period: RetentionPeriod,
  ): Promise<DeleteResult & { items: number; digest: string }> {
    const r = await deleteTelecomDay(session, this.kind, period.from.slice(0, 10));
    return {
      items: r.segmentIds.length,
      records: r.records,
      subjects: r.subjects,
      digest: digestIds(r.segmentIds),
    };
  }

  /** Attribution rules name the account: they go with its identity (configuration, not a retained record). */
  private async forgetAttribution(session: GateSession, subjectIds: readonly string[]): Promise<number> {
    let n = 0;
    for (const ids of chunks(subjectIds)) {
      n += await session.deleteWhereIn('attributionRules', 'subject_id', ids);
    }
    return n;
  }
}

/** The four telecom targets, one per record kind. */
export function telecomRetentionTargets(): TelecomRetentionTarget[] {
  return [
    new TelecomRetentionTarget('access'),
    new TelecomRetentionTarget('connection'),
    new TelecomRetentionTarget('cdr', true),
    new TelecomRetentionTarget('traffic'),
  ];
}

/** Plugs telecom records (CDRs, connection, access, traffic) into the retention engine. */
export function registerTelecomRetention(registry: RetentionRegistry): void {
  for (const t of telecomRetentionTargets()) registry.register(t);
}
