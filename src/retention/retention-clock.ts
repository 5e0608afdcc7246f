/**
 * Retention arithmetic: when a record's retention ends, given its rule and anchor, with an injected clock.
 * Periods are calendar periods (P5Y is five calendar years, not 5 × 365 days) counted in the operator's time zone
 * (Brasília by default), so a contract that ends on 30 June is kept until the end of 30 June five years later
 * wherever the server runs. All instants are stored and compared as ISO-8601 UTC text (`toISOString()`).
 */
import { DateTime, type Duration } from 'luxon';
import { SigiloError } from '../errors.ts';
import { parsePeriod, type RetentionRule } from '../policy/policy.schema.ts';

/** Brazil has had no daylight-saving time since 2019; the zone still names it for calendar arithmetic. */
export const DEFAULT_RETENTION_ZONE = 'America/Sao_Paulo';

// A calendar period and its inverse differ by at most three days around month ends (31 Mar − 1 month =
// 28 Feb, + 1 month = 28 Mar). SQL pre-filters use this margin; the exact check is always done here.
const SLACK_DAYS = 7;

/** Time and calendar for retention decisions; one per engine, built from the composition root's clock. */
export class RetentionClock {
  private readonly thresholds = new Map<string, string>();
  private readonly days = new Map<string, string>();
  /** Per rule, the last threshold computed and the instant it was computed at (see `expiredThrough`). */
  private readonly lastThreshold = new Map<string, { nowMs: number; throughMs: number }>();

  constructor(
    readonly now: () => Date,
    readonly zone: string = DEFAULT_RETENTION_ZONE,
  ) {
    if (!DateTime.now().setZone(zone).isValid) {
      throw new SigiloError('CONFIG_INVALID', `retention time zone '${zone}' is not a valid IANA zone`);
    }
  }

  /** Now as ISO-8601 UTC text. */
  nowIso(): string {
    return this.now().toISOString();
  }

  /** The period of an `after` rule as a Luxon duration (the policy schema already validated it). */
  period(rule: RetentionRule): Duration | null {
    if (rule.kind !== 'after') return null;
    const d = parsePeriod(rule.period);
    if (!d) throw new SigiloError('POLICY_INVALID', 'retention period is not a valid ISO-8601 duration');
    return d;
  }

  /** `anchor` (ISO instant) plus the rule's period (none for `until_contract_end`): when retention ends. */
  expiresAt(rule: RetentionRule, anchor: string): string {
    const d = this.period(rule);
    const start = DateTime.fromISO(anchor, { zone: 'utc' }).setZone(this.zone);
    if (!start.isValid) throw new SigiloError('VALIDATION_FAILED', 'retention anchor is not an ISO instant');
    return iso(d ? start.plus(d) : start);
  }

  /** True when retention under `rule` anchored at `anchor` has ended now (the boundary instant included). */
  isExpired(rule: RetentionRule, anchor: string): boolean {
    return this.expiresAt(rule, anchor) <= this.nowIso();
  }

  /** The start of a calendar day `YYYY-MM-DD` in the zone, as an ISO instant. */
  dayStart(date: string): string {
    let v = this.days.get(date);
    if (v === undefined) {
      v = iso(DateTime.fromISO(date, { zone: this.zone }).startOf('day'));
      // Dates repeat across rows (many invoices per month); the cache stays small.
      if (this.days.size > 10_000) this.days.clear();
      this.days.set(date, v);
    }
    return v;
  }

  /**
   * The instant a contract that ended on `endedOn` (its last day) stops being in force: the end of that day in
   * the zone, i.e. the start of the next. Periods "after contract end" count from here.
   */
  contractEnd(endedOn: string): string {
    return iso(
      DateTime.fromISO(this.dayStart(endedOn), { zone: 'utc' })
        .setZone(this.zone)
        .plus({ days: 1 })
        .startOf('day'),
    );
  }

  /**
   * An upper bound for anchors whose retention may have ended by now: every anchor `a` with
   * `expiresAt(rule, a) <= now` satisfies `a <= anchorUpperBound(rule)`. For SQL pre-filters only.
   */
  anchorUpperBound(rule: RetentionRule): string {
    const d = this.period(rule);
    const now = DateTime.fromJSDate(this.now()).setZone(this.zone);
    return iso((d ? now.minus(d) : now).plus({ days: SLACK_DAYS }));
  }

  /** A lower bound for anchors whose retention has not ended yet (for "next expiry" scans). */
  anchorLowerBound(rule: RetentionRule): string {
    const d = this.period(rule);
    const now = DateTime.fromJSDate(this.now()).setZone(this.zone);
    return iso((d ? now.minus(d) : now).minus({ days: SLACK_DAYS }));
  }

  /**
   * The latest anchor (ISO instant, millisecond precision) whose retention under `rule` has ended now. Expiry is
   * monotone in the anchor, so "expired" is exactly "anchor <= this": one binary search (about 30 calendar
   * computations) per scan instead of one per row, which is what lets a sweep keep up with a million rows; and
   * after the first scan of a rule, usually two computations that confirm the previous threshold moved with now.
   */
  expiredThrough(rule: RetentionRule): string {
    const nowMs = this.now().getTime();
    const ruleKey = JSON.stringify(rule);
    const key = `${ruleKey}|${nowMs}`;
    const hit = this.thresholds.get(key);
    if (hit) return hit;
    const now = new Date(nowMs).toISOString();
    const expiredAt = (ms: number): boolean => this.expiresAt(rule, new Date(ms).toISOString()) <= now;
    // The clock moves between the batches of a sweep (a millisecond is a new key): the last threshold moved by as
    // much is almost always the new one, and two calendar computations prove it (expiry is monotone in the anchor:
    // if `c` has expired and `c + 1 ms` has not, `c` is the latest anchor that has). Otherwise, the full search.
    const last = this.lastThreshold.get(ruleKey);
    let through: string | undefined;
    if (last) {
      const candidate = last.throughMs + (nowMs - last.nowMs);
      if (expiredAt(candidate) && !expiredAt(candidate + 1)) through = new Date(candidate).toISOString();
    }
    if (through === undefined) {
      let lo = Date.parse(this.anchorLowerBound(rule)) - 1; // expired
      let hi = Date.parse(this.anchorUpperBound(rule)) + 1; // not expired
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (expiredAt(mid)) lo = mid;
        else hi = mid;
      }
      through = new Date(lo).toISOString();
    }
    if (this.thresholds.size > 64) this.thresholds.clear();
    this.thresholds.set(key, through);
    if (this.lastThreshold.size > 64) this.lastThreshold.clear();
    this.lastThreshold.set(ruleKey, { nowMs, throughMs: Date.parse(through) });
    return through;
  }

  /** `anchorUpperBound` as a calendar date in the zone, for date-only anchors such as `ended_on`. */
  dateUpperBound(rule: RetentionRule): string {
    return DateTime.fromISO(this.anchorUpperBound(rule), { zone: 'utc' }).setZone(this.zone).toISODate()!;
  }

  /** `anchorLowerBound` as a calendar date in the zone. */
  dateLowerBound(rule: RetentionRule): string {
    return DateTime.fromISO(this.anchorLowerBound(rule), { zone: 'utc' }).setZone(this.zone).toISODate()!;
  }
}

function iso(dt: DateTime): string {
  return dt.toUTC().toJSDate().toISOString();
}
