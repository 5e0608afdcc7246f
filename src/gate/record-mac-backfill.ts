/* eslint-disable @typescript-eslint/no-explicit-any -- the MACed records are addressed by name from RECORD_MACS. */
/**
 * The second half of the 2026-12-04T2100 migration, which adds `row_mac` to legal holds, subject requests, account
 * links and the three histories (and numbers the events) but holds no key: the first start after it creates the
 * record-MAC root (key_material 'row-mac-2') and, in the same transaction, MACs every row that has none and writes
 * the heads (the holds not released, every hold's, authority request's and subject request's history). The same
 * pattern as row-mac-backfill.ts: the root marks "every record has a MAC" (NULL is a mismatch from then on), the
 * backfill is logged (operation `record_mac_backfill`), and a start that finds that entry but no root refuses.
 */
import { OPEN_STATES } from '../subject-requests/subject-request.model.ts';
import type { Kysely } from 'kysely';
import { SigiloError } from '../errors.ts';
import type { GateSession } from './gate.ts';
import { kernelOf } from './gate-kernel.ts';
import {
  HISTORIES,
  HOLDS_HEAD,
  RECORD_MACS,
  RecordMacs,
  historyHead,
  linksHead,
  OPEN_REQUESTS_HEAD,
  recordMacSelection,
  sealRecordMac,
  type HistoryTable,
  type RecordTable,
} from './record-macs.ts';

export const RECORD_MAC_BACKFILL = 'record_mac_backfill';

/** The table of each history's parents (every parent gets a head, an empty history too). */
const PARENTS: Record<HistoryTable, string> = {
  legal_hold_events: 'legal_holds',
  authority_request_events: 'authority_requests',
  subject_request_events: 'subject_requests',
};

/** MACs every record and writes every head at the first start after the migration; returns rows MACed. */
export async function backfillRecordMacs(session: GateSession): Promise<number> {
  const k = kernelOf(session);
  if (k.keyring.hasRecordMacKey) return 0;
  if (await k.keyring.reloadRecordMacKey(k.tx)) return 0;
  const db = k.tx as unknown as Kysely<any>;
  const logged = await k.tx
    .selectFrom('access_log')
    .select('seq')
    .where('operation', '=', RECORD_MAC_BACKFILL)
    .limit(1)
    .executeTakeFirst();
  if (logged) {
    throw new SigiloError(
      'INTEGRITY_ERROR',
      'the record-MAC key is missing although the access log records that it was created',
      { table: 'key_material', accessLogSeq: Number(logged.seq) },
    );
  }
  const { hasher, use, created } = await k.keyring.createRecordMacKey(k.tx);
  k.afterCommit(use);
  if (!created) return 0;
  const macs = new RecordMacs({ recordMacHasher: () => Promise.resolve(hasher) });
  const at = k.now().toISOString();
  let n = 0;
  const counts: string[] = [];
  for (const table of Object.keys(RECORD_MACS) as RecordTable[]) {
    const rows = (await db
      .selectFrom(table)
      .select(recordMacSelection(table))
      .where('row_mac', 'is', null)
      .execute()) as Record<string, unknown>[];
    for (const row of rows) {
      let q = db.updateTable(table).set({ row_mac: sealRecordMac(hasher, table, row) });
      for (const c of RECORD_MACS[table].key) q = q.where(c, '=', row[c]);
      await q.execute();
    }
    n += rows.length;
    if (rows.length > 0) counts.push(`${table}: ${rows.length}`);
  }
  const active = (await db
    .selectFrom('legal_holds')
    .select('row_mac')
    .where('released_at', 'is', null)
    .orderBy('id')
    .execute()) as { row_mac: Buffer }[];
  await macs.writeHead(
    db,
    HOLDS_HEAD,
    active.map((r) => r.row_mac),
    at,
  );
  for (const table of Object.keys(HISTORIES) as HistoryTable[]) {
    const parents = (await db.selectFrom(PARENTS[table]).select('id').execute()) as { id: string }[];
    const events = (await db
      .selectFrom(table)
      .select([HISTORIES[table], 'row_mac'])
      .orderBy(HISTORIES[table])
      .orderBy('seq')
      .execute()) as Record<string, unknown>[];
    const byParent = new Map<string, Buffer[]>();
    for (const e of events) {
      const id = String(e[HISTORIES[table]]);
      byParent.set(id, [...(byParent.get(id) ?? []), e.row_mac as Buffer]);
    }
    for (const p of parents) await macs.writeHead(db, historyHead(table, p.id), byParent.get(p.id) ?? [], at);
  }
  const open = (await db
    .selectFrom('subject_requests')
    .select('row_mac')
    .where('state', 'in', [...OPEN_STATES])
    .orderBy('id')
    .execute()) as { row_mac: Buffer }[];
  await macs.writeHead(
    db,
    OPEN_REQUESTS_HEAD,
    open.map((r) => r.row_mac),
    at,
  );
  // Every person's and account's set of links (empty ones included: a missing head is a deleted set).
  const links = (await db
    .selectFrom('account_people')
    .select(['account_id', 'person_id', 'row_mac'])
    .execute()) as { account_id: string; person_id: string; row_mac: Buffer }[];
  const owners = (await db
    .selectFrom('subjects')
    .select(['id', 'kind'])
    .where('kind', 'in', ['person', 'account'])
    .execute()) as { id: string; kind: 'person' | 'account' }[];
  const sets = new Map<string, { other: string; mac: Buffer }[]>();
  const add = (name: string, other: string, mac: Buffer) =>
    sets.set(name, [...(sets.get(name) ?? []), { other, mac }]);
  for (const l of links) {
    add(linksHead('person', l.person_id), l.account_id, l.row_mac);
    add(linksHead('account', l.account_id), l.person_id, l.row_mac);
  }
  for (const o of owners) {
    const name = linksHead(o.kind, o.id);
    const set = (sets.get(name) ?? []).sort((a, b) => a.other.localeCompare(b.other)).map((m) => m.mac);
    await macs.writeHead(db, name, set, at);
  }
  // The kernel's own upkeep, not an access a grant decides: nothing is opened or shown.
  k.allowed(RECORD_MAC_BACKFILL, null, new Map(), counts.length > 0 ? counts.join(', ') : 'no rows');
  return n;
}
