/**
 * Gate extension for telecom records at volume. Records are sealed in segments (one AES-256-GCM operation per
 * segment of up to SEGMENT_MAX records of one account and UTC day); the keyed hashes of their natural keys and
 * terms are computed before the transaction (telecom-prepare.ts, on worker threads for bulk imports), so inside
 * it a record costs a probe of an in-memory key set. Every batch is authorized per account and logged in the same
 * transaction as the rows; reads and searches open only the segments they need.
 */
import { readAccountLinksIn } from '../../gate/account-links.ts';
import TinyQueue from 'tinyqueue';
import { v7 as uuidv7 } from 'uuid';
import { SigiloError } from '../../errors.ts';
import type { Operation } from '../../policy/policy.evaluate.ts';
import {
  KIND_CATEGORY,
  decodeRecord,
  holdsTerm,
  instantOf,
  maskRecord,
  naturalKeyOf,
  type StorableRecord,
  type TelecomKind,
  type TelecomRecord,
  type Term,
} from '../records/telecom-record.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf, type CategoryDecision, type GateKernel } from '../../gate/gate-kernel.ts';
import { openField, sealedKeyVersion, sealField } from '../../gate/sealed-field.cipher.ts';
import { KeySet } from '../records/key-set.ts';
import { mayHoldTerm } from '../records/term-filter.ts';
import {
  closeKeyGroups,
  groupKeyOf,
  KEY_SCHEME_BLAKE3,
  openKeyGroups,
  retireKeyGroups,
} from './telecom-key-groups.ts';
import { checkHeader, checkLegacy, openForCheck, type StoredHeader } from './telecom-segment-check.ts';
import { SEGMENT_HEADER_COLUMNS, SegmentMac, type SegmentHeader } from './telecom-segment-mac.ts';
import { RecordIds } from './telecom-record-id.ts';
import {
  deleteDayPostings,
  deleteSegmentPostings,
  postingCandidates,
  writePostings,
  type SegmentTerms,
} from './telecom-postings.ts';
import {
  decodePayload,
  eachOf,
  hashSegment,
  keepRecords,
  prepareAccount,
  RECORD_KEY_BYTES,
  telecomHashers,
  termId,
  type PreparedAccount,
  type PreparedSegment,
} from './telecom-prepare.ts';

const IN_CHUNK = 500;

/** Records of one account to store in one call (an account's data subject is the account itself). */
export interface AccountBatch {
  accountId: string;
  records: StorableRecord[];
}

/**
 * Seals and stores telecom records prepared in this thread (HTTP batches, small imports); see
 * storePreparedTelecom. Bulk imports prepare on worker threads instead (TelecomPreparer).
 */
export async function storeTelecomRecords(
  session: GateSession,
  kind: TelecomKind,
  batches: AccountBatch[],
  source: string,
): Promise<{ stored: number; duplicates: number }> {
  const hashers = await telecomHashers(kernelOf(session).keyring, kind);
  // Several batches of one account become several parts; the store dedupes across them.
  const prepared = batches.map((b) => prepareAccount(kind, b.accountId, b.records, hashers));
  return storePreparedTelecom(session, kind, prepared, source);
}

/**
 * Stores prepared segments, skipping every record whose natural key is already stored (idempotent: importing the
 * same file twice, or again after a crash, adds nothing). Per record this costs a probe of the key group's
 * in-memory key set; per segment of up to SEGMENT_MAX records, one AES-256-GCM operation and one row; per UTC
 * day, one block of term postings (telecom-postings.ts). Every account is authorized and logged in this
 * transaction.
 */
export async function storePreparedTelecom(
  session: GateSession,
  kind: TelecomKind,
  accounts: PreparedAccount[],
  source: string,
): Promise<{ stored: number; duplicates: number }> {
  const k = kernelOf(session);
  const category = KIND_CATEGORY[kind];
  const now = k.now().toISOString();
  const mac = await SegmentMac.of(k.keyring);
  let stored = 0;
  let duplicates = 0;
  const postings: SegmentTerms[] = [];
  const byAccount = new Map<string, PreparedAccount[]>();
  for (const a of accounts) byAccount.set(a.accountId, [...(byAccount.get(a.accountId) ?? []), a]);

  const sorted = sortedByKey(byAccount).map(([accountId, parts]) => {
    const byDay = new Map<string, PreparedSegment[]>();
    for (const part of parts) {
      duplicates += part.duplicates;
      for (const seg of part.segments) byDay.set(seg.day, [...(byDay.get(seg.day) ?? []), seg]);
    }
    // Every account authorised before any group is locked or read.
    return {
      accountId,
      days: sortedByKey(byDay),
      decisions: k.authorize([category], 'write', accountId, 'ingest'),
    };
  });
  // Every group of the transaction locked at once, in (account, day) order: two importers of overlapping data never
  // wait on each other in a cycle (PostgreSQL would abort one as a deadlock).
  const groups = await openKeyGroups(
    k,
    kind,
    sorted.flatMap(({ accountId, days }) => days.map(([day]) => ({ accountId, day }))),
  );
  const rows: unknown[][] = [];
  const closing: Parameters<typeof closeKeyGroups>[2][number][] = [];
  const logged: { subjectId: string; decisions: Map<string, CategoryDecision>; stored: number }[] = [];
  for (const { accountId, days, decisions } of sorted) {
    const subjectId = accountId;
    const legalBasis = decisions.get(category)?.legalBasis ?? 'unknown';
    const dek = await k.currentDataKey(subjectId);
    let accountStored = 0;
    for (const [day, segs] of days) {
      const open = groups.get(groupKeyOf(kind, accountId, day))!;
      const { keys: storedKeys, legacy } = open.group;
      const added = new KeySet();
      const addedKeys: Uint8Array[] = [];
      let seq = open.seen.segments;
      for (const prepared of segs) {
        let seg = prepared;
        const keep = new Array<boolean>(seg.count);
        let kept = 0;
        for (let i = 0; i < seg.count; i++) {
          const o = i * RECORD_KEY_BYTES;
          keep[i] =
            !storedKeys.has(seg.keys, o) &&
            !(legacy && isLegacyStored(k, kind, accountId, seg, i, storedKeys)) &&
            added.add(seg.keys, o);
          if (keep[i]) kept++;
        }
        duplicates += seg.count - kept;
        if (kept === 0) continue;
        if (kept < seg.count) seg = keepRecords(seg, keep);
        const row = sealSegment(k, dek, mac, {
          kind,
          accountId,
          subjectId,
          seq: ++seq,
          seg,
          source,
          now,
          legalBasis,
        });
        rows.push(row);
        postings.push({ id: row[0] as string, day, terms: seg.terms });
        addedKeys.push(seg.keys);
        accountStored += kept;
      }
      const keys = Buffer.concat(addedKeys);
      closing.push({
        open,
        key: { accountId, day },
        added: { segments: seq - open.seen.segments, keys, count: keys.length / RECORD_KEY_BYTES },
      });
    }
    stored += accountStored;
    logged.push({ subjectId, decisions, stored: accountStored });
  }
  // One insert for the whole transaction's segments (chunked by the bulk inserter), not one per account.
  await k.bulk.insert(k.tx, 'telecom_segments', SEGMENT_COLUMNS, rows);
  await closeKeyGroups(k, kind, closing);
  for (const l of logged) k.allowed('ingest', l.subjectId, l.decisions, `${l.stored} ${kind} records stored`);
  await writePostings(k, kind, postings, uuidv7);
  return { stored, duplicates };
}

function sortedByKey<V>(m: Map<string, V>): [string, V][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Whether record i was stored before 2026-11-26T1800, when keys were HMAC-SHA-256 of account and natural key.
 * Only groups holding such segments pay for it; the natural key is the first field of every record encoding.
 */
function isLegacyStored(
  k: GateKernel,
  kind: TelecomKind,
  accountId: string,
  seg: PreparedSegment,
  i: number,
  storedKeys: KeySet,
): boolean {
  const records = legacyDecoded.get(seg) ?? decodePayload(Buffer.from(seg.payload));
  legacyDecoded.set(seg, records);
  const naturalKey = naturalKeyOf(records[i]!);
  const key = k.keyring.blindIndex(`telecom-record/${kind}`, `${accountId}\u0000${naturalKey}`);
  return storedKeys.has(key, 0);
}
const legacyDecoded = new WeakMap<PreparedSegment, unknown[][]>();

/**
 * Seals one segment's payload under the subject's data key; the row with its keys, filter, provenance and the MAC
 * that covers all of them.
 */
function sealSegment(
  k: GateKernel,
  dek: { version: number; key: Buffer },
  mac: SegmentMac,
  s: {
    kind: TelecomKind;
    accountId: string;
    subjectId: string;
    seq: number;
    seg: PreparedSegment;
    source: string;
    now: string;
    legalBasis: string;
  },
): unknown[] {
  const id = uuidv7();
  let first = Infinity;
  let last = -Infinity;
  for (const at of s.seg.ats) {
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const sealed = sealField(
    dek.key,
    dek.version,
    { table: 'telecom_segments', rowId: id, column: 'payload_ct', subjectId: s.subjectId },
    bytesOf(s.seg.payload),
  );
  const header: SegmentHeader = {
    id,
    kind: s.kind,
    account_id: s.accountId,
    subject_id: s.subjectId,
    day: s.seg.day,
    first_at: new Date(first).toISOString(),
    last_at: new Date(last).toISOString(),
    record_count: s.seg.count,
    seq: s.seq,
    term_filter: bytesOf(s.seg.filter),
    source: s.source,
    collected_at: s.now,
    legal_basis: s.legalBasis,
    policy_version: k.policy.version,
    created_at: s.now,
  };
  const recordKeys = Buffer.concat([Buffer.from([KEY_SCHEME_BLAKE3]), s.seg.keys]);
  return [
    header.id,
    header.kind,
    header.account_id,
    header.subject_id,
    header.day,
    header.first_at,
    header.last_at,
    header.record_count,
    sealed,
    recordKeys,
    header.term_filter,
    header.seq,
    header.source,
    header.collected_at,
    header.legal_basis,
    header.policy_version,
    header.created_at,
    mac.seal(header, recordKeys),
  ];
}

function bytesOf(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const SEGMENT_COLUMNS = [
  ['id', 'text'],
  ['kind', 'text'],
  ['account_id', 'text'],
  ['subject_id', 'text'],
  ['day', 'text'],
  ['first_at', 'text'],
  ['last_at', 'text'],
  ['record_count', 'integer'],
  ['payload_ct', 'bytea'],
  ['record_keys', 'bytea'],
  ['term_filter', 'bytea'],
  ['seq', 'integer'],
  ['source', 'text'],
  ['collected_at', 'text'],
  ['legal_basis', 'text'],
  ['policy_version', 'integer'],
  ['created_at', 'text'],
  ['header_mac', 'bytea'],
] as const;

/** What to read: one account's records in a window, or (authority searches) records holding a term. */
export interface TelecomQuery {
  accountId?: string;
  /** Inclusive ISO instants. */
  from?: string;
  to?: string;
  /** Only records containing every one of these terms (numbers in E.164, usernames lower-case, canonical IPs). */
  terms?: Term[];
  /** Extra record filter applied after decryption (e.g. the port range of a CGNAT search). */
  where?: (r: TelecomRecord) => boolean;
  /** Only records after this position (the last record of the previous page). */
  after?: RecordPosition;
  /**
   * The person whose own calls these are (with `accountId` and number terms): a context acting for that person
   * (the portal) may read them although the segments belong to the account (see `ownCallsOf`).
   */
  person?: string;
}

/**
 * Where a stored record stands in the order reads return: its instant, then (records of the same instant) its
 * segment and its place in the segment. Unique, and stable: segments are never rewritten.
 */
export interface RecordPosition {
  /** Epoch milliseconds of the record's instant. */
  at: number;
  segment: string;
  index: number;
}

/** A record as read, with its position. */
export interface PositionedRecord extends RecordPosition {
  record: TelecomRecord;
}

/** Orders positions: by instant, then segment id, then place in the segment. */
export function comparePositions(a: RecordPosition, b: RecordPosition): number {
  return a.at - b.at || (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0) || a.index - b.index;
}

/** The records of one opened segment that a read returns, in order, and the next to hand out. */
interface SegmentCursor {
  subjectId: string;
  records: PositionedRecord[];
  next: number;
}

/**
 * Streams the matching records in time order (oldest first; equal instants by segment and place), opened and
 * masked as the policy says for this context. Segments are visited by their first instant and merged: a
 * record is handed out once no segment still unopened can hold an earlier one, so only the segments whose time
 * ranges overlap are held at once. A search without an account crosses customers, which only an authority order
 * may do (SPEC §7, Decreto 8.771/2016): any other purpose is refused and logged. One access-log entry per subject
 * whose records were read.
 */
export async function* readTelecomRecords(
  session: GateSession,
  kind: TelecomKind,
  q: TelecomQuery,
  operation: Extract<Operation, 'read' | 'export'> = 'read',
): AsyncGenerator<PositionedRecord> {
  const k = kernelOf(session);
  const category = KIND_CATEGORY[kind];
  const logOp = q.accountId ? (operation === 'export' ? 'export' : 'read') : 'search';
  // (No purpose at all is PURPOSE_REQUIRED, answered by `authorize` below.)
  if (!q.accountId && k.ctx.purpose && k.ctx.purpose !== 'authority_order') {
    k.fail(
      logOp,
      null,
      [category],
      'denied',
      'PURPOSE_NOT_ALLOWED',
      'searching telecom records across accounts needs purpose authority_order',
    );
  }
  if (!q.accountId && (!q.terms || q.terms.length === 0)) {
    throw new SigiloError(
      'VALIDATION_FAILED',
      'a search across accounts needs a specific target (number, username or IP)',
      { path: 'terms' },
    );
  }
  const subject = (await ownCallsOf(k, q)) ?? q.accountId ?? null;
  const decisions = k.authorize([category], operation, subject, logOp);
  const level = decisions.get(category)!.masking;
  const window = readWindow(q);
  const { term } = await telecomHashers(k.keyring, kind);
  const termKeys = (q.terms ?? []).map((t) => term.hash(termId(t)));
  const mac = await SegmentMac.of(k.keyring);
  const ids = await RecordIds.of(k.keyring);

  const subjects = new Set<string>();
  const open = new TinyQueue<SegmentCursor>([], (a, b) =>
    comparePositions(a.records[a.next]!, b.records[b.next]!),
  );
  /** Hands out, in order, the records of opened segments that come before `limit` (epoch ms). */
  const release = function* (limit: number): Generator<PositionedRecord> {
    while (open.length && open.peek()!.records[open.peek()!.next]!.at < limit) {
      const cursor = open.pop()!;
      const r = cursor.records[cursor.next++]!;
      if (cursor.next < cursor.records.length) open.push(cursor);
      // Logged before the subject's first record is released (a consumer may stop reading at any point);
      // segments opened only to find nothing matching (filter false positives) release nothing.
      if (!subjects.has(cursor.subjectId)) {
        subjects.add(cursor.subjectId);
        k.allowed(logOp, cursor.subjectId, decisions);
      }
      // The natural key never leaves the gate: the record is shown under its opaque id.
      r.record = maskRecord({ ...r.record, key: ids.id(kind, cursor.subjectId, r.record.key) }, level);
      yield r;
    }
  };

  // A search across accounts finds its candidate segments in the term postings (and among segments stored
  // before postings existed); a read of one account walks that account's segment headers.
  const pages =
    !q.accountId && termKeys.length
      ? indexedHeaderPages(k, kind, termKeys[0]!, window, logOp)
      : scannedHeaderPages(k, kind, q.accountId, window, termKeys.length ? 500 : 20);
  for await (const headers of pages) {
    // Nothing in a header is trusted before its MAC is checked (owner, day, time range, filter). A segment
    // stored before MACs existed is always opened and checked against its payload.
    const legacy = new Set<string>();
    for (const h of headers) if (!checkHeader(k, mac, logOp, h)) legacy.add(h.id);
    const wanted = headers.filter(
      (h) => legacy.has(h.id) || termKeys.every((t) => mayHoldTerm(h.term_filter, t)),
    );
    // LGPD Art. 9 §2: the records are read only for purposes their collection's policy version declared (the
    // version is in the authenticated header; a legacy header's is checked against its payload when opened).
    k.authorizeCollected(
      wanted.map((h) => ({ subjectId: h.subject_id, policyVersion: Number(h.policy_version) })),
      [category],
      logOp,
    );
    // The blocks of every subject of the page in one statement (not one per new subject as the segments come).
    await k.assertNotBlocked(
      wanted.map((h) => h.subject_id),
      [category],
      logOp,
    );
    // Payloads are fetched 20 segments at a time and released before the next: memory stays bounded.
    for (let i = 0; i < wanted.length; i += 20) {
      const chunk = wanted.slice(i, i + 20);
      const rows = await k.tx
        .selectFrom('telecom_segments')
        .select(['id', 'subject_id', 'payload_ct', 'record_keys'])
        .where(
          'id',
          'in',
          chunk.map((h) => h.id),
        )
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const h of chunk) {
        const seg = byId.get(h.id);
        if (!seg) continue; // deleted meanwhile by a retention sweep
        // Nothing in this segment or any later one is earlier than its first instant.
        yield* release(Date.parse(h.first_at));
        // A search across accounts may reach a shredded subject's segment (a filter false positive): its data
        // is erased and it has nothing to give. Within one account, SUBJECT_SHREDDED stands.
        const encoded = await openSegment(k, logOp, category, seg, !q.accountId);
        if (!encoded) continue;
        if (legacy.has(h.id)) await checkLegacy(k, logOp, h, encoded, seg.record_keys);
        const records = matchingRecords(kind, seg.id, encoded, q, window);
        if (records.length) open.push({ subjectId: seg.subject_id, records, next: 0 });
      }
    }
  }
  yield* release(Infinity);
  if (subjects.size === 0) k.allowed(logOp, q.accountId ?? null, decisions, 'no matching record');
}

/**
 * Acting for one person, their calls live in segments of the accounts they belong to, under the account's key.
 * The read counts as the person's own only when the person is linked to that account and every term is a number
 * on file for the person (found by blind index, then its row MAC checked and its sealed value opened and compared,
 * not taken from the caller): then the person is the
 * subject authorised, and only records holding their own numbers come out. Otherwise undefined.
 */
async function ownCallsOf(k: GateKernel, q: TelecomQuery): Promise<string | undefined> {
  const person = q.person;
  if (!person || !q.accountId || !q.terms?.length || k.ctx.actingForSubject !== person) return undefined;
  // The link is checked (record MAC): one added or moved with SQL must not make another account's calls "own".
  const [link] = await readAccountLinksIn(k, { accounts: [q.accountId], people: [person] });
  if (!link) return undefined;
  for (const t of q.terms) {
    if (t.kind !== 'number') return undefined;
    const rows = await k.tx
      .selectFrom('contact_points')
      .select(['id', 'subject_id', 'value_ct', ...k.rowMacColumns('contact_points')] as 'id'[])
      .where('person_id', '=', person)
      .where('kind', '=', 'phone')
      .where('value_bidx', '=', k.keyring.blindIndex('phone', t.value))
      .execute();
    // The blind index is not bound by the row MAC: a number copied into the person's row by someone who can write
    // the database must not make another subscriber's calls "own". The row is checked and its sealed value opened.
    await k.checkRowMacs('contact_points', 'phone', 'read', rows);
    let own = false;
    for (const r of rows as unknown as { id: string; subject_id: string; value_ct: Buffer }[]) {
      if (r.subject_id !== person) continue;
      const address = { table: 'contact_points', rowId: r.id, column: 'value_ct', subjectId: r.subject_id };
      const key = await k.dataKey(r.subject_id, sealedKeyVersion(r.value_ct));
      if (openField(key, address, r.value_ct).toString('utf8') === t.value) own = true;
    }
    if (!own) return undefined;
  }
  return person;
}

/**
 * Pages of segment headers (no payload) in read order (day, first instant, id): a term search tests each
 * segment's Bloom filter and opens only the segments that may hold every term.
 */
async function* scannedHeaderPages(
  k: GateKernel,
  kind: TelecomKind,
  accountId: string | undefined,
  window: ReadWindow,
  pageSize: number,
): AsyncGenerator<StoredHeader[]> {
  let after = { day: '', firstAt: '', id: '' };
  for (;;) {
    let sel = k.tx
      .selectFrom('telecom_segments')
      .select(SEGMENT_HEADER_COLUMNS)
      .where('kind', '=', kind)
      .where((eb) =>
        eb.or([
          eb('day', '>', after.day),
          eb.and([
            eb('day', '=', after.day),
            eb.or([
              eb('first_at', '>', after.firstAt),
              eb.and([eb('first_at', '=', after.firstAt), eb('id', '>', after.id)]),
            ]),
          ]),
        ]),
      );
    if (accountId) sel = sel.where('account_id', '=', accountId);
    if (window.fromDay) sel = sel.where('day', '>=', window.fromDay).where('last_at', '>=', window.fromIso!);
    if (window.toDay) sel = sel.where('day', '<=', window.toDay).where('first_at', '<=', window.toIso!);
    const headers = (await sel
      .orderBy('day')
      .orderBy('first_at')
      .orderBy('id')
      .limit(pageSize)
      .execute()) as StoredHeader[];
    if (headers.length === 0) return;
    const last = headers[headers.length - 1]!;
    after = { day: last.day, firstAt: last.first_at, id: last.id };
    yield headers;
  }
}

/** Days a search gathers candidates for at once: bounds the headers held in memory. */
const INDEXED_DAYS = 31;

/**
 * The headers of the segments whose postings hold `term` (or that are not indexed yet), in read order, a month of
 * days at a time. Reads as many header rows as the term has segments, not as the window has.
 */
async function* indexedHeaderPages(
  k: GateKernel,
  kind: TelecomKind,
  term: Uint8Array,
  window: ReadWindow,
  logOp: string,
): AsyncGenerator<StoredHeader[]> {
  const spans: [string | undefined, string | undefined][] = [];
  if (window.fromDay && window.toDay) {
    const DAY = 86_400_000;
    const last = Date.parse(window.toDay);
    for (let d = Date.parse(window.fromDay); d <= last; d += INDEXED_DAYS * DAY) {
      const to = Math.min(last, d + (INDEXED_DAYS - 1) * DAY);
      spans.push([new Date(d).toISOString().slice(0, 10), new Date(to).toISOString().slice(0, 10)]);
    }
  } else spans.push([window.fromDay, window.toDay]);
  for (const [fromDay, toDay] of spans) {
    const ids = [...(await postingCandidates(k, kind, term, fromDay, toDay, logOp))];
    const headers: StoredHeader[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      let sel = k.tx
        .selectFrom('telecom_segments')
        .select(SEGMENT_HEADER_COLUMNS)
        .where('kind', '=', kind)
        .where('id', 'in', ids.slice(i, i + IN_CHUNK));
      if (window.fromIso) sel = sel.where('last_at', '>=', window.fromIso);
      if (window.toIso) sel = sel.where('first_at', '<=', window.toIso);
      headers.push(...((await sel.execute()) as StoredHeader[]));
    }
    headers.sort((a, b) =>
      a.day !== b.day
        ? a.day < b.day
          ? -1
          : 1
        : a.first_at !== b.first_at
          ? a.first_at < b.first_at
            ? -1
            : 1
          : a.id < b.id
            ? -1
            : a.id > b.id
              ? 1
              : 0,
    );
    for (let i = 0; i < headers.length; i += 500) yield headers.slice(i, i + 500);
  }
}

/** A query's time bounds: inclusive epoch milliseconds, and the UTC days and segment instants they cover. */
interface ReadWindow {
  from: number;
  to: number;
  fromDay?: string;
  fromIso?: string;
  toDay?: string;
  toIso?: string;
}

function readWindow(q: TelecomQuery): ReadWindow {
  const bound = (v: string | undefined, path: string): number | undefined => {
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms))
      throw new SigiloError('VALIDATION_FAILED', `${path} must be an ISO-8601 date-time`, { path });
    return ms;
  };
  const fromMs = bound(q.from, 'from');
  const toMs = bound(q.to, 'to');
  // Records at the previous page's last instant may still follow it; earlier ones have all been read.
  const start = q.after ? Math.max(fromMs ?? -Infinity, q.after.at) : fromMs;
  const w: ReadWindow = { from: start ?? -Infinity, to: toMs ?? Infinity };
  if (start !== undefined) {
    w.fromIso = new Date(start).toISOString();
    w.fromDay = w.fromIso.slice(0, 10);
  }
  if (toMs !== undefined) {
    w.toIso = new Date(toMs).toISOString();
    w.toDay = w.toIso.slice(0, 10);
  }
  return w;
}

/** The records of an opened segment that the query returns, decoded and in order (unmasked). */
function matchingRecords(
  kind: TelecomKind,
  segment: string,
  encoded: unknown[][],
  q: TelecomQuery,
  window: ReadWindow,
): PositionedRecord[] {
  const out: PositionedRecord[] = [];
  for (let index = 0; index < encoded.length; index++) {
    const a = encoded[index]!;
    const at = instantOf(kind, a);
    if (at < window.from || at > window.to) continue;
    if (q.after && comparePositions({ at, segment, index }, q.after) <= 0) continue;
    if (q.terms && !q.terms.every((t) => holdsTerm(kind, a, t))) continue;
    const record = decodeRecord(kind, a);
    if (q.where && !q.where(record)) continue;
    out.push({ at, segment, index, record });
  }
  // A segment holds its records in the order they were ingested.
  return out.sort((x, y) => x.at - y.at || x.index - y.index);
}

/** Opens one segment: its records' encodings (INTEGRITY_ERROR and SUBJECT_SHREDDED are logged). */
async function openSegment(
  k: GateKernel,
  logOp: string,
  category: string,
  seg: { id: string; subject_id: string; payload_ct: Buffer },
  skipShredded = false,
): Promise<unknown[][] | null> {
  const address = {
    table: 'telecom_segments',
    rowId: seg.id,
    column: 'payload_ct',
    subjectId: seg.subject_id,
  };
  try {
    const key = await k.dataKey(seg.subject_id, sealedKeyVersion(seg.payload_ct));
    return decodePayload(openField(key, address, seg.payload_ct));
  } catch (err) {
    if (skipShredded && err instanceof SigiloError && err.code === 'SUBJECT_SHREDDED') return null;
    if (err instanceof SigiloError && (err.code === 'INTEGRITY_ERROR' || err.code === 'SUBJECT_SHREDDED')) {
      k.fail(logOp, seg.subject_id, [category], 'error', err.code, err.message, {
        table: 'telecom_segments',
        rowId: seg.id,
      });
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Retention by segment and by exact day (src/telecom/telecom.retention-targets.ts).

/** What a retention deletion of telecom segments removed. */
export interface TelecomSegmentDeletion {
  /** Segments deleted, sorted (the certificate digest is taken over them). */
  segmentIds: string[];
  /** Records they held. */
  records: number;
  /** Subjects (accounts) whose segments went. */
  subjects: string[];
}

type SegmentMeta = StoredHeader;

/**
 * Checks the headers of segments about to be deleted (a retention sweep must not delete a segment whose day or
 * count someone edited): by MAC, or against the payload for segments stored before MACs.
 */
async function checkBeforeDelete(k: GateKernel, segs: SegmentMeta[]): Promise<void> {
  const mac = await SegmentMac.of(k.keyring);
  const legacy = segs.filter((h) => !checkHeader(k, mac, 'delete', h));
  for (let i = 0; i < legacy.length; i += IN_CHUNK) {
    const chunk = legacy.slice(i, i + IN_CHUNK);
    const rows = await k.tx
      .selectFrom('telecom_segments')
      .select(['id', 'payload_ct', 'record_keys'])
      .where(
        'id',
        'in',
        chunk.map((h) => h.id),
      )
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const h of chunk) {
      const row = byId.get(h.id);
      if (!row) continue;
      await checkLegacy(k, 'delete', h, await openForCheck(k, 'delete', h, row.payload_ct), row.record_keys);
    }
  }
}

/**
 * Deletes these segments (unless the caller already deleted a whole day) and retires their key groups, so that
 * every ingesting process reloads the keys left; logs per subject.
 */
async function removeSegments(
  k: GateKernel,
  kind: TelecomKind,
  decisions: Map<string, CategoryDecision>,
  segs: SegmentMeta[],
  wholeDay: string | null,
): Promise<TelecomSegmentDeletion> {
  // Key groups before postings: importers lock their key groups first and the kind's postings last, and so does
  // this (no wait cycle on PostgreSQL).
  if (wholeDay !== null) {
    await retireKeyGroups(k, kind, wholeDay);
    await deleteDayPostings(k, kind, wholeDay);
  } else {
    for (let i = 0; i < segs.length; i += IN_CHUNK) {
      const chunk = segs.slice(i, i + IN_CHUNK).map((s) => s.id);
      await k.tx.deleteFrom('telecom_segments').where('id', 'in', chunk).execute();
    }
    // In (account, day) order, as importers lock them.
    const accountDays = new Map<string, { accountId: string; day: string }>();
    for (const s of segs)
      accountDays.set(`${s.account_id}\u0000${s.day}`, { accountId: s.account_id, day: s.day });
    for (const id of [...accountDays.keys()].sort()) {
      const { accountId, day } = accountDays.get(id)!;
      await retireKeyGroups(k, kind, day, accountId);
    }
    await deleteSegmentPostings(k, kind, segs);
  }
  const perSubject = new Map<string, number>();
  let records = 0;
  for (const s of segs) {
    perSubject.set(s.subject_id, (perSubject.get(s.subject_id) ?? 0) + Number(s.record_count));
    records += Number(s.record_count);
  }
  for (const [subject, n] of perSubject)
    k.allowed('delete', subject, decisions, `${n} ${kind} records deleted by retention`);
  return { segmentIds: segs.map((s) => s.id).sort(), records, subjects: [...perSubject.keys()].sort() };
}

/**
 * Deletes these segments of one kind (retention, record by record: the ids were already checked for expiry and
 * holds). Ids of another kind or already gone are ignored. Needs `delete` on the category; one log entry per
 * subject.
 */
export async function deleteTelecomSegments(
  session: GateSession,
  kind: TelecomKind,
  segmentIds: readonly string[],
): Promise<TelecomSegmentDeletion> {
  const k = kernelOf(session);
  const decisions = k.authorize([KIND_CATEGORY[kind]], 'delete', null, 'delete');
  const segs: SegmentMeta[] = [];
  for (let i = 0; i < segmentIds.length; i += IN_CHUNK) {
    segs.push(
      ...((await k.tx
        .selectFrom('telecom_segments')
        .select(SEGMENT_HEADER_COLUMNS)
        .where('kind', '=', kind)
        .where('id', 'in', segmentIds.slice(i, i + IN_CHUNK))
        .execute()) as SegmentMeta[]),
    );
  }
  if (segs.length === 0) return { segmentIds: [], records: 0, subjects: [] };
  await checkBeforeDelete(k, segs);
  return removeSegments(k, kind, decisions, segs, null);
}

/**
 * Deletes every segment of one kind on exactly one UTC day (retention, whole period: the caller checked that the
 * day has expired and that no hold touches it). Needs `delete` on the category; one log entry per subject.
 */
export async function deleteTelecomDay(
  session: GateSession,
  kind: TelecomKind,
  day: string,
): Promise<TelecomSegmentDeletion> {
  const k = kernelOf(session);
  const decisions = k.authorize([KIND_CATEGORY[kind]], 'delete', null, 'delete');
  // RETURNING: what is logged and certified is exactly what this statement deleted. (A day is eligible only
  // once all of it has expired, so no import adds to it meanwhile; its key groups then go by range.)
  // Segments stored before MACs are checked against their payloads before the statement (they are gone after
  // it); the others by MAC after it, in its transaction, so a failure rolls the deletion back.
  const legacy = (await k.tx
    .selectFrom('telecom_segments')
    .select(SEGMENT_HEADER_COLUMNS)
    .where('kind', '=', kind)
    .where('day', '=', day)
    .where('header_mac', 'is', null)
    .execute()) as SegmentMeta[];
  await checkBeforeDelete(k, legacy);
  const checked = new Set(legacy.map((h) => h.id));
  const segs = (await k.tx
    .deleteFrom('telecom_segments')
    .where('kind', '=', kind)
    .where('day', '=', day)
    .returning(SEGMENT_HEADER_COLUMNS)
    .execute()) as SegmentMeta[];
  if (segs.length === 0) return { segmentIds: [], records: 0, subjects: [] };
  await checkBeforeDelete(
    k,
    segs.filter((h) => !checked.has(h.id)),
  );
  return removeSegments(k, kind, decisions, segs, day);
}

/**
 * Indexes up to `limit` segments of `kind` stored before term postings existed (the 2026-12-04T1500 migration
 * lists them): opens each under the ingest grant (its terms are derived again from what was ingested, and nothing
 * leaves the gate), writes their postings and takes them off the backlog. A shredded subject's segment leaves the
 * backlog unindexed (nothing of it can be found anyway). Returns how many left the backlog; 0 when it is empty.
 */
export async function indexTelecomBacklog(
  session: GateSession,
  kind: TelecomKind,
  limit = 500,
): Promise<number> {
  const k = kernelOf(session);
  const category = KIND_CATEGORY[kind];
  const ids = (
    await k.tx
      .selectFrom('telecom_unindexed_segments')
      .select('segment_id')
      .where('kind', '=', kind)
      .orderBy('day')
      .orderBy('segment_id')
      .limit(Math.max(1, Math.min(IN_CHUNK, Math.floor(limit))))
      .execute()
  ).map((r) => r.segment_id);
  if (ids.length === 0) return 0;
  const hashers = await telecomHashers(k.keyring, kind);
  const segs = await k.tx
    .selectFrom('telecom_segments')
    .select(['id', 'subject_id', 'day', 'payload_ct'])
    .where('kind', '=', kind)
    .where('id', 'in', ids)
    .execute();
  const bySubject = new Map<string, typeof segs>();
  for (const s of segs) bySubject.set(s.subject_id, [...(bySubject.get(s.subject_id) ?? []), s]);
  const postings: SegmentTerms[] = [];
  for (const [subjectId, list] of sortedByKey(bySubject)) {
    const decisions = k.authorize([category], 'write', subjectId, 'ingest');
    let indexed = 0;
    for (const seg of list) {
      const encoded = await openSegment(k, 'ingest', category, seg, true);
      if (!encoded) continue;
      const { terms } = hashSegment(kind, encoded.length, eachOf(encoded), hashers);
      postings.push({ id: seg.id, day: seg.day, terms });
      indexed++;
    }
    k.allowed('ingest', subjectId, decisions, `${indexed} ${kind} segments indexed for search`);
  }
  await writePostings(k, kind, postings, uuidv7);
  await k.tx.deleteFrom('telecom_unindexed_segments').where('segment_id', 'in', ids).execute();
  return ids.length;
}
