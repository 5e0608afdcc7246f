/**
 * Term postings of telecom segments (issue 16): which segments of a (kind, UTC day) hold a blind-index term, so a
 * search across accounts by number, username or IP reads the postings of its term instead of every segment header
 * in its window. Opaque like the Bloom filters: 8 bytes of a keyed term hash and a segment id per entry.
 *
 * Cheap at ingest: a transaction writes one block per day it touches (its segments' distinct terms, sorted), split
 * by the leading bits of the term hash into buckets of about BUCKET_TARGET entries, never a row per term. As a day
 * gathers FANOUT blocks of one level they are merged into one of the next level (so an importer that writes one
 * account at a time still leaves a few blocks per day). A search reads, per day, the one bucket of each block that
 * can hold its term: rows are keyed (kind, bucket, day, block), and a term's bucket at each split depth is known.
 *
 * Deleted with their segments: a whole day with the day, single segments by rewriting their day's blocks.
 *
 * Authenticated (keyed BLAKE3 under a key derived from the master key; telecom-posting-mac.ts): every bucket row
 * carries a MAC over (kind, day, block, level, bucket, entries), and a block writes every bucket of its depth
 * (empty ones too), so a block's rows are exactly known; each (kind, day) has a MAC'd manifest of its blocks (id,
 * level, depth) and each kind a MAC'd list of its days. A search reads root, manifests, rows and the backlog of
 * unindexed segments in one statement (one snapshot on PostgreSQL) and fails with INTEGRITY_ERROR naming the unit
 * (row, block or day) when a row was edited, truncated, added or removed, or a block or day manifest is missing.
 * Writers of a kind's postings (ingest, merges, retention) are serialised per kind (PostgreSQL advisory lock; a
 * writing transaction already serialises on the access-log head at commit).
 */
import { sql, type RawBuilder } from 'kysely';
import type { GateKernel } from '../../gate/gate-kernel.ts';
import { KIND_CATEGORY, type TelecomKind } from '../records/telecom-record.ts';
import { PostingMac } from './telecom-posting-mac.ts';
import { TERM_BYTES } from './telecom-prepare.ts';

/** Entry: 8 bytes of term hash, then the segment id's 16 bytes. */
const ENTRY = 24;
const TERM_PREFIX = 8;
/** Entries a bucket aims at (about 3 KB): a search reads one bucket per block and day. */
const BUCKET_TARGET = 128;
/** Deepest split: 4,096 buckets. */
const MAX_BITS = 12;
/** Blocks of one level and day merged into one of the next. */
const FANOUT = 8;
/** Blocks of this level are no longer merged (a merge would rewrite over a million entries). */
const MAX_LEVEL = 3;
const IN_CHUNK = 500;

const COLUMNS = [
  ['kind', 'text'],
  ['bucket', 'integer'],
  ['day', 'text'],
  ['block', 'text'],
  ['level', 'integer'],
  ['term_postings', 'bytea'],
  ['postings_mac', 'bytea'],
] as const;

/** A segment just stored and its distinct term hashes (16 bytes each). */
export interface SegmentTerms {
  id: string;
  day: string;
  terms: Uint8Array;
}

/**
 * The sort and search key of a term: its first 52 bits, exact in a double. Two terms that share them only make a
 * search open a segment that does not hold its term, and records are matched exactly after decryption.
 */
function keyAt(b: Uint8Array, o: number): number {
  return (
    (((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0) * 1_048_576 +
    ((b[o + 4]! << 12) | (b[o + 5]! << 4) | (b[o + 6]! >>> 4))
  );
}

/** Bucket of a key at a split depth: heap-numbered (1 = unsplit, 2–3 by the first bit, 4–7 by two, …). */
function bucketOf(key: number, bits: number): number {
  return bits === 0 ? 1 : (1 << bits) | Math.floor(key / 2 ** (52 - bits));
}

function bitsFor(entries: number): number {
  let bits = 0;
  while (bits < MAX_BITS && entries >> (bits + 1) >= BUCKET_TARGET) bits++;
  return bits;
}

function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error('a telecom segment id is not a UUID');
  return Buffer.from(hex, 'hex');
}

function uuidText(b: Uint8Array, o: number): string {
  const h = Buffer.from(b.buffer, b.byteOffset + o, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Entries back to back, sorted by key (a stable sort keeps one segment's entries of a term together). */
function sortEntries(entries: Buffer): Buffer {
  const n = entries.length / ENTRY;
  const keys = new Float64Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = keyAt(entries, i * ENTRY);
    order[i] = i;
  }
  order.sort((a, b) => keys[a]! - keys[b]!);
  const out = Buffer.allocUnsafe(entries.length);
  for (let i = 0; i < n; i++) entries.copy(out, i * ENTRY, order[i]! * ENTRY, (order[i]! + 1) * ENTRY);
  return out;
}

/** A block as its day's manifest lists it. */
interface Block {
  id: string;
  level: number;
  /** Split depth: the block has exactly 2^bits bucket rows. */
  bits: number;
}

/**
 * The rows of one block: sorted entries split into the 2^bits buckets of the depth their number calls for, every
 * bucket written (an empty one too, so a removed row is caught), each with its MAC.
 */
function blockRows(mac: PostingMac, kind: string, day: string, block: Block, sorted: Buffer): unknown[][] {
  const n = sorted.length / ENTRY;
  const rows: unknown[][] = [];
  const first = 1 << block.bits;
  let start = 0;
  for (let bucket = first; bucket < first * 2; bucket++) {
    let end = start;
    while (end < n && bucketOf(keyAt(sorted, end * ENTRY), block.bits) === bucket) end++;
    const entries = sorted.subarray(start * ENTRY, end * ENTRY);
    rows.push([
      kind,
      bucket,
      day,
      block.id,
      block.level,
      entries,
      mac.row(kind, day, block.id, block.level, bucket, entries),
    ]);
    start = end;
  }
  return rows;
}

const BLOCK_BYTES = 18;

function encodeBlocks(blocks: readonly Block[]): Buffer {
  const sorted = [...blocks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = Buffer.alloc(sorted.length * BLOCK_BYTES);
  sorted.forEach((b, i) => {
    uuidBytes(b.id).copy(out, i * BLOCK_BYTES);
    out[i * BLOCK_BYTES + 16] = b.level;
    out[i * BLOCK_BYTES + 17] = b.bits;
  });
  return out;
}

function decodeBlocks(b: Buffer): Block[] {
  const out: Block[] = [];
  for (let o = 0; o + BLOCK_BYTES <= b.length; o += BLOCK_BYTES)
    out.push({ id: uuidText(b, o), level: b[o + 16]!, bits: b[o + 17]! });
  return out;
}

/** Fails (logged) with INTEGRITY_ERROR naming the postings unit (`kind/day[/block[/bucket]]`). */
function tampered(k: GateKernel, logOp: string, kind: TelecomKind, unit: string, reason: string): never {
  k.fail(logOp, null, [KIND_CATEGORY[kind]], 'error', 'INTEGRITY_ERROR', `term postings ${unit}: ${reason}`, {
    table: 'telecom_term_postings',
    unit,
  });
}

/** Serialises the writers of one kind's postings (ingest, merges, retention); SQLite has one writer anyway. */
async function lockKind(k: GateKernel, kind: string): Promise<void> {
  if (k.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(${`sigilo/telecom-postings/${kind}`}))`.execute(k.tx);
}

/** A kind's MAC'd list of days with postings; null when the kind never had postings. */
async function loadRoot(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
): Promise<Set<string> | null> {
  const row = await k.tx
    .selectFrom('telecom_posting_roots')
    .select(['days', 'root_mac'])
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (!row) return null;
  return checkedRoot(k, mac, logOp, kind, row.days, row.root_mac);
}

function checkedRoot(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
  days: unknown,
  tag: unknown,
): Set<string> {
  if (typeof days !== 'string' || days.length % 10 !== 0 || !mac.verify(mac.root(kind, days), tag))
    tampered(k, logOp, kind, kind, 'the list of days does not match its MAC');
  const out = new Set<string>();
  for (let o = 0; o < days.length; o += 10) out.add(days.slice(o, o + 10));
  return out;
}

function checkedManifest(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
  day: string,
  blocks: unknown,
  tag: unknown,
): Block[] {
  if (
    !Buffer.isBuffer(blocks) ||
    blocks.length % BLOCK_BYTES !== 0 ||
    !mac.verify(mac.day(kind, day, blocks), tag)
  )
    tampered(k, logOp, kind, `${kind}/${day}`, 'the manifest of blocks does not match its MAC');
  return decodeBlocks(blocks);
}

async function saveRoot(k: GateKernel, mac: PostingMac, kind: TelecomKind, days: Set<string>): Promise<void> {
  const list = [...days].sort().join('');
  const root_mac = mac.root(kind, list);
  await k.tx
    .insertInto('telecom_posting_roots')
    .values({ kind, days: list, root_mac })
    .onConflict((oc) => oc.column('kind').doUpdateSet({ days: list, root_mac }))
    .execute();
}

async function saveManifest(
  k: GateKernel,
  mac: PostingMac,
  kind: TelecomKind,
  day: string,
  blocks: readonly Block[],
): Promise<void> {
  const encoded = encodeBlocks(blocks);
  const manifest_mac = mac.day(kind, day, encoded);
  await k.tx
    .insertInto('telecom_posting_days')
    .values({ kind, day, blocks: encoded, manifest_mac })
    .onConflict((oc) => oc.columns(['kind', 'day']).doUpdateSet({ blocks: encoded, manifest_mac }))
    .execute();
}

/** The checked manifests of these days (writers, under the kind's lock); every day of the root must have one. */
async function loadManifests(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
  days: readonly string[],
  root: Set<string> | null,
): Promise<Map<string, Block[]>> {
  const out = new Map<string, Block[]>();
  for (let i = 0; i < days.length; i += IN_CHUNK) {
    const rows = await k.tx
      .selectFrom('telecom_posting_days')
      .select(['day', 'blocks', 'manifest_mac'])
      .where('kind', '=', kind)
      .where('day', 'in', days.slice(i, i + IN_CHUNK))
      .execute();
    for (const r of rows) {
      if (!root?.has(r.day))
        tampered(k, logOp, kind, `${kind}/${r.day}`, 'a day manifest its kind does not list');
      out.set(r.day, checkedManifest(k, mac, logOp, kind, r.day, r.blocks, r.manifest_mac));
    }
  }
  for (const day of days)
    if (root?.has(day) && !out.has(day))
      tampered(k, logOp, kind, `${kind}/${day}`, 'the day manifest is missing');
  return out;
}

/**
 * The rows of these blocks of a day, checked: each MAC matches, and each block has exactly the 2^bits bucket rows
 * its manifest entry calls for. Returns them by block, in bucket order.
 */
async function checkedBlockRows(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
  day: string,
  blocks: readonly Block[],
): Promise<Map<string, { bucket: number; entries: Buffer }[]>> {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const out = new Map<string, { bucket: number; entries: Buffer }[]>();
  const ids = blocks.map((b) => b.id);
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    const rows = await k.tx
      .selectFrom('telecom_term_postings')
      .select(['bucket', 'block', 'level', 'term_postings', 'postings_mac'])
      .where('kind', '=', kind)
      .where('day', '=', day)
      .where('block', 'in', ids.slice(i, i + IN_CHUNK))
      .execute();
    for (const r of rows) {
      const b = byId.get(r.block)!;
      checkRow(k, mac, logOp, kind, day, b, r);
      let list = out.get(r.block);
      if (!list) out.set(r.block, (list = []));
      list.push({ bucket: r.bucket, entries: Buffer.from(r.term_postings) });
    }
  }
  for (const b of blocks) {
    const list = out.get(b.id) ?? [];
    if (list.length !== 1 << b.bits)
      tampered(
        k,
        logOp,
        kind,
        `${kind}/${day}/${b.id}`,
        `the block has ${list.length} of its ${1 << b.bits} rows`,
      );
    list.sort((x, y) => x.bucket - y.bucket);
  }
  return out;
}

/** Checks one bucket row against its block's manifest entry and its MAC. */
function checkRow(
  k: GateKernel,
  mac: PostingMac,
  logOp: string,
  kind: TelecomKind,
  day: string,
  b: Block,
  r: { bucket: number | string; level: number | string; term_postings: unknown; postings_mac: unknown },
): void {
  const bucket = Number(r.bucket);
  const unit = `${kind}/${day}/${b.id}/${bucket}`;
  if (
    Number(r.level) !== b.level ||
    bucket < 1 << b.bits ||
    bucket >= 2 << b.bits ||
    !Buffer.isBuffer(r.term_postings) ||
    r.term_postings.length % ENTRY !== 0 ||
    !mac.verify(mac.row(kind, day, b.id, b.level, bucket, r.term_postings), r.postings_mac)
  )
    tampered(k, logOp, kind, unit, 'the posting row does not match its MAC');
}

/**
 * Writes the postings of segments stored in this transaction (one block per day) and merges the days that have
 * gathered FANOUT blocks of a level; the days' manifests and the kind's list of days follow.
 */
export async function writePostings(
  k: GateKernel,
  kind: TelecomKind,
  segments: SegmentTerms[],
  newBlock: () => string,
): Promise<void> {
  const byDay = new Map<string, SegmentTerms[]>();
  for (const s of segments) {
    if (s.terms.length === 0) continue;
    let list = byDay.get(s.day);
    if (!list) byDay.set(s.day, (list = []));
    list.push(s);
  }
  const mac = await PostingMac.of(k.keyring);
  if (byDay.size === 0) {
    // Nothing to post, but the kind's list of days must exist from now on: a search takes a missing list for a
    // never-indexed kind (and then expects every segment in the backlog).
    const have = await k.tx
      .selectFrom('telecom_posting_roots')
      .select('kind')
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (!have) {
      await lockKind(k, kind);
      if (!(await loadRoot(k, mac, 'ingest', kind))) await saveRoot(k, mac, kind, new Set());
    }
    return;
  }
  const days = [...byDay.keys()].sort();
  await lockKind(k, kind);
  const root = await loadRoot(k, mac, 'ingest', kind);
  const manifests = await loadManifests(k, mac, 'ingest', kind, days, root);
  const rows: unknown[][] = [];
  for (const day of days) {
    const list = byDay.get(day)!;
    let total = 0;
    for (const s of list) total += s.terms.length / TERM_BYTES;
    const entries = Buffer.allocUnsafe(total * ENTRY);
    let o = 0;
    for (const s of list) {
      const id = uuidBytes(s.id);
      for (let t = 0; t < s.terms.length; t += TERM_BYTES) {
        entries.set(s.terms.subarray(t, t + TERM_PREFIX), o);
        id.copy(entries, o + TERM_PREFIX);
        o += ENTRY;
      }
    }
    const block = { id: newBlock(), level: 0, bits: bitsFor(total) };
    rows.push(...blockRows(mac, kind, day, block, sortEntries(entries)));
    manifests.set(day, [...(manifests.get(day) ?? []), block]);
  }
  await k.bulk.insert(k.tx, 'telecom_term_postings', COLUMNS, rows);
  for (const day of days) {
    await compactDay(k, mac, kind, day, manifests.get(day)!, newBlock);
    await saveManifest(k, mac, kind, day, manifests.get(day)!);
  }
  const days0 = root ?? new Set<string>();
  if (!root || days.some((d) => !days0.has(d))) {
    for (const d of days) days0.add(d);
    await saveRoot(k, mac, kind, days0);
  }
}

/** Merges, level by level, the blocks of a day that reached FANOUT at their level (updates `blocks` in place). */
async function compactDay(
  k: GateKernel,
  mac: PostingMac,
  kind: TelecomKind,
  day: string,
  blocks: Block[],
  newBlock: () => string,
): Promise<void> {
  for (;;) {
    const byLevel = new Map<number, Block[]>();
    for (const b of blocks)
      if (b.level < MAX_LEVEL) byLevel.set(b.level, [...(byLevel.get(b.level) ?? []), b]);
    const level = [...byLevel.keys()].sort((a, b) => a - b).find((l) => byLevel.get(l)!.length >= FANOUT);
    if (level === undefined) return;
    const merge = byLevel.get(level)!;
    // Checked before merging: a merged block gets a fresh MAC, so an edit must not be carried into it.
    const parts: Buffer[] = [];
    for (const rows of (await checkedBlockRows(k, mac, 'ingest', kind, day, merge)).values())
      for (const r of rows) parts.push(r.entries);
    const ids = merge.map((b) => b.id);
    for (let i = 0; i < ids.length; i += IN_CHUNK)
      await k.tx
        .deleteFrom('telecom_term_postings')
        .where('kind', '=', kind)
        .where('day', '=', day)
        .where('block', 'in', ids.slice(i, i + IN_CHUNK))
        .execute();
    const merged = sortEntries(Buffer.concat(parts));
    const block = { id: newBlock(), level: level + 1, bits: bitsFor(merged.length / ENTRY) };
    await k.bulk.insert(k.tx, 'telecom_term_postings', COLUMNS, blockRows(mac, kind, day, block, merged));
    const gone = new Set(ids);
    blocks.splice(0, blocks.length, ...blocks.filter((b) => !gone.has(b.id)), block);
  }
}

/** A day bound of a search as SQL (or nothing when open). */
function dayBounds(fromDay: string | undefined, toDay: string | undefined): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (fromDay) parts.push(sql` and day >= ${fromDay}`);
  if (toDay) parts.push(sql` and day <= ${toDay}`);
  return sql.join(parts, sql``);
}

interface CandidateRow {
  t: number | string;
  day: string | null;
  block: string | null;
  bucket: number | string | null;
  level: number | string | null;
  txt: string | null;
  mac: Buffer | null;
  bytes: Buffer | null;
}

/**
 * The ids of segments of `kind` that may hold the term (a 16-byte keyed hash) on the UTC days between `fromDay`
 * and `toDay` (inclusive; open when absent): those its postings name, and those not indexed yet. May name a
 * segment that lacks the term (a shared 52-bit prefix), never misses one that holds it; a posting row, block or
 * day that was edited, removed or added is INTEGRITY_ERROR naming it, logged under `logOp`.
 */
export async function postingCandidates(
  k: GateKernel,
  kind: TelecomKind,
  term: Uint8Array,
  fromDay: string | undefined,
  toDay: string | undefined,
  logOp: string,
): Promise<Set<string>> {
  const mac = await PostingMac.of(k.keyring);
  const key = keyAt(term, 0);
  const buckets = Array.from({ length: MAX_BITS + 1 }, (_, bits) => bucketOf(key, bits));
  const bytes = sql.raw(k.dialect === 'postgres' ? 'bytea' : 'blob');
  const days = dayBounds(fromDay, toDay);
  // One statement, so one snapshot on PostgreSQL: a writer committing between two reads cannot look like tampering.
  const { rows } = await sql<CandidateRow>`
    select 0 as t, cast(null as text) as day, cast(null as text) as block, cast(null as integer) as bucket,
      cast(null as integer) as level, days as txt, root_mac as mac,
      cast(null as ${bytes}) as bytes
      from telecom_posting_roots where kind = ${kind}
    union all
    select 1, day, null, null, null, null, manifest_mac, blocks
      from telecom_posting_days where kind = ${kind}${days}
    union all
    select 2, day, block, bucket, level, null, postings_mac, term_postings
      from telecom_term_postings where kind = ${kind} and bucket in (${sql.join(buckets)})${days}
    union all
    select 3, day, segment_id, null, null, null, null, null
      from telecom_unindexed_segments where kind = ${kind}${days}`.execute(k.tx);
  const out = new Set<string>();
  let root: Set<string> | null = null;
  const manifests = new Map<string, Map<string, Block>>();
  for (const r of rows)
    if (Number(r.t) === 0) root = checkedRoot(k, mac, logOp, kind, r.txt, r.mac);
    else if (Number(r.t) === 3) out.add(r.block!);
  for (const r of rows) {
    if (Number(r.t) !== 1) continue;
    const day = r.day!;
    if (!root?.has(day)) tampered(k, logOp, kind, `${kind}/${day}`, 'a day manifest its kind does not list');
    const blocks = checkedManifest(k, mac, logOp, kind, day, r.bytes, r.mac);
    manifests.set(day, new Map(blocks.map((b) => [b.id, b])));
  }
  if (root === null) {
    await checkNeverIndexed(k, logOp, kind, fromDay, toDay);
    return out;
  }
  for (const day of root)
    if ((!fromDay || day >= fromDay) && (!toDay || day <= toDay) && !manifests.has(day))
      tampered(k, logOp, kind, `${kind}/${day}`, 'the day manifest is missing');
  const seen = new Set<string>();
  for (const r of rows) {
    if (Number(r.t) !== 2) continue;
    const day = r.day!;
    const block = manifests.get(day)?.get(r.block!);
    if (!block)
      tampered(k, logOp, kind, `${kind}/${day}/${r.block}`, 'a posting row its day manifest does not list');
    if (Number(r.bucket) !== bucketOf(key, block.bits))
      tampered(k, logOp, kind, `${kind}/${day}/${block.id}/${r.bucket}`, 'a posting row outside its block');
    checkRow(k, mac, logOp, kind, day, block, {
      bucket: r.bucket!,
      level: r.level!,
      term_postings: r.bytes,
      postings_mac: r.mac,
    });
    seen.add(`${day}/${block.id}`);
    const b = r.bytes!;
    // First entry whose key is not below the term's.
    let lo = 0;
    let hi = b.length / ENTRY;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(b, mid * ENTRY) < key) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < b.length / ENTRY && keyAt(b, i * ENTRY) === key; i++)
      out.add(uuidText(b, i * ENTRY + TERM_PREFIX));
  }
  for (const [day, blocks] of manifests)
    for (const b of blocks.values())
      if (!seen.has(`${day}/${b.id}`))
        tampered(
          k,
          logOp,
          kind,
          `${kind}/${day}/${b.id}/${bucketOf(key, b.bits)}`,
          'the posting row is missing',
        );
  return out;
}

/**
 * A kind without a list of days never had postings: then every segment of the window must still be in the
 * backlog of unindexed segments, or the list was deleted (counted in one statement, one snapshot).
 */
async function checkNeverIndexed(
  k: GateKernel,
  logOp: string,
  kind: TelecomKind,
  fromDay: string | undefined,
  toDay: string | undefined,
): Promise<void> {
  const days = dayBounds(fromDay, toDay);
  const { rows } = await sql<{
    roots: number | string;
    segments: number | string;
    unindexed: number | string;
  }>`
    select (select count(*) from telecom_posting_roots where kind = ${kind}) as roots,
      (select count(*) from telecom_segments where kind = ${kind}${days}) as segments,
      (select count(*) from telecom_unindexed_segments where kind = ${kind}${days}) as unindexed`.execute(
    k.tx,
  );
  const r = rows[0]!;
  // A list written meanwhile (the first import committed after the search's read) is no tampering.
  if (Number(r.roots) === 0 && Number(r.segments) > Number(r.unindexed))
    tampered(k, logOp, kind, kind, 'the list of days is missing while indexed segments exist');
}

/** Deletes the postings (and the index backlog) of one whole day of `kind` (retention, whole period). */
export async function deleteDayPostings(k: GateKernel, kind: TelecomKind, day: string): Promise<void> {
  const mac = await PostingMac.of(k.keyring);
  await lockKind(k, kind);
  const root = await loadRoot(k, mac, 'delete', kind);
  await k.tx.deleteFrom('telecom_term_postings').where('kind', '=', kind).where('day', '=', day).execute();
  await k.tx.deleteFrom('telecom_posting_days').where('kind', '=', kind).where('day', '=', day).execute();
  if (root?.delete(day)) await saveRoot(k, mac, kind, root);
  await k.tx
    .deleteFrom('telecom_unindexed_segments')
    .where('kind', '=', kind)
    .where('day', '=', day)
    .execute();
}

/**
 * Removes these segments from their days' postings (retention, record by record): every block of such a day is
 * checked and its rows rewritten without their entries (an emptied row stays, empty), so no posting outlives its
 * segment.
 */
export async function deleteSegmentPostings(
  k: GateKernel,
  kind: TelecomKind,
  segments: readonly { id: string; day: string }[],
): Promise<void> {
  const byDay = new Map<string, Set<string>>();
  for (const s of segments)
    byDay.set(s.day, (byDay.get(s.day) ?? new Set()).add(uuidBytes(s.id).toString('hex')));
  const mac = await PostingMac.of(k.keyring);
  await lockKind(k, kind);
  const days = [...byDay.keys()].sort();
  const root = await loadRoot(k, mac, 'delete', kind);
  const manifests = await loadManifests(k, mac, 'delete', kind, days, root);
  for (const day of days) {
    const gone = byDay.get(day)!;
    const blocks = manifests.get(day) ?? [];
    const byBlock = await checkedBlockRows(k, mac, 'delete', kind, day, blocks);
    for (const b of blocks) {
      for (const r of byBlock.get(b.id)!) {
        const kept: Buffer[] = [];
        for (let o = 0; o < r.entries.length; o += ENTRY) {
          if (!gone.has(r.entries.toString('hex', o + TERM_PREFIX, o + ENTRY)))
            kept.push(r.entries.subarray(o, o + ENTRY));
        }
        if (kept.length * ENTRY === r.entries.length) continue;
        const entries = Buffer.concat(kept);
        await k.tx
          .updateTable('telecom_term_postings')
          .set({ term_postings: entries, postings_mac: mac.row(kind, day, b.id, b.level, r.bucket, entries) })
          .where('kind', '=', kind)
          .where('bucket', '=', r.bucket)
          .where('day', '=', day)
          .where('block', '=', b.id)
          .execute();
      }
    }
  }
  const ids = segments.map((s) => s.id);
  for (let i = 0; i < ids.length; i += IN_CHUNK)
    await k.tx
      .deleteFrom('telecom_unindexed_segments')
      .where('segment_id', 'in', ids.slice(i, i + IN_CHUNK))
      .execute();
}
