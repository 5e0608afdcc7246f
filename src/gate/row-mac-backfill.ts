/* eslint-disable @typescript-eslint/no-explicit-any -- the core tables are addressed by name from ROW_MACS, so
   the backfill uses Kysely's dynamic (untyped) view of them. */
/**
 * The second half of the 2026-12-04T1600 migration, which adds `row_mac` to the core sealed tables but holds no key:
 * the first start after it creates the row-MAC root (key_material 'row-mac-1', wrapped by the master key) and, in
 * the same transaction, MACs every row that has none. The root is also the marker "every core row has a MAC": once
 * it exists this is a no-op, and a NULL MAC is an INTEGRITY_ERROR like a wrong one — setting a MAC to NULL does
 * not turn a row into a "legacy" row that passes unchecked.
 *
 * The backfill is logged (operation `row_mac_backfill`, role `system`), so it runs once for good: a start that
 * finds no root but that entry in the access log refuses to start (whoever deleted the root wants the next start to
 * MAC rows they edited), and deleting the entry breaks the access log's keyed chain.
 */
import type { Kysely } from 'kysely';
import { SigiloError } from '../errors.ts';
import type { GateSession } from './gate.ts';
import { kernelOf } from './gate-kernel.ts';
import { rowMacSelection, sealRowMac } from './row-mac.ts';
import { ROW_MACS } from './sealed-tables.ts';

export const ROW_MAC_BACKFILL = 'row_mac_backfill';

/** A sealing extension's own backfill (segments, recordings), run in the same transaction. */
export type ExtensionBackfill = {
  name: string;
  run: (session: GateSession) => Promise<{ macked: number; refused: number }>;
};

/**
 * MACs every core row at the first start after the migration (see the file comment), and runs the extensions'
 * backfills in the same transaction (the root also says their units all have MACs); returns rows MACed.
 */
export async function backfillRowMacs(
  session: GateSession,
  extensions: readonly ExtensionBackfill[] = [],
): Promise<number> {
  const k = kernelOf(session);
  if (k.keyring.hasRowMacKey) return 0;
  // Another instance's first start may have done it since this key ring was loaded.
  if (await k.keyring.reloadRowMacKey(k.tx)) return 0;
  const db = k.tx as unknown as Kysely<any>;
  const logged = await k.tx
    .selectFrom('access_log')
    .select('seq')
    .where('operation', '=', ROW_MAC_BACKFILL)
    .limit(1)
    .executeTakeFirst();
  if (logged) {
    throw new SigiloError(
      'INTEGRITY_ERROR',
      'the row-MAC key is missing although the access log records that it was created',
      { table: 'key_material', accessLogSeq: Number(logged.seq) },
    );
  }
  const { hasher, use, created } = await k.keyring.createRowMacKey(k.tx);
  k.afterCommit(use);
  // Another instance's first start inserted its root first (and MACs the rows): its root is the one to use.
  if (!created) return 0;
  let n = 0;
  const counts: string[] = [];
  for (const table of Object.keys(ROW_MACS)) {
    const rows = (await db
      .selectFrom(table)
      .select(rowMacSelection(table))
      .where('row_mac', 'is', null)
      .execute()) as Record<string, unknown>[];
    for (const row of rows) {
      await db
        .updateTable(table)
        .set({ row_mac: sealRowMac(hasher, table, row) })
        .where('id', '=', row.id)
        .execute();
    }
    n += rows.length;
    if (rows.length > 0) counts.push(`${table}: ${rows.length}`);
  }
  for (const e of extensions) {
    const r = await e.run(session);
    n += r.macked;
    if (r.macked > 0 || r.refused > 0) counts.push(`${e.name}: ${r.macked} (${r.refused} left without MAC)`);
  }
  // The kernel's own upkeep, not an access a grant decides: nothing is opened or shown.
  k.allowed(ROW_MAC_BACKFILL, null, new Map(), counts.length > 0 ? counts.join(', ') : 'no rows');
  return n;
}
