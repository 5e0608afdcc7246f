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
 */
import { sql } from 'kysely';
import type { GateKernel } from '../../gate/gate-kernel.ts';
import type { TelecomKind } from '../records/telecom-record.ts';
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

/** The rows of one block: sorted entries split into buckets at the depth their number calls for. */
function blockRows(kind: string, day: string, block: string, level: number, sorted: Buffer): unknown[][] {
  const n = sorted.length / ENTRY;
  const bits = bitsFor(n);
  const rows: unknown[][] = [];
  let start = 0;
  while (start < n) {
    const bucket = bucketOf(keyAt(sorted, start * ENTRY), bits);
    let end = start + 1;
    while (end < n && bucketOf(keyAt(sorted, end * ENTRY), bits) === bucket) end++;
    rows.push([kind, bucket, day, block, level, sorted.subarray(start * ENTRY, end * ENTRY)]);
    start = end;
  }
  return rows;
}

/** Serialises writers of one day's postings (merges and rewrites); SQLite has one writer anyway. */
async function lockDay(k: GateKernel, kind: string, day: string): Promise<void> {
  if (k.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(${`sigilo/telecom-postings/${kind}/${day}`}))`.execute(
    k.tx,
  );
}

/**
 * Writes the postings of segments stored in this transaction (one block per day) and merges the days that have
 * gathered FANOUT blocks of a level. Days are handled in order, so two importers never wait on each other in a
 * cycle.
 */
export async function writePostings(
  k: GateKernel,
  kind: TelecomKind,
  segments: SegmentTerms[],
  newBlock: () => string,
): Promise<void> {
  const byDay = new Map<string, SegmentTerms[]>();
  for (const s of segments) {
    let list = byDay.get(s.day);
    if (!list) byDay.set(s.day, (list = []));
    list.push(s);
  }
  const days = [...byDay.keys()].sort();
  const rows: unknown[][] = [];
  for (const day of days) {
    const list = byDay.get(day)!;
    let total = 0;
    for (const s of list) total += s.terms.length / TERM_BYTES;
    if (total === 0) continue;
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
    rows.push(...blockRows(kind, day, newBlock(), 0, sortEntries(entries)));
  }
  await k.bulk.insert(k.tx, 'telecom_term_postings', COLUMNS, rows);
  for (const day of days) await compactDay(k, kind, day, newBlock);
}

/** Merges, level by level, the blocks of a day that reached FANOUT at their level. */
async function compactDay(
  k: GateKernel,
  kind: TelecomKind,
  day: string,
  newBlock: () => string,
): Promise<void> {
  let locked = false;
  for (;;) {
    const blocks = await k.tx
      .selectFrom('telecom_term_postings')
      .select(['block', 'level'])
      .distinct()
      .where('kind', '=', kind)
      .where('day', '=', day)
      .where('level', '<', MAX_LEVEL)
      .execute();
    const byLevel = new Map<number, string[]>();
    for (const b of blocks) byLevel.set(b.level, [...(byLevel.get(b.level) ?? []), b.block]);
    const level = [...byLevel.keys()].sort((a, b) => a - b).find((l) => byLevel.get(l)!.length >= FANOUT);
    if (level === undefined) return;
    if (!locked) {
      // Another importer may be merging the same blocks: wait for it, then look again.
      await lockDay(k, kind, day);
      locked = true;
      continue;
    }
    const merge = byLevel.get(level)!;
    const parts: Buffer[] = [];
    for (let i = 0; i < merge.length; i += IN_CHUNK) {
      const chunk = merge.slice(i, i + IN_CHUNK);
      const rows = await k.tx
        .selectFrom('telecom_term_postings')
        .select('term_postings')
        .where('kind', '=', kind)
        .where('day', '=', day)
        .where('level', '=', level)
        .where('block', 'in', chunk)
        .execute();
      for (const r of rows) parts.push(Buffer.from(r.term_postings));
      await k.tx
        .deleteFrom('telecom_term_postings')
        .where('kind', '=', kind)
        .where('day', '=', day)
        .where('level', '=', level)
        .where('block', 'in', chunk)
        .execute();
    }
    const merged = sortEntries(Buffer.concat(parts));
    await k.bulk.insert(
      k.tx,
      'telecom_term_postings',
      COLUMNS,
      blockRows(kind, day, newBlock(), level + 1, merged),
    );
  }
}

/**
 * The ids of segments of `kind` whose postings hold the term (a 16-byte keyed hash), on the UTC days between
 * `fromDay` and `toDay` (inclusive; open when absent). May name a segment that lacks the term (a shared 52-bit
 * prefix), never misses one that holds it.
 */
export async function postingCandidates(
  k: GateKernel,
  kind: TelecomKind,
  term: Uint8Array,
  fromDay: string | undefined,
  toDay: string | undefined,
): Promise<Set<string>> {
  const key = keyAt(term, 0);
  const buckets = Array.from({ length: MAX_BITS + 1 }, (_, bits) => bucketOf(key, bits));
  let q = k.tx
    .selectFrom('telecom_term_postings')
    .select('term_postings')
    .where('kind', '=', kind)
    .where('bucket', 'in', buckets);
  if (fromDay) q = q.where('day', '>=', fromDay);
  if (toDay) q = q.where('day', '<=', toDay);
  const out = new Set<string>();
  for (const { term_postings: b } of await q.execute()) {
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
  return out;
}

/** Deletes the postings (and the index backlog) of one whole day of `kind` (retention, whole period). */
export async function deleteDayPostings(k: GateKernel, kind: TelecomKind, day: string): Promise<void> {
  await k.tx.deleteFrom('telecom_term_postings').where('kind', '=', kind).where('day', '=', day).execute();
  await k.tx
    .deleteFrom('telecom_unindexed_segments')
    .where('kind', '=', kind)
    .where('day', '=', day)
    .execute();
}

/**
 * Removes these segments from their days' postings (retention, record by record): every block of such a day is
 * rewritten without their entries, so no posting outlives its segment.
 */
export async function deleteSegmentPostings(
  k: GateKernel,
  kind: TelecomKind,
  segments: readonly { id: string; day: string }[],
): Promise<void> {
  const byDay = new Map<string, Set<string>>();
  for (const s of segments)
    byDay.set(s.day, (byDay.get(s.day) ?? new Set()).add(uuidBytes(s.id).toString('hex')));
  for (const day of [...byDay.keys()].sort()) {
    const gone = byDay.get(day)!;
    await lockDay(k, kind, day);
    const rows = await k.tx
      .selectFrom('telecom_term_postings')
      .select(['bucket', 'block', 'term_postings'])
      .where('kind', '=', kind)
      .where('day', '=', day)
      .execute();
    for (const r of rows) {
      const b = Buffer.from(r.term_postings);
      const kept: Buffer[] = [];
      for (let o = 0; o < b.length; o += ENTRY) {
        if (!gone.has(b.toString('hex', o + TERM_PREFIX, o + ENTRY))) kept.push(b.subarray(o, o + ENTRY));
      }
      if (kept.length * ENTRY === b.length) continue;
      const where = k.tx
        .updateTable('telecom_term_postings')
        .where('kind', '=', kind)
        .where('bucket', '=', r.bucket)
        .where('day', '=', day)
        .where('block', '=', r.block);
      if (kept.length) await where.set({ term_postings: Buffer.concat(kept) }).execute();
      else
        await k.tx
          .deleteFrom('telecom_term_postings')
          .where('kind', '=', kind)
          .where('bucket', '=', r.bucket)
          .where('day', '=', day)
          .where('block', '=', r.block)
          .execute();
    }
  }
  const ids = segments.map((s) => s.id);
  for (let i = 0; i < ids.length; i += IN_CHUNK)
    await k.tx
      .deleteFrom('telecom_unindexed_segments')
      .where('segment_id', 'in', ids.slice(i, i + IN_CHUNK))
      .execute();
}

/** Ids of segments of `kind` stored before postings existed (not yet indexed) on the days of a window. */
export async function unindexedSegments(
  k: GateKernel,
  kind: TelecomKind,
  fromDay: string | undefined,
  toDay: string | undefined,
): Promise<string[]> {
  let q = k.tx.selectFrom('telecom_unindexed_segments').select('segment_id').where('kind', '=', kind);
  if (fromDay) q = q.where('day', '>=', fromDay);
  if (toDay) q = q.where('day', '<=', toDay);
  return (await q.execute()).map((r) => r.segment_id);
}
