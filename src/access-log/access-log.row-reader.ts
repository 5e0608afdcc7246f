/**
 * The reads of access-log verification: entries as flat arrays in chain order, the links as hex text. A row read
 * this way costs about half of a Kysely row turned into a `ChainedEntry` (profile in docs/security.md): better-sqlite3
 * makes a Buffer per blob, which cost more than the hex text of both links, and no object is built per row. This
 * module imports no Kysely, so verification workers start fast; it is the only SQL those workers run.
 */
import type pg from 'pg';
import type SqliteDatabase from 'better-sqlite3';

/**
 * One entry as verification reads it: the columns of `access_log` in `canonicalEntry` order, then the legal
 * secrecy flag, the stored `prev_hash` and `hash` as lower-case hex, the log-key version and the link format.
 */
export type RawEntryRow = [
  seq: number | string,
  at: unknown,
  actor: unknown,
  role: unknown,
  purpose: unknown,
  legalBasis: unknown,
  subjectId: unknown,
  categories: unknown,
  operation: unknown,
  outcome: unknown,
  reason: unknown,
  requestId: unknown,
  policyVersion: unknown,
  justification: unknown,
  legalSecrecy: unknown,
  prevHex: string,
  hashHex: string,
  keyVersion: unknown,
  linkFormat: unknown,
];

const COLUMNS =
  'seq, at, actor, role, purpose, legal_basis, subject_id, categories, operation, outcome, reason, request_id, ' +
  'policy_version, justification, legal_secrecy';

/** Entries with `lo < seq <= hi` (hi null: no upper bound), in chain order. */
export function rawRangeSql(dialect: 'sqlite' | 'postgres', bounded: boolean, limit?: boolean): string {
  const hex =
    dialect === 'sqlite'
      ? 'lower(hex(prev_hash)) as prev_hex, lower(hex(hash)) as hash_hex'
      : `encode(prev_hash, 'hex') as prev_hex, encode(hash, 'hex') as hash_hex`;
  const p = (n: number): string => (dialect === 'sqlite' ? '?' : `$${n}`);
  return (
    `select ${COLUMNS}, ${hex}, key_version, link_format from access_log where seq > ${p(1)}` +
    (bounded ? ` and seq <= ${p(2)}` : '') +
    ' order by seq' +
    (limit ? ` limit ${p(bounded ? 3 : 2)}` : '')
  );
}

/** Streams the entries of `(lo, hi]` from a SQLite connection in pages of rows; `take` returns false to stop. */
export function readSqliteRange(
  db: SqliteDatabase.Database,
  lo: number,
  hi: number | null,
  take: (rows: RawEntryRow[]) => boolean,
  pageSize = 4096,
): void {
  const stmt = db.prepare(rawRangeSql('sqlite', hi !== null)).raw(true);
  let page: RawEntryRow[] = [];
  for (const row of stmt.iterate(...(hi === null ? [lo] : [lo, hi])) as IterableIterator<RawEntryRow>) {
    page.push(row);
    if (page.length === pageSize) {
      const go = take(page);
      page = [];
      // Leaving the loop ends the iterator, which resets the statement.
      if (!go) return;
    }
  }
  if (page.length) take(page);
}

/**
 * Streams the entries of `(lo, hi]` from a PostgreSQL client a page at a time, the next page requested before the
 * current one is handed over (the server reads it meanwhile); `take` returns false to stop.
 */
export async function readPostgresRange(
  client: pg.Client,
  lo: number,
  hi: number | null,
  take: (rows: RawEntryRow[]) => boolean,
  pageSize = 20_000,
): Promise<void> {
  const text = rawRangeSql('postgres', hi !== null, true);
  const query = (after: number): Promise<pg.QueryArrayResult<RawEntryRow>> =>
    client.query<RawEntryRow>({
      text,
      values: hi === null ? [after, pageSize] : [after, hi, pageSize],
      rowMode: 'array',
    });
  let next = query(lo);
  for (;;) {
    const { rows } = await next;
    if (rows.length === 0) return;
    const full = rows.length === pageSize;
    if (full) next = query(Number(rows.at(-1)![0]));
    if (!take(rows) || !full) {
      if (full) await next.catch(() => undefined);
      return;
    }
  }
}
