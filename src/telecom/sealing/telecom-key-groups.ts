/**
 * Idempotent telecom ingestion without a row per record. The natural-key hashes of a (kind, account, UTC day)
 * group live in its segments (`record_keys`); an ingesting process keeps each group's keys in memory (KeySet) and,
 * under the group row's lock, loads only the segments other writers added since (`seq` past its count), or all of
 * them when the group's epoch changed (a deletion). The cache learns of this process's own writes only after
 * commit, so a rolled-back batch never makes records look stored.
 */
import { randomUUID } from 'node:crypto';
import type { Keyring } from '../../keys/keyring.ts';
import { KeySet } from '../records/key-set.ts';
import type { GateKernel } from '../../gate/gate-kernel.ts';
import { RECORD_KEY_BYTES } from './telecom-prepare.ts';
import { checkHeader, checkLegacy, openForCheck } from './telecom-segment-check.ts';
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

const groupId = (kind: string, accountId: string, day: string): string =>
  `${kind}\u0000${accountId}\u0000${day}`;

/** An opened group: its committed keys (cached), locked for this transaction until commit. */
export interface OpenGroup {
  id: string;
  group: KeyGroup;
  /** What the group row said when locked; the segments this transaction adds get seq = segments + 1, ... */
  seen: { epoch: string; segments: number };
}

/**
 * Locks the group row (PostgreSQL: FOR UPDATE; SQLite: the transaction already holds the write lock), creating it
 * when absent, and returns the group's committed keys, loading from the database only what the cache lacks.
 */
export async function openKeyGroup(
  k: GateKernel,
  kind: string,
  accountId: string,
  day: string,
): Promise<OpenGroup> {
  const cache = cacheOf(k.keyring);
  const id = groupId(kind, accountId, day);
  // A second open in one transaction would load this transaction's own (uncommitted) segments into the cache.
  let opened = openedIn.get(k.tx);
  if (!opened) openedIn.set(k.tx, (opened = new Set()));
  if (opened.has(id)) throw new Error('a key group is opened at most once per transaction');
  opened.add(id);
  let row = await lockRow(k, kind, accountId, day);
  // Absent: first write to this group in its epoch (new day, or after a deletion). On PostgreSQL a concurrent
  // retention may delete the row again between the insert and the lock, hence the loop.
  while (!row) {
    // Existing segments keep their seq; new ones continue after the highest.
    const top = await k.tx
      .selectFrom('telecom_segments')
      .select((eb) => eb.fn.max('seq').as('top'))
      .where('account_id', '=', accountId)
      .where('kind', '=', kind as never)
      .where('day', '=', day)
      .executeTakeFirst();
    const q = k.tx
      .insertInto('telecom_key_groups')
      .values({ kind, day, account_id: accountId, epoch: randomUUID(), segments: Number(top?.top ?? 0) });
    await (k.dialect === 'postgres' ? q.onConflict((oc) => oc.doNothing()) : q).execute();
    row = await lockRow(k, kind, accountId, day);
  }
  const seen = { epoch: row.epoch, segments: Number(row.segments) };
  let group = cache.get(id);
  if (!group || group.epoch !== seen.epoch || group.segments > seen.segments) {
    group = { epoch: seen.epoch, segments: 0, keys: new KeySet(), legacy: false };
    await loadSegments(k, kind, accountId, day, group, 0);
  } else if (group.segments < seen.segments) {
    // Exactly the segments added since must come back; fewer means a `seq` was changed: load them all.
    const loaded = await loadSegments(k, kind, accountId, day, group, group.segments);
    if (loaded !== seen.segments - group.segments) {
      group = { epoch: seen.epoch, segments: 0, keys: new KeySet(), legacy: false };
      await loadSegments(k, kind, accountId, day, group, 0);
    }
  }
  group.segments = seen.segments;
  cache.set(id, group);
  return { id, group, seen };
}

/** Records the group's new segment count in its row, and extends the cache once the transaction commits. */
export async function closeKeyGroup(
  k: GateKernel,
  g: OpenGroup,
  kind: string,
  accountId: string,
  day: string,
  added: { segments: number; keys: Buffer; count: number },
): Promise<void> {
  if (added.segments === 0) return;
  await k.tx
    .updateTable('telecom_key_groups')
    .set({ segments: g.seen.segments + added.segments })
    .where('kind', '=', kind)
    .where('day', '=', day)
    .where('account_id', '=', accountId)
    .execute();
  const cache = cacheOf(k.keyring);
  k.afterCommit(() => cache.extend(g.id, g.seen, added.segments, added.keys, added.count));
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

async function lockRow(
  k: GateKernel,
  kind: string,
  accountId: string,
  day: string,
): Promise<{ epoch: string; segments: number } | undefined> {
  const q = k.tx
    .selectFrom('telecom_key_groups')
    .select(['epoch', 'segments'])
    .where('kind', '=', kind)
    .where('day', '=', day)
    .where('account_id', '=', accountId);
  return (k.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
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
  for (const r of rows) {
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
    if (!blob || blob.length < 1) continue;
    if (blob[0] === KEY_SCHEME_HMAC) group.legacy = true;
    for (let o = 1; o + RECORD_KEY_BYTES <= blob.length; o += RECORD_KEY_BYTES) group.keys.add(blob, o);
  }
  return rows.length;
}
