/**
 * The two queries every retention target runs, written once: a keyset page of rows in (anchor, id) order within
 * an anchor range (what `anchoredScan` and `anchoredNextExpiry` fetch), and "which of these ids does this table
 * still refer to" (`references`, guards). Both chunk id lists under every dialect's bound-parameter limit.
 */
import { sql, type SelectQueryBuilder, type StringReference } from 'kysely';
import type { Database } from '../../store/database.ts';
import type { Db, Tx } from '../../store/store.ts';
import type { RetentionItem } from '../retention-target.ts';
import type { AnchorRange } from './anchored-scan.ts';

/** Splits a list into chunks that stay under every dialect's bound-parameter limit. */
export function chunks<T>(list: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Narrows a select to one page of an anchor range: `min <= anchor <= max`, strictly after the keyset cursor
 * `(anchor, id)`, ordered by (anchor, id), at most `limit` rows. The cursor is a row-value comparison, which both
 * engines turn into one index range.
 */
export function anchorPage<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  anchor: StringReference<DB, TB> & string,
  id: StringReference<DB, TB> & string,
  range: AnchorRange,
): SelectQueryBuilder<DB, TB, O> {
  const a = sql.ref(anchor);
  const i = sql.ref(id);
  let page = q;
  if (range.max !== undefined) page = page.where(sql<boolean>`${a} <= ${range.max}`);
  if (range.min !== undefined) page = page.where(sql<boolean>`${a} >= ${range.min}`);
  if (range.after) {
    const [afterAnchor, afterId] = range.after;
    page = page.where(sql<boolean>`(${a}, ${i}) > (${afterAnchor}, ${afterId})`);
  }
  return page.orderBy(a).orderBy(i).limit(range.limit);
}

type TextColumn<T extends keyof Database> = {
  [C in keyof Database[T]]: Database[T][C] extends string | null ? C : never;
}[keyof Database[T]] &
  string;

/**
 * Of `ids`, those that some row of `table` holds in one of `columns` (optionally only rows whose `where.column`
 * is one of `where.in`): the subjects a target's records still need, or the parents a child still points at.
 */
export async function presentIn<T extends keyof Database>(
  db: Db | Tx,
  table: T,
  columns: readonly TextColumn<T>[],
  ids: readonly string[],
  where?: { column: TextColumn<T>; in: readonly string[] },
): Promise<Set<string>> {
  const out = new Set<string>();
  const narrow = where ? sql` and ${sql.ref(where.column)} in (${sql.join([...where.in])})` : sql``;
  for (const part of chunks([...new Set(ids)])) {
    for (const column of columns) {
      const c = sql.ref(column);
      const { rows } = await sql<{ ref: string | null }>`select distinct ${c} as ref from ${sql.table(table)}
        where ${c} in (${sql.join(part)})${narrow}`.execute(db);
      for (const r of rows) if (r.ref !== null) out.add(r.ref);
    }
  }
  return out;
}

/** How many rows of `table` each of `parentIds` has in `column` (a parent with none is absent). */
export async function childCounts<T extends keyof Database>(
  db: Db | Tx,
  table: T,
  column: TextColumn<T>,
  parentIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks([...new Set(parentIds)])) {
    const c = sql.ref(column);
    const { rows } = await sql<{ parent: string; n: number | string }>`select ${c} as parent, count(*) as n
      from ${sql.table(table)} where ${c} in (${sql.join(part)}) group by ${c}`.execute(db);
    for (const r of rows) out.set(r.parent, Number(r.n));
  }
  return out;
}

/**
 * For a preview: sets each item's `records` to itself plus its child rows (a ticket's messages, a contract's
 * events), which its deletion removes too, so the preview counts what the sweep will. A sweep skips this.
 */
export async function countChildRecords<T extends keyof Database>(
  db: Db | Tx,
  items: readonly RetentionItem[],
  table: T,
  column: TextColumn<T>,
): Promise<void> {
  const counts = await childCounts(
    db,
    table,
    column,
    items.map((i) => i.id),
  );
  // In place: items may compute `expiresAt` lazily, which a copy would force.
  for (const i of items) i.records = 1 + (counts.get(i.id) ?? 0);
}
