/**
 * Gate extension for telecom records at volume. Records are sealed in segments (one AES-256-GCM operation per
 * segment of up to SEGMENT_MAX records of one account and UTC day), so the bulk path costs one keyed hash per
 * record (its natural key, for idempotency) plus one per distinct number/username/IP, instead of one cipher
 * call per field. Every batch is authorized per account and logged in the same transaction as the rows.
 */
import { v7 as uuidv7 } from 'uuid';
import { SigiloError } from '../errors.ts';
import type { Operation } from '../policy/policy.evaluate.ts';
import {
  KIND_CATEGORY,
  decodeRecord,
  maskRecord,
  recordInstant,
  type StorableRecord,
  type TelecomKind,
  type TelecomRecord,
  type Term,
} from '../telecom/records/telecom-record.ts';
import type { GateSession } from './gate.ts';
import { kernelOf, type CategoryDecision, type GateKernel } from './gate.ts';
import { openField, sealedKeyVersion, sealField } from './sealed-field.cipher.ts';

/** Most records sealed together; bounds the memory of one segment when it is read back. */
export const SEGMENT_MAX = 2000;
const IN_CHUNK = 500;
const KEY_BYTES = 16;
const TERM_CACHE_LIMIT = 50_000;

/** Records of one account to store in one call. */
export interface AccountBatch {
  accountId: string;
  subjectId: string;
  records: StorableRecord[];
}

/** Blind indexes of terms, cached: CDRs repeat the same numbers (trunks, DIDs, frequent callees) all day. */
const termCache = new Map<string, Buffer>();

function termIndex(k: GateKernel, t: Term): Buffer {
  const id = `${t.kind}\u0000${t.value}`;
  let b = termCache.get(id);
  if (!b) {
    b = k.keyring.blindIndex(`telecom-term/${t.kind}`, t.value).subarray(0, KEY_BYTES);
    if (termCache.size >= TERM_CACHE_LIMIT) termCache.clear();
    termCache.set(id, b);
  }
  return b;
}

/** The keyed hash of a search term as stored (for queries). */
export function termKeyOf(session: GateSession, t: Term): Buffer {
  return termIndex(kernelOf(session), t);
}

const dayNames = new Map<number, string>();
/** UTC day of an instant, cached per day number (toISOString per record showed up in profiles). */
function dayOf(ms: number): string {
  const n = Math.floor(ms / 86_400_000);
  let name = dayNames.get(n);
  if (name === undefined) {
    name = new Date(n * 86_400_000).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(n, name);
  }
  return name;
}

/**
 * Seals and stores telecom records, skipping any whose natural key is already stored (idempotent: importing
 * the same file twice, or again after a crash, adds nothing). Returns how many were stored and skipped.
 */
export async function storeTelecomRecords(
  session: GateSession,
  kind: TelecomKind,
  batches: AccountBatch[],
  source: string,
): Promise<{ stored: number; duplicates: number }> {
  const k = kernelOf(session);
  const category = KIND_CATEGORY[kind];
  const now = k.now().toISOString();
  let stored = 0;
  let duplicates = 0;

  for (const batch of batches) {
    const decisions = k.authorize([category], 'write', batch.subjectId, 'ingest');
    const legalBasis = decisions.get(category)?.legalBasis ?? 'unknown';

    // Group by UTC day and give each group's chunks a segment id before knowing which records are new: the key
    // insert below both claims the natural keys and tells which records were not stored before.
    const groups = new Map<string, StorableRecord[]>();
    for (const rec of batch.records) {
      const day = dayOf(rec.at);
      let list = groups.get(day);
      if (!list) groups.set(day, (list = []));
      list.push(rec);
    }
    const keyRows: unknown[][] = [];
    const planned: { id: string; day: string; records: StorableRecord[] }[] = [];
    const seen = new Set<string>();
    for (const [day, recs] of groups) {
      for (let i = 0; i < recs.length; i += SEGMENT_MAX) {
        const seg = { id: uuidv7(), day, records: [] as StorableRecord[] };
        for (const rec of recs.slice(i, i + SEGMENT_MAX)) {
          if (seen.has(rec.naturalKey)) {
            duplicates++;
            continue;
          }
          seen.add(rec.naturalKey);
          // The account is part of the key: platform ids and traffic periods repeat across customers.
          const key = k.keyring
            .blindIndex(`telecom-record/${kind}`, `${batch.accountId}\u0000${rec.naturalKey}`)
            .subarray(0, KEY_BYTES);
          keyRows.push([kind, day, key, seg.id]);
          seg.records.push(rec);
        }
        planned.push(seg);
      }
    }
    const fresh = await k.bulk.insertNew(
      k.tx,
      'telecom_record_keys',
      KEY_COLUMNS,
      ['kind', 'day', 'record_key'],
      keyRows,
    );

    const dek = keyRows.length > 0 ? await k.currentDataKey(batch.subjectId) : null;
    const segmentRows: unknown[][] = [];
    const termsByDay = new Map<string, Set<Buffer>>();
    let row = 0;
    let batchStored = 0;
    for (const seg of planned) {
      const encoded: unknown[] = [];
      let terms = termsByDay.get(seg.day);
      if (!terms) termsByDay.set(seg.day, (terms = new Set<Buffer>()));
      let first = Infinity;
      let last = -Infinity;
      for (const rec of seg.records) {
        if (!fresh[row++]) {
          duplicates++;
          continue;
        }
        encoded.push(rec.encoded);
        if (rec.at < first) first = rec.at;
        if (rec.at > last) last = rec.at;
        // termIndex returns one cached Buffer per term, so identity dedupes within the batch (the insert
        // ignores the rare duplicate after a cache reset).
        for (const t of rec.terms) terms.add(termIndex(k, t));
      }
      if (encoded.length === 0) continue;
      const payload = Buffer.from(JSON.stringify(encoded), 'utf8');
      const sealed = sealField(
        dek!.key,
        dek!.version,
        { table: 'telecom_segments', rowId: seg.id, column: 'payload_ct', subjectId: batch.subjectId },
        payload,
      );
      segmentRows.push([
        seg.id,
        kind,
        batch.accountId,
        batch.subjectId,
        seg.day,
        new Date(first).toISOString(),
        new Date(last).toISOString(),
        encoded.length,
        sealed,
        source,
        now,
        legalBasis,
        k.policy.version,
        now,
      ]);
      batchStored += encoded.length;
    }
    await k.bulk.insert(k.tx, 'telecom_segments', SEGMENT_COLUMNS, segmentRows);
    const termRows: unknown[][] = [];
    for (const [day, terms] of termsByDay)
      for (const term of terms.values()) termRows.push([term, kind, batch.accountId, day]);
    await k.bulk.insertIgnoring(
      k.tx,
      'telecom_terms',
      TERM_COLUMNS,
      ['term', 'kind', 'account_id', 'day'],
      termRows,
    );
    stored += batchStored;
    k.allowed('ingest', batch.subjectId, decisions, `${batchStored} ${kind} records stored`);
  }
  return { stored, duplicates };
}

const KEY_COLUMNS = [
  ['kind', 'text'],
  ['day', 'text'],
  ['record_key', 'bytea'],
  ['segment_id', 'text'],
] as const;
const TERM_COLUMNS = [
  ['term', 'bytea'],
  ['kind', 'text'],
  ['account_id', 'text'],
  ['day', 'text'],
] as const;
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
  ['source', 'text'],
  ['collected_at', 'text'],
  ['legal_basis', 'text'],
  ['policy_version', 'integer'],
  ['created_at', 'text'],
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
}

/**
 * Streams the matching records, opened and masked as the policy says for this context. A search without an
 * account crosses customers, which only an authority order may do (SPEC §7, Decreto 8.771/2016): any other
 * purpose is refused and logged. One access-log entry per subject whose records were read.
 */
export async function* readTelecomRecords(
  session: GateSession,
  kind: TelecomKind,
  q: TelecomQuery,
  operation: Extract<Operation, 'read' | 'export'> = 'read',
): AsyncGenerator<TelecomRecord> {
  const k = kernelOf(session);
  const category = KIND_CATEGORY[kind];
  const logOp = q.accountId ? (operation === 'export' ? 'export' : 'read') : 'search';
  if (!q.accountId && k.ctx.purpose !== 'authority_order') {
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
  const decisions = k.authorize([category], operation, q.accountId ?? null, logOp);
  const level = decisions.get(category)!.masking;
  const fromDay = q.from?.slice(0, 10);
  const toDay = q.to?.slice(0, 10);
  const termKeys = (q.terms ?? []).map((t) => termIndex(k, t));

  const subjects = new Set<string>();
  let afterDay = '';
  let afterId = '';
  for (;;) {
    let sel = k.tx
      .selectFrom('telecom_segments')
      .select(['id', 'subject_id', 'day', 'payload_ct'])
      .where('kind', '=', kind)
      .where((eb) =>
        eb.or([eb('day', '>', afterDay), eb.and([eb('day', '=', afterDay), eb('id', '>', afterId)])]),
      );
    if (q.accountId) sel = sel.where('account_id', '=', q.accountId);
    if (fromDay) sel = sel.where('day', '>=', fromDay);
    if (toDay) sel = sel.where('day', '<=', toDay);
    for (const t of termKeys) {
      sel = sel.where((eb) =>
        eb.exists(
          eb
            .selectFrom('telecom_terms')
            .select('term')
            .where('term', '=', t)
            .where('telecom_terms.kind', '=', kind)
            .whereRef('telecom_terms.account_id', '=', 'telecom_segments.account_id')
            .whereRef('telecom_terms.day', '=', 'telecom_segments.day'),
        ),
      );
    }
    const page = await sel.orderBy('day').orderBy('id').limit(20).execute();
    if (page.length === 0) break;
    for (const seg of page) {
      afterDay = seg.day;
      afterId = seg.id;
      const records = await openSegment(k, kind, logOp, category, seg);
      // Logged before any record is released: a consumer may stop reading at any point.
      if (!subjects.has(seg.subject_id)) {
        subjects.add(seg.subject_id);
        k.allowed(logOp, seg.subject_id, decisions);
      }
      for (const r of records) {
        const at = recordInstant(r);
        if (q.from && at < q.from) continue;
        if (q.to && at > q.to) continue;
        if (q.terms && !q.terms.every((t) => holdsTerm(r, t))) continue;
        if (q.where && !q.where(r)) continue;
        yield maskRecord(r, level);
      }
    }
  }
  if (subjects.size === 0) k.allowed(logOp, q.accountId ?? null, decisions, 'no matching record');
}

async function openSegment(
  k: GateKernel,
  kind: TelecomKind,
  logOp: string,
  category: string,
  seg: { id: string; subject_id: string; payload_ct: Buffer },
): Promise<TelecomRecord[]> {
  const address = {
    table: 'telecom_segments',
    rowId: seg.id,
    column: 'payload_ct',
    subjectId: seg.subject_id,
  };
  try {
    const key = await k.dataKey(seg.subject_id, sealedKeyVersion(seg.payload_ct));
    const arr = JSON.parse(openField(key, address, seg.payload_ct).toString('utf8')) as unknown[][];
    return arr.map((a) => decodeRecord(kind, a));
  } catch (err) {
    if (err instanceof SigiloError && (err.code === 'INTEGRITY_ERROR' || err.code === 'SUBJECT_SHREDDED')) {
      k.fail(logOp, seg.subject_id, [category], 'error', err.code, err.message, {
        table: 'telecom_segments',
        rowId: seg.id,
      });
    }
    throw err;
  }
}

function holdsTerm(r: TelecomRecord, t: Term): boolean {
  switch (r.kind) {
    case 'cdr':
      return t.kind === 'number'
        ? r.caller === t.value || r.callee === t.value
        : t.kind === 'username'
          ? r.username?.toLowerCase() === t.value
          : r.sourceIp === t.value;
    case 'connection':
      return t.kind === 'ip'
        ? r.ip === t.value
        : t.kind === 'username'
          ? r.username?.toLowerCase() === t.value
          : false;
    case 'access':
      return t.kind === 'ip'
        ? r.ip === t.value
        : t.kind === 'username'
          ? r.user.toLowerCase() === t.value
          : false;
    case 'traffic':
      return false;
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

interface SegmentMeta {
  id: string;
  subject_id: string;
  account_id: string;
  day: string;
  record_count: number;
}

/** Deletes the keys and rows of these segments, drops terms of account-days left empty, logs per subject. */
async function removeSegments(
  k: GateKernel,
  kind: TelecomKind,
  decisions: Map<string, CategoryDecision>,
  segs: SegmentMeta[],
  wholeDay: string | null,
): Promise<TelecomSegmentDeletion> {
  if (wholeDay !== null) {
    // The whole (kind, day) went (segments deleted by the caller): keys and terms are one range delete each.
    await k.tx
      .deleteFrom('telecom_record_keys')
      .where('kind', '=', kind)
      .where('day', '=', wholeDay)
      .execute();
    await k.tx.deleteFrom('telecom_terms').where('kind', '=', kind).where('day', '=', wholeDay).execute();
  } else {
    const byDay = new Map<string, string[]>();
    for (const s of segs) byDay.set(s.day, [...(byDay.get(s.day) ?? []), s.id]);
    for (const [day, dayIds] of byDay) {
      for (let i = 0; i < dayIds.length; i += IN_CHUNK) {
        const chunk = dayIds.slice(i, i + IN_CHUNK);
        await k.tx
          .deleteFrom('telecom_record_keys')
          .where('kind', '=', kind)
          .where('day', '=', day)
          .where('segment_id', 'in', chunk)
          .execute();
        await k.tx.deleteFrom('telecom_segments').where('id', 'in', chunk).execute();
      }
    }
    // Terms are per account-day, not per segment: they go once no segment of that account-day is left.
    const accountDays = new Map<string, { accountId: string; day: string }>();
    for (const s of segs)
      accountDays.set(`${s.account_id}\u0000${s.day}`, { accountId: s.account_id, day: s.day });
    for (const { accountId, day } of accountDays.values()) {
      const left = await k.tx
        .selectFrom('telecom_segments')
        .select('id')
        .where('account_id', '=', accountId)
        .where('kind', '=', kind)
        .where('day', '=', day)
        .limit(1)
        .executeTakeFirst();
      if (left) continue;
      await k.tx
        .deleteFrom('telecom_terms')
        .where('kind', '=', kind)
        .where('day', '=', day)
        .where('account_id', '=', accountId)
        .execute();
    }
  }
  const perSubject = new Map<string, number>();
  let records = 0;
  for (const s of segs) {
    perSubject.set(s.subject_id, (perSubject.get(s.subject_id) ?? 0) + s.record_count);
    records += s.record_count;
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
      ...(await k.tx
        .selectFrom('telecom_segments')
        .select(['id', 'subject_id', 'account_id', 'day', 'record_count'])
        .where('kind', '=', kind)
        .where('id', 'in', segmentIds.slice(i, i + IN_CHUNK))
        .execute()),
    );
  }
  if (segs.length === 0) return { segmentIds: [], records: 0, subjects: [] };
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
  // once all of it has expired, so no import adds to it meanwhile; keys and terms then go by range.)
  const segs = await k.tx
    .deleteFrom('telecom_segments')
    .where('kind', '=', kind)
    .where('day', '=', day)
    .returning(['id', 'subject_id', 'account_id', 'day', 'record_count'])
    .execute();
  if (segs.length === 0) return { segmentIds: [], records: 0, subjects: [] };
  return removeSegments(k, kind, decisions, segs, day);
}
