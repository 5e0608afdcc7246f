/**
 * Checks a stored segment's plain columns before anything trusts them (issue 13 §5): reads, searches, ingestion's
 * key loading and retention deletions. A segment written with a MAC must match it; a segment stored before MACs
 * existed (NULL `header_mac`) is accepted only when each plain column agrees with its opened payload. Either
 * failure is an INTEGRITY_ERROR naming the segment, logged by the gate kernel (`fail`).
 */
import { SigiloError } from '../../errors.ts';
import type { GateKernel } from '../../gate/gate-kernel.ts';
import { openField, sealedKeyVersion } from '../../gate/sealed-field.cipher.ts';
import {
  KIND_CATEGORY,
  instantOf,
  naturalKeyOf,
  visitTerms,
  type TelecomKind,
} from '../records/telecom-record.ts';
import { mayHoldTerm } from '../records/term-filter.ts';
import {
  decodePayload,
  eachOf,
  hashSegment,
  RECORD_KEY_BYTES,
  telecomHashers,
  termId,
} from './telecom-prepare.ts';
import { SegmentMac, type SegmentHeader } from './telecom-segment-mac.ts';

/** `record_keys` byte 0 of segments stored before 2026-11-26T1800 (HMAC-SHA-256 keys). */
const KEY_SCHEME_HMAC = 1;

/** A stored segment's header as selected (SEGMENT_HEADER_COLUMNS). */
export type StoredHeader = SegmentHeader & { header_mac: Buffer | null };

/** Fails (logged) with INTEGRITY_ERROR naming the segment. */
export function segmentTampered(k: GateKernel, logOp: string, h: StoredHeader, reason: string): never {
  k.fail(logOp, h.subject_id, [KIND_CATEGORY[h.kind as TelecomKind]], 'error', 'INTEGRITY_ERROR', reason, {
    table: 'telecom_segments',
    rowId: h.id,
  });
}

/**
 * Checks the MAC of a header (and of its natural-key hashes when `recordKeys` is given). Returns false for a
 * segment without MAC only before the row-MAC backfill has run (the caller must then check it against its payload,
 * `checkLegacy`); after it, a segment without MAC is an INTEGRITY_ERROR.
 */
export function checkHeader(
  k: GateKernel,
  mac: SegmentMac,
  logOp: string,
  h: StoredHeader,
  recordKeys?: Buffer | null,
): boolean {
  if (h.header_mac === null) {
    // Once the row-MAC key exists every segment has been given a MAC (telecom-segment-backfill.ts): NULL is an edit.
    if (k.keyring.hasRowMacKey) segmentTampered(k, logOp, h, 'segment has no MAC');
    return false;
  }
  const ok =
    recordKeys === undefined
      ? mac.verifyHeader(h, h.header_mac)
      : mac.verifyKeys(h, recordKeys, h.header_mac);
  if (!ok) segmentTampered(k, logOp, h, 'segment metadata does not match its MAC');
  return true;
}

/** Opens a segment's payload for a check (no record is released); INTEGRITY_ERROR is logged and thrown. */
export async function openForCheck(
  k: GateKernel,
  logOp: string,
  h: StoredHeader,
  payload: Buffer,
): Promise<unknown[][]> {
  const address = { table: 'telecom_segments', rowId: h.id, column: 'payload_ct', subjectId: h.subject_id };
  try {
    const key = await k.dataKey(h.subject_id, sealedKeyVersion(payload));
    return decodePayload(openField(key, address, payload));
  } catch (err) {
    if (err instanceof SigiloError && (err.code === 'INTEGRITY_ERROR' || err.code === 'SUBJECT_SHREDDED')) {
      k.fail(logOp, h.subject_id, [KIND_CATEGORY[h.kind as TelecomKind]], 'error', err.code, err.message, {
        table: 'telecom_segments',
        rowId: h.id,
      });
    }
    throw err;
  }
}

/**
 * Checks a segment stored without MAC against its opened payload (authenticated with its row, subject and key
 * version): the account is the subject, the count, day and time range are the records', and the natural-key
 * hashes and term filter are the ones its records give. `seq` and provenance cannot be derived and are not checked.
 */
export async function checkLegacy(
  k: GateKernel,
  logOp: string,
  h: StoredHeader,
  records: unknown[][],
  recordKeys: Buffer | null,
): Promise<void> {
  const kind = h.kind as TelecomKind;
  const bad = (what: string): never =>
    segmentTampered(k, logOp, h, `segment ${what} does not match its records`);
  // An account's records are sealed under the account's own subject.
  if (h.account_id !== h.subject_id) bad('account');
  if (Number(h.record_count) !== records.length || records.length === 0) bad('record count');
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    const at = instantOf(kind, r);
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const firstIso = new Date(first).toISOString();
  const lastIso = new Date(last).toISOString();
  if (h.first_at !== firstIso || h.last_at !== lastIso) bad('time range');
  if (h.day !== firstIso.slice(0, 10) || h.day !== lastIso.slice(0, 10)) bad('day');
  if (!recordKeys || recordKeys.length !== 1 + records.length * RECORD_KEY_BYTES) bad('natural keys');
  const keys = recordKeys!.subarray(1);
  if (recordKeys![0] === KEY_SCHEME_HMAC) {
    if (h.term_filter !== null) bad('term filter');
    records.forEach((r, i) => {
      const key = k.keyring.blindIndex(`telecom-record/${kind}`, `${h.account_id}\u0000${naturalKeyOf(r)}`);
      const o = i * RECORD_KEY_BYTES;
      if (!key.subarray(0, RECORD_KEY_BYTES).equals(keys.subarray(o, o + RECORD_KEY_BYTES)))
        bad('natural keys');
    });
    return;
  }
  const hashers = await telecomHashers(k.keyring, kind);
  const hashes = hashSegment(kind, records.length, eachOf(records), hashers);
  if (!Buffer.from(hashes.keys).equals(keys)) bad('natural keys');
  // A filter may hold more terms than its records (records dropped as duplicates keep the filter), never fewer.
  if (!h.term_filter) bad('term filter');
  for (const r of records) {
    visitTerms(kind, r, (termKind, value) => {
      const t = hashers.term.hash(termId({ kind: termKind, value }));
      if (!mayHoldTerm(h.term_filter, t) || h.term_filter!.length < 3) bad('term filter');
    });
  }
}

/** The MAC of the session's key ring. */
export function segmentMacOf(k: GateKernel): Promise<SegmentMac> {
  return SegmentMac.of(k.keyring);
}
