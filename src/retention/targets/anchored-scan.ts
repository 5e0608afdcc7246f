/**
 * Shared scanning for targets whose records expire at "anchor + period": rows come from SQL in (anchor, id) order
 * with a conservative bound, and the exact expiry is decided here with the retention clock, so a record goes at
 * its boundary instant, not a day before or after, whatever the SQL dialect does with dates.
 */
import type { RetentionRule } from '../../policy/policy.schema.ts';
import type { RetentionClock } from '../retention-clock.ts';
import type { RetentionItem, ScanQuery, ScanResult } from '../retention-target.ts';

/** `instant`: ISO-8601 UTC text; `end_date`: a calendar day whose end is the anchor (a contract's last day). */
export type AnchorType = 'instant' | 'end_date';

export interface AnchorRange {
  /** Only anchors <= max (upper bound for expired rows). */
  max?: string;
  /** Only anchors >= min (lower bound for unexpired rows). */
  min?: string;
  /** Keyset: rows strictly after (anchor, id). */
  after: [string, string] | null;
  limit: number;
}

/** Rows with their anchor value (as stored) and id, in (anchor, id) order. */
export type AnchoredFetch<R extends { id: string; anchor: string }> = (range: AnchorRange) => Promise<R[]>;

export function anchorInstant(clock: RetentionClock, type: AnchorType, anchor: string): string {
  return type === 'end_date' ? clock.contractEnd(anchor) : anchor;
}

export function encodeCursor(anchor: string, id: string): string {
  return JSON.stringify([anchor, id]);
}

export function decodeCursor(cursor: string | null): [string, string] | null {
  if (cursor === null) return null;
  const v = JSON.parse(cursor) as unknown;
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') {
    throw new Error('malformed retention cursor');
  }
  return [v[0], v[1]];
}

function upperBound(clock: RetentionClock, rule: RetentionRule, type: AnchorType): string {
  return type === 'end_date' ? clock.dateUpperBound(rule) : clock.anchorUpperBound(rule);
}

function lowerBound(clock: RetentionClock, rule: RetentionRule, type: AnchorType): string {
  return type === 'end_date' ? clock.dateLowerBound(rule) : clock.anchorLowerBound(rule);
}

const DAY_MS = 86_400_000;

/** One scan page: expired items among the next `limit` rows after the cursor. */
export async function anchoredScan<R extends { id: string; anchor: string }>(
  q: ScanQuery,
  type: AnchorType,
  fetch: AnchoredFetch<R>,
  /**
   * Builds the item. Declare only `(row, anchorAt)` and `expiresAt` is computed when read (a preview); a third
   * parameter receives it computed up front (one calendar computation per row: slower on big sweeps).
   */
  toItem: (
    row: R,
    anchorAt: string,
    expiresAt: string,
  ) => Omit<RetentionItem, 'expiresAt'> & { expiresAt?: string },
): Promise<ScanResult> {
  const eager = toItem.length >= 3;
  const rows = await fetch({
    max: upperBound(q.clock, q.rule, type),
    after: decodeCursor(q.after),
    limit: q.limit,
  });
  const through = q.clock.expiredThrough(q.rule);
  const throughMs = Date.parse(through);
  const instants = new Map<string, string>();
  const items: RetentionItem[] = [];
  for (const r of rows) {
    let at = instants.get(r.anchor);
    if (at === undefined) {
      at = anchorInstant(q.clock, type, r.anchor);
      instants.set(r.anchor, at);
    }
    // Exact for every row; the per-row calendar check only runs within a day of the threshold.
    const expired =
      Math.abs(Date.parse(at) - throughMs) < DAY_MS ? q.clock.isExpired(q.rule, at) : at <= through;
    if (!expired) continue;
    const anchorAt = at;
    if (eager) {
      items.push({ ...toItem(r, anchorAt, q.clock.expiresAt(q.rule, anchorAt)) } as RetentionItem);
      continue;
    }
    const item = toItem(r, anchorAt, '') as RetentionItem;
    // Computed only when read (previews): a sweep of a million rows never needs it.
    Object.defineProperty(item, 'expiresAt', {
      enumerable: true,
      get: () => q.clock.expiresAt(q.rule, anchorAt),
    });
    items.push(item);
  }
  const last = rows.at(-1);
  return { items, next: last && rows.length >= q.limit ? encodeCursor(last.anchor, last.id) : null };
}

/** The earliest expiry after now among rows fetched in anchor order from the lower bound. */
export async function anchoredNextExpiry<R extends { id: string; anchor: string }>(
  clock: RetentionClock,
  rule: RetentionRule,
  type: AnchorType,
  fetch: AnchoredFetch<R>,
): Promise<string | null> {
  const now = clock.nowIso();
  const min = lowerBound(clock, rule, type);
  let after: [string, string] | null = null;
  const pageSize = 500;
  for (;;) {
    const rows = await fetch({ min, after, limit: pageSize });
    for (const r of rows) {
      const expiresAt = clock.expiresAt(rule, anchorInstant(clock, type, r.anchor));
      if (expiresAt > now) return expiresAt;
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return null;
    after = [last.anchor, last.id];
  }
}
