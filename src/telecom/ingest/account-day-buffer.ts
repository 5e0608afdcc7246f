/**
 * Attributed records held per account and UTC day across the batches of one import, so that a file spread over
 * many accounts is stored as few large segments (one per account and day, up to SEGMENT_MAX records) in
 * transactions of many accounts. Without it each batch of 5,000 records cut every account's day into a segment
 * of a few records, each with its own key-group lock, row, seal and access-log entry (P8: 500 accounts, ~10
 * records a segment). Bounded: at most `flushAt` records are held (plus one batch).
 */
import type { StorableRecord } from '../records/telecom-record.ts';
import type { AttributedGroup } from '../sealing/telecom-prepare.pool.ts';
import { dayOf, SEGMENT_MAX } from '../sealing/telecom-prepare.ts';

interface Group {
  accountId: string;
  day: string;
  records: StorableRecord[];
  lines: number[];
}

export interface AccountDayBufferOptions {
  /** Records held before the oldest days are stored (a memory bound). */
  flushAt: number;
  /** Full segments are stored as soon as they add up to this many records (one transaction's worth). */
  transaction: number;
  /** Records of a full segment. */
  segmentMax?: number;
}

export class AccountDayBuffer {
  private readonly groups = new Map<string, Group>();
  private readonly segmentMax: number;
  private held = 0;
  /** Records in groups of a full segment or more. */
  private full = 0;

  constructor(private readonly options: AccountDayBufferOptions) {
    this.segmentMax = options.segmentMax ?? SEGMENT_MAX;
  }

  /** Records held. */
  get size(): number {
    return this.held;
  }

  /** Holds a record of `accountId` (read from `line`). */
  add(accountId: string, record: StorableRecord, line: number): void {
    const day = dayOf(record.at);
    const id = `${accountId}\u0000${day}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { accountId, day, records: [], lines: [] }));
    g.records.push(record);
    g.lines.push(line);
    this.held++;
    if (g.records.length === this.segmentMax) this.full += this.segmentMax;
    else if (g.records.length > this.segmentMax) this.full++;
  }

  /**
   * What to store now, or null to read on: the full segments once they make a transaction (a few large accounts,
   * or one account with --account), else, once `flushAt` records are held, whole groups of the oldest days until
   * half that is left (a time-ordered file's past days are complete by then: one segment each).
   */
  take(): AttributedGroup[] | null {
    if (this.full >= this.options.transaction) {
      const out: Group[] = [];
      for (const [id, g] of this.groups) {
        if (g.records.length < this.segmentMax) continue;
        const n = g.records.length - (g.records.length % this.segmentMax);
        out.push({ ...g, records: g.records.slice(0, n), lines: g.lines.slice(0, n) });
        if (n === g.records.length) this.groups.delete(id);
        else {
          g.records = g.records.slice(n);
          g.lines = g.lines.slice(n);
        }
        this.held -= n;
      }
      this.full = 0;
      return byAccount(out);
    }
    if (this.held < this.options.flushAt) return null;
    const oldest = [...this.groups.entries()].sort(([, a], [, b]) =>
      a.day === b.day ? cmp(a.accountId, b.accountId) : cmp(a.day, b.day),
    );
    const out: Group[] = [];
    for (const [id, g] of oldest) {
      if (this.held <= this.options.flushAt / 2) break;
      out.push(g);
      this.groups.delete(id);
      this.held -= g.records.length;
      if (g.records.length >= this.segmentMax) this.full -= g.records.length;
    }
    return byAccount(out);
  }

  /** Everything held (the end of the input). */
  drain(): AttributedGroup[] {
    const out = [...this.groups.values()];
    this.groups.clear();
    this.held = 0;
    this.full = 0;
    return byAccount(out);
  }
}

/** Groups of one account merged (the preparer splits an account's records by day again). */
function byAccount(groups: Group[]): AttributedGroup[] {
  const m = new Map<string, AttributedGroup>();
  for (const g of groups) {
    const a = m.get(g.accountId);
    if (!a) m.set(g.accountId, { accountId: g.accountId, records: g.records, lines: g.lines });
    else {
      a.records = a.records.concat(g.records);
      a.lines = a.lines.concat(g.lines);
    }
  }
  return [...m.values()];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
