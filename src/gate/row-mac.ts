/**
 * Row MACs of the core sealed tables (issue 13 §5). A sealed field is bound to its table, row, column and subject
 * by its associated data, but the plain columns beside it — whose row it is (person, account, contract, ticket),
 * when it goes (the dates and statuses retention acts on) and its provenance — are not. `row_mac` covers them: a
 * keyed BLAKE3 (16 bytes) over the table, the row id and the bound columns of ROW_MACS (src/gate/sealed-tables.ts),
 * under a key derived from a root the master key wraps (Keyring.rowMacHasher). Whoever can write the database but
 * holds no key cannot move a row to another owner or change its dates unnoticed, nor pass a row off as unMACed:
 * once the key exists, every row has a MAC (src/gate/row-mac-backfill.ts) and NULL is a mismatch like any other.
 */
import { timingSafeEqual } from 'node:crypto';
import { KEYED_HASH_BYTES, type KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Database } from '../store/database.ts';
import { ROW_MACS } from './sealed-tables.ts';

/** The columns a table's MAC covers (without the id); undefined for a table without row MACs. */
export function rowMacColumns(table: string): readonly string[] | undefined {
  return ROW_MACS[table as keyof Database];
}

/** The columns to select or return to check a row's MAC: id, the bound columns and the MAC. */
export function rowMacSelection(table: string): string[] {
  return ['id', ...(rowMacColumns(table) ?? []), 'row_mac'];
}

/** A bound column's value as MACed (also by record-macs.ts). */
// Values as text ("2" and 2 are one value: SQLite's column affinity and PostgreSQL's types may return either);
// in a JSON array, so that no value's bytes can be shifted into its neighbour's.
export function canonicalMacValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return `b:${v.toString('base64')}`;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  // Nothing else is stored in a bound column (booleans and dates are written as integers and text).
  throw new Error(`unexpected ${typeof v} in a row-MAC column`);
}

/** The MAC of `row` (as it is or will be stored) in `table`; throws for a table without row MACs. */
export function sealRowMac(h: KeyedHasher, table: string, row: Record<string, unknown>): Buffer {
  const columns = rowMacColumns(table);
  if (!columns) throw new Error(`table ${table} has no row MAC`);
  const values = columns.map((c) => canonicalMacValue(row[c]));
  return h.hash(JSON.stringify(['sigilo/row-mac/v1', table, canonicalMacValue(row.id), ...values]));
}

/** Whether the stored row (its `row_mac` included) is the one Sigilo wrote; a NULL or malformed MAC is not. */
export function rowMacMatches(h: KeyedHasher, table: string, row: Record<string, unknown>): boolean {
  const mac = row.row_mac;
  if (!Buffer.isBuffer(mac) || mac.length !== KEYED_HASH_BYTES) return false;
  return timingSafeEqual(sealRowMac(h, table, row), mac);
}

/** The first row of `rows` whose MAC does not match, or undefined (no rows, or a table without row MACs). */
export function firstRowMacMismatch<R extends Record<string, unknown>>(
  h: KeyedHasher,
  table: string,
  rows: readonly R[],
): R | undefined {
  if (!rowMacColumns(table)) return undefined;
  for (const r of rows) if (!rowMacMatches(h, table, r)) return r;
  return undefined;
}
