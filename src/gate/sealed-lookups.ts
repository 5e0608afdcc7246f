/* eslint-disable @typescript-eslint/no-explicit-any -- applyWhere filters any Kysely query builder by the
   column names of a sealed-table spec, which Kysely's static types cannot follow. */
/**
 * Lookups in the sealed-table specs, and the guard that keeps every column a gate call names plain: a caller's
 * filter, order or plain value can never address a ciphertext or blind-index column.
 */
import type { Kysely } from 'kysely';
import { runShaped } from '../store/compiled-shapes.ts';
import type { SealedFieldSpec, SealedTableSpec } from './sealed-tables.ts';

const PLAIN_COLUMN = /^[a-z][a-z0-9_]*$/;
const WITH_UPDATED_AT = new Set([
  'accounts',
  'people',
  'contracts',
  'invoices',
  'tickets',
  'credentials',
  'authority_requests',
]);

// The sealed and index columns of each table spec (specs are constants; the set is built once per spec).
const SEALED_COLUMNS = new WeakMap<SealedTableSpec, Set<string | undefined>>();

/** The spec of one sealed field; throws on a name the table does not declare. */
export function fieldOf(table: SealedTableSpec, name: string): SealedFieldSpec {
  const field = table.fields[name];
  if (!field) throw new Error(`unknown sealed field ${name} of ${table.table}`);
  return field;
}

/** The policy categories the given fields belong to (each once). */
export function categoriesOf(table: SealedTableSpec, fields: string[]): string[] {
  return [...new Set(fields.map((f) => fieldOf(table, f).category))];
}

/** The fields a read opens by default: all but password hashes, which are never read back. */
export function readableFields(table: SealedTableSpec): string[] {
  return Object.entries(table.fields)
    .filter(([, f]) => f.encoding !== 'password')
    .map(([name]) => name);
}

/** Whether the table keeps an `updated_at` column the gate maintains. */
export function hasUpdatedAt(table: SealedTableSpec): boolean {
  return WITH_UPDATED_AT.has(table.table);
}

/** Whether a column of a row as read is sealed material (ciphertext or blind index), never returned as plain. */
export function isSealedColumn(column: string): boolean {
  return column.endsWith('_ct') || column.endsWith('_bidx');
}

/** Throws unless every column is a plain column of the table (a well-formed name, neither sealed nor an index). */
export function assertPlainColumns(table: SealedTableSpec, columns: string[]): void {
  let sealedColumns = SEALED_COLUMNS.get(table);
  if (!sealedColumns) {
    sealedColumns = new Set(Object.values(table.fields).flatMap((f) => [f.column, f.index?.column]));
    SEALED_COLUMNS.set(table, sealedColumns);
  }
  for (const c of columns) {
    if (!PLAIN_COLUMN.test(c) || sealedColumns.has(c) || isSealedColumn(c)) {
      throw new Error(`column ${c} of ${table.table} is not a plain column`);
    }
  }
}

/** Adds equality filters (an array means IN) on plain columns, and the table view's fixed columns, to `q`. */
export function applyWhere<Q extends { where: (...args: any[]) => Q }>(
  table: SealedTableSpec,
  q: Q,
  where: Record<string, unknown> = {},
): Q {
  const all = { ...where, ...table.fixed };
  assertPlainColumns(table, Object.keys(all));
  for (const [col, value] of Object.entries(all)) {
    q = Array.isArray(value)
      ? q.where(col, 'in', value.length ? value : ['\u0000none'])
      : q.where(col, '=', value);
  }
  return q;
}

/** What `selectRows` reads besides the equality filters: a blind-index match, an order and a limit. */
export interface RowSelection {
  index?: { column: string; value: Buffer };
  orderBy?: string;
  limit?: number;
}

/**
 * Every column of the rows of `table` matching `where` (as `applyWhere` filters) and `sel`, through a statement
 * compiled once per shape: the key names table, columns and IN-list lengths, never a value.
 */
export async function selectRows(
  db: Kysely<any>,
  table: SealedTableSpec,
  where: Record<string, unknown>,
  sel: RowSelection = {},
): Promise<Record<string, unknown>[]> {
  const all = { ...where, ...table.fixed };
  assertPlainColumns(table, Object.keys(all));
  if (sel.orderBy) assertPlainColumns(table, [sel.orderBy]);
  const values: unknown[] = [];
  const parts: string[] = [table.table];
  for (const [col, value] of Object.entries(all)) {
    if (Array.isArray(value)) {
      const list: unknown[] = value.length ? (value as unknown[]) : ['\u0000none'];
      parts.push(`${col}[${list.length}]`);
      values.push(...list);
    } else {
      parts.push(col);
      values.push(value);
    }
  }
  if (sel.index) {
    parts.push(`#${sel.index.column}`);
    values.push(sel.index.value);
  }
  parts.push(`<${sel.orderBy ?? ''}`, `^${sel.limit ?? ''}`);
  const { rows } = await runShaped<Record<string, unknown>>(
    db,
    `gate.select|${parts.join('|')}`,
    values,
    (slot) => {
      let q = db.selectFrom(table.table).selectAll();
      let i = 0;
      for (const [col, value] of Object.entries(all)) {
        q = Array.isArray(value)
          ? q.where(
              col,
              'in',
              (value.length ? value : [0]).map(() => slot(i++)),
            )
          : q.where(col, '=', slot(i++));
      }
      if (sel.index) q = q.where(sel.index.column, '=', slot(i++));
      if (sel.orderBy) q = q.orderBy(sel.orderBy);
      if (sel.limit) q = q.limit(sel.limit);
      return q;
    },
  );
  return rows;
}
