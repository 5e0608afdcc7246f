/**
 * Idempotent telecom ingestion without a row per record. The natural-key hashes of a (kind, account, UTC day)
 * group live in its segments (`record_keys`); an ingesting process keeps each group's keys in memory (KeySet) and,
 * under the group row's lock, loads only the segments other writers added since (`seq` past its count), or all of
 * them when the group's epoch changed (a deletion). The cache learns of this process's own writes only after
 * commit, so a rolled-back batch never makes records look stored.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Keyring } from '../../keys/keyring.ts';
import { KeySet } from '../records/key-set.ts';
import type { GateKernel } from '../../gate/gate-kernel.ts';
import { RECORD_KEY_BYTES } from './telecom-prepare.ts';
import { checkHeader, checkLegacy, openForCheck, type StoredHeader } from './telecom-segment-check.ts';
import { SEGMENT_HEADER_COLUMNS, SegmentMac } from './telecom-segment-mac.ts';

/** `record_keys` byte 0: keyed BLAKE3 (current) or HMAC-SHA-256 (segments stored before 2026-11-26T1800). */
export const KEY_SCHEME_BLAKE3 = 2;
const KEY_SCHEME_HMAC = 1;

/**
 * Memory bound of one process's cached key sets: about 1.5 M keys (16-byte slots, at most 3/4 used). Imports run
 * in time order, so the least recently used groups are past days; a group larger than the bound still works, it
 * is reloaded when it comes back.
 */
const CACHE_BYTES = 32 * 1024 * 1024;

/** The committed keys of one group as of (epoch, segments). */
export interface KeyGroup {
  epoch: string;
  segments: number;
  keys: KeySet;
  /** Some segment holds HMAC-scheme keys: records must be checked under both schemes. */
  legacy: boolean;
}

class KeyGroupCache {
  private readonly groups = new Map<string, { group: KeyGroup; bytes: number }>();
  private bytes = 0;

  get(id: string): KeyGroup | undefined {
    const e = this.groups.get(id);
    if (!e) return undefined;
    // Most recently used last: Map iteration order makes the first entry the one to evict.
    this.groups.delete(id);
    this.groups.set(id, e);
    return e.group;
  }

  /** Stores (or re-measures) a group, evicting the least recently used beyond the memory bound. */
  set(id: string, group: KeyGroup): void {
    this.drop(id);
    this.groups.set(id, { group, bytes: group.keys.bytes });
    this.bytes += group.keys.bytes;
    for (const [oldId, old] of this.groups) {
      if (this.bytes <= CACHE_BYTES || oldId === id) break;
      this.groups.delete(oldId);
      this.bytes -= old.bytes;
    }
  }

  drop(id: string): void {
    const e = this.groups.get(id);
    if (e) {
      this.groups.delete(id);
      this.bytes -= e.bytes;
    }
  }

  /** After commit: our segments extend the group if nothing else changed it since we read it. */
  extend(
    id: string,
    seen: { epoch: string; segments: number },
    added: number,
    keys: Buffer,
    n: number,
  ): void {
    const g = this.groups.get(id)?.group;
    if (!g || g.epoch !== seen.epoch || g.segments !== seen.segments) {
      this.drop(id);
      return;
    }
    for (let i = 0; i < n; i++) g.keys.add(keys, i * RECORD_KEY_BYTES);
    g.segments += added;
    this.set(id, g);
  }
}

// One cache per key ring (per Sigilo instance): key hashes differ between instances with different keys.
const caches = new WeakMap<Keyring, KeyGroupCache>();

function cacheOf(keyring: Keyring): KeyGroupCache {
  let c = caches.get(keyring);
  if (!c) caches.set(keyring, (c = new KeyGroupCache()));
  return c;
}

const openedIn = new WeakMap<object, Set<string>>();

/** The cache's id of a (kind, account, day) group. */
export const groupKeyOf = (kind: string, accountId: string, day: string): string =>
  `${kind}\u0000${accountId}\u0000${day}`;
const groupId = groupKeyOf;

/** An opened group: its committed keys (cached), locked for this transaction until commit. */
export interface OpenGroup {
  id: string;
  group: KeyGroup;
  /** What the group row said when locked; the segments this transaction adds get seq = segments + 1, ... */
  seen: { epoch: string; segments: number };
}

/** One (account, UTC day) group of a transaction. */
export interface GroupKey {
  accountId: string;
  day: string;
}

// Groups per statement: 2 parameters each, well under both engines' limits.
const GROUP_CHUNK = 1_000;

/**
 * Opens every group a transaction writes: locks each group row (PostgreSQL: FOR UPDATE; SQLite: the transaction
 * already holds the write lock), creating it when absent, and returns the group's committed keys, loading from the
 * database only what the cache lacks. In a few statements, not four to six per group: the existing rows are locked in one statement per chunk in (account, day) order, the missing ones created
 * in one multi-row insert (sorted too, so two importers creating the same groups queue rather than deadlock), and
 * the groups this process has not cached loaded in one read. A transaction of 500 accounts' records made about
 * 3,000 statements this way made one by one (P8 on PostgreSQL: two thirds of the import's time was round trips).
 */
export async function openKeyGroups(
  k: GateKernel,
  kind: string,
  keys: readonly GroupKey[],
): Promise<Map<string, OpenGroup>> {
  const cache = cacheOf(k.keyring);
  let opened = openedIn.get(k.tx);
  if (!opened) openedIn.set(k.tx, (opened = new Set()));
  const sorted = [...keys].sort((a, b) =>
    a.accountId === b.accountId ? cmp(a.day, b.day) : cmp(a.accountId, b.accountId),
  );
  for (const g of sorted) {
    const id = groupId(kind, g.accountId, g.day);
    if (opened.has(id)) throw new Error('a key group is opened at most once per transaction');
    opened.add(id);
  }
  const seenOf = new Map<string, { epoch: string; segments: number }>();
  const note = (rows: { account_id: string; day: string; epoch: string; segments: number | string }[]) => {
    for (const r of rows)
      seenOf.set(groupId(kind, r.account_id, r.day), { epoch: r.epoch, segments: Number(r.segments) });
  };
  for (let i = 0; i < sorted.length; i += GROUP_CHUNK)
    note(await lockRows(k, kind, sorted.slice(i, i + GROUP_CHUNK)));
  let missing = sorted.filter((g) => !seenOf.has(groupId(kind, g.accountId, g.day)));
  // On PostgreSQL a concurrent writer may create (or a retention delete) a row between the lock and the insert.
  while (missing.length) {
    for (let i = 0; i < missing.length; i += GROUP_CHUNK) {
      const chunk = missing.slice(i, i + GROUP_CHUNK);
      // Existing segments keep their seq; new ones continue after the highest.
      const tops = new Map<string, number>();
      for (const r of await maxSeqs(k, kind, chunk))
        tops.set(groupId(kind, r.account_id, r.day), Number(r.top ?? 0));
      const inserted = await k.tx
        .insertInto('telecom_key_groups')
        .values(
          chunk.map((g) => ({
            kind,
            day: g.day,
            account_id: g.accountId,
            epoch: randomUUID(),
            segments: tops.get(groupId(kind, g.accountId, g.day)) ?? 0,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .returning(['account_id', 'day', 'epoch', 'segments'])
        .execute();
      note(inserted);
    }
    const still = missing.filter((g) => !seenOf.has(groupId(kind, g.accountId, g.day)));
    for (let i = 0; i < still.length; i += GROUP_CHUNK)
      note(await lockRows(k, kind, still.slice(i, i + GROUP_CHUNK)));
    missing = still.filter((g) => !seenOf.has(groupId(kind, g.accountId, g.day)));
  }
  const out = new Map<string, OpenGroup>();
  const fullLoads: { key: GroupKey; group: KeyGroup }[] = [];
  for (const g of sorted) {
    const id = groupId(kind, g.accountId, g.day);
    const seen = seenOf.get(id)!;
    let group = cache.get(id);
    if (!group || group.epoch !== seen.epoch || group.segments > seen.segments) {
      group = { epoch: seen.epoch, segments: 0, keys: new KeySet(), legacy: false };
      fullLoads.push({ key: g, group });
    } else if (group.segments < seen.segments) {
      // Exactly the segments added since must come back; fewer means a `seq` was changed: load them all.
      const loaded = await loadSegments(k, kind, g.accountId, g.day, group, group.segments);
      if (loaded !== seen.segments - group.segments) {
        group = { epoch: seen.epoch, segments: 0, keys: new KeySet(), legacy: false };
        fullLoads.push({ key: g, group });
      }
    }
    out.set(id, { id, group, seen });
  }
  for (let i = 0; i < fullLoads.length; i += GROUP_CHUNK)
    await loadGroups(k, kind, fullLoads.slice(i, i + GROUP_CHUNK));
  for (const [id, o] of out) {
    o.group.segments = o.seen.segments;
    cache.set(id, o.group);
  }
  return out;
}

/**
 * Records the new segment counts of groups opened by openKeyGroups (one statement per chunk on PostgreSQL), and
 * extends the cache once the transaction commits.
 */
export async function closeKeyGroups(
  k: GateKernel,
  kind: string,
  closes: readonly {
    open: OpenGroup;
    key: GroupKey;
    added: { segments: number; keys: Buffer; count: number };
  }[],
): Promise<void> {
  const written = closes.filter((c) => c.added.segments > 0);
  if (k.dialect === 'postgres') {
    for (let i = 0; i < written.length; i += GROUP_CHUNK) {
      const chunk = written.slice(i, i + GROUP_CHUNK);
      await sql`update telecom_key_groups as g set segments = v.segments
        from unnest(${chunk.map((c) => c.key.accountId)}::text[], ${chunk.map((c) => c.key.day)}::text[],
          ${chunk.map((c) => c.open.seen.segments + c.added.segments)}::integer[]) as v(account_id, day, segments)
        where g.kind = ${kind} and g.account_id = v.account_id and g.day = v.day`.execute(k.tx);
    }
  } else {
    // SQLite runs in this process: a statement costs microseconds, not a round trip.
    for (const c of written)
      await k.tx
        .updateTable('telecom_key_groups')
        .set({ segments: c.open.seen.segments + c.added.segments })
        .where('kind', '=', kind)
        .where('day', '=', c.key.day)
        .where('account_id', '=', c.key.accountId)
        .execute();
  }
  const cache = cacheOf(k.keyring);
  for (const c of written)
    k.afterCommit(() => cache.extend(c.open.id, c.open.seen, c.added.segments, c.added.keys, c.added.count));
}

/** `(account_id, day) in (...)` for a chunk of groups (PostgreSQL: two arrays; SQLite: row values). */
function inGroups(keys: readonly GroupKey[]) {
  return sql`(account_id, day) in (select * from unnest(${keys.map((g) => g.accountId)}::text[], ${keys.map((g) => g.day)}::text[]))`;
}
function inGroupsSqlite(keys: readonly GroupKey[]) {
  return sql`(account_id, day) in (values ${sql.join(keys.map((g) => sql`(${g.accountId}, ${g.day})`))})`;
}

function groupsIn(k: GateKernel, keys: readonly GroupKey[]) {
  return k.dialect === 'postgres' ? inGroups(keys) : inGroupsSqlite(keys);
}

/** Locks (PostgreSQL) and reads the existing rows of a chunk of groups, in (account, day) order. */
async function lockRows(
  k: GateKernel,
  kind: string,
  keys: readonly GroupKey[],
): Promise<{ account_id: string; day: string; epoch: string; segments: number }[]> {
  const lock = k.dialect === 'postgres' ? sql` for update` : sql``;
  const r = await sql<{
    account_id: string;
    day: string;
    epoch: string;
    segments: number;
  }>`select account_id, day,
    epoch, segments from telecom_key_groups where kind = ${kind} and ${groupsIn(k, keys)}
    order by account_id, day${lock}`.execute(k.tx);
  return r.rows;
}

async function maxSeqs(
  k: GateKernel,
  kind: string,
  keys: readonly GroupKey[],
): Promise<{ account_id: string; day: string; top: number | string | null }[]> {
  const r = await sql<{
    account_id: string;
    day: string;
    top: number | string | null;
  }>`select account_id, day,
    max(seq) as top from telecom_segments where kind = ${kind} and ${groupsIn(k, keys)}
    group by account_id, day`.execute(k.tx);
  return r.rows;
}

/** Full loads of a chunk of groups in one read (as loadSegments from 0, group by group). */
async function loadGroups(
  k: GateKernel,
  kind: string,
  loads: readonly { key: GroupKey; group: KeyGroup }[],
): Promise<void> {
  if (!loads.length) return;
  const byId = new Map(loads.map((l) => [groupId(kind, l.key.accountId, l.key.day), l.group]));
  const rows = await k.tx
    .selectFrom('telecom_segments')
    .select([...SEGMENT_HEADER_COLUMNS, 'record_keys'])
    .where('kind', '=', kind as never)
    .where(
      groupsIn(
        k,
        loads.map((l) => l.key),
      ) as never,
    )
    .execute();
  const mac = await SegmentMac.of(k.keyring);
  for (const r of rows) {
    const group = byId.get(groupId(kind, r.account_id, r.day));
    if (group) await absorb(k, mac, group, r);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Forgets groups whose segments were deleted: the next writer starts a new epoch and every cache (in any
 * process) reloads from the segments that are left. Without `accountId`, every account of that day. Rows are
 * locked in (account, day) order first, the order importers lock them in, so the two never deadlock.
 */
export async function retireKeyGroups(
  k: GateKernel,
  kind: string,
  day: string,
  accountId?: string,
): Promise<void> {
  if (k.dialect === 'postgres') {
    let lock = k.tx
      .selectFrom('telecom_key_groups')
      .select('account_id')
      .where('kind', '=', kind)
      .where('day', '=', day);
    if (accountId !== undefined) lock = lock.where('account_id', '=', accountId);
    await lock.orderBy('account_id').forUpdate().execute();
  }
  let q = k.tx.deleteFrom('telecom_key_groups').where('kind', '=', kind).where('day', '=', day);
  if (accountId !== undefined) q = q.where('account_id', '=', accountId);
  await q.execute();
}

async function loadSegments(
  k: GateKernel,
  kind: string,
  accountId: string,
  day: string,
  group: KeyGroup,
  afterSeq: number,
): Promise<number> {
  let q = k.tx
    .selectFrom('telecom_segments')
    .select([...SEGMENT_HEADER_COLUMNS, 'record_keys'])
    .where('account_id', '=', accountId)
    .where('kind', '=', kind as never)
    .where('day', '=', day);
  // A full load does not filter on `seq` at all: an edited seq cannot hide a segment from it.
  if (afterSeq > 0) q = q.where('seq', '>', afterSeq);
  const rows = await q.execute();
  const mac = await SegmentMac.of(k.keyring);
  for (const r of rows) await absorb(k, mac, group, r);
  return rows.length;
}

/** Adds one stored segment's keys to `group`, once its header MAC (or, for a legacy row, its payload) checks. */
async function absorb(
  k: GateKernel,
  mac: SegmentMac,
  group: KeyGroup,
  r: StoredHeader & { record_keys: Buffer | null },
): Promise<void> {
  const blob = r.record_keys;
  // Keys someone edited would make a re-import store duplicates: they must be the ones Sigilo wrote.
  if (!checkHeader(k, mac, 'ingest', r, blob)) {
    const payload = await k.tx
      .selectFrom('telecom_segments')
      .select('payload_ct')
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    const records = await openForCheck(k, 'ingest', r, payload.payload_ct);
    await checkLegacy(k, 'ingest', r, records, blob);
  }
  if (!blob || blob.length < 1) return;
  if (blob[0] === KEY_SCHEME_HMAC) group.legacy = true;
  for (let o = 1; o + RECORD_KEY_BYTES <= blob.length; o += RECORD_KEY_BYTES) group.keys.add(blob, o);
}
