/**
 * The four kinds of telecom record Sigilo keeps, their policy categories, and the compact array encoding sealed
 * inside segments. One named field table per kind says where each field sits in a record's encoding; encoding,
 * decoding, term extraction and the hashing worker's payload scan all read positions from it. Pure: no I/O, no
 * crypto. The shapes records arrive in (HTTP batches) are in record-input.schema.ts.
 */
import type { CallDirection, CallDisposition, CdrPlatform, ParsedCdr } from '../formats/cdr-record.ts';
import { mask, type MaskLevel } from '../../validation/masking.ts';
import { parseIsoInstant } from './iso-instant.ts';
import { fastNumber } from './number-normaliser.ts';
import type { AccessInput, ConnectionInput, TrafficInput } from './record-input.schema.ts';

export const TELECOM_KINDS = ['cdr', 'connection', 'access', 'traffic'] as const;
export type TelecomKind = (typeof TELECOM_KINDS)[number];

/** The policy category of each kind. */
export const KIND_CATEGORY: Record<TelecomKind, string> = {
  cdr: 'call_record',
  connection: 'connection_record',
  access: 'access_record',
  traffic: 'traffic_data',
};

// ---- the encoded layout -------------------------------------------------------------------------------------
//
// A record is stored as an array (MessagePack inside the sealed segment payload); these tables say which field
// sits at which position, under the name the decoded record gives it. Segments already stored hold these
// positions: append only, never renumber. Instants are epoch milliseconds.

/** Every kind's encoding starts with the record's natural key (what idempotency hashes). */
const KEY = 0;

/** Positions of a call detail record's fields. */
export const CDR_FIELDS = {
  key: KEY,
  startedAt: 1,
  answeredAt: 2,
  endedAt: 3,
  durationSec: 4,
  billSec: 5,
  caller: 6,
  callee: 7,
  callerName: 8,
  direction: 9,
  disposition: 10,
  channel: 11,
  dstChannel: 12,
  accountCode: 13,
  context: 14,
  username: 15,
  sourceIp: 16,
  platform: 17,
  platformId: 18,
  linkedId: 19,
} as const satisfies FieldTable<CallRecord>;

/** Positions of a connection record's fields. */
export const CONNECTION_FIELDS = {
  key: KEY,
  sessionId: 1,
  username: 2,
  startedAt: 3,
  stoppedAt: 4,
  ip: 5,
  portStart: 6,
  portEnd: 7,
  nasIp: 8,
} as const satisfies FieldTable<ConnectionRecord>;

/** Positions of an access record's fields. */
export const ACCESS_FIELDS = {
  key: KEY,
  user: 1,
  at: 2,
  ip: 3,
  port: 4,
  system: 5,
  activity: 6,
  outcome: 7,
} as const satisfies FieldTable<AccessRecord>;

/** Positions of a traffic aggregate's fields. */
export const TRAFFIC_FIELDS = {
  key: KEY,
  periodStart: 1,
  periodEnd: 2,
  service: 3,
  bytesIn: 4,
  bytesOut: 5,
  calls: 6,
  billSec: 7,
} as const satisfies FieldTable<TrafficRecord>;

/** A position for every field of the decoded record (its `kind` is the segment's, not stored per record). */
type FieldTable<R> = Record<Exclude<keyof R, 'kind'>, number>;

/** Each kind's field table. */
export const FIELDS = {
  cdr: CDR_FIELDS,
  connection: CONNECTION_FIELDS,
  access: ACCESS_FIELDS,
  traffic: TRAFFIC_FIELDS,
} as const;

/** How many fields each kind's encoding has. */
export const FIELD_COUNT: Record<TelecomKind, number> = {
  cdr: Object.keys(CDR_FIELDS).length,
  connection: Object.keys(CONNECTION_FIELDS).length,
  access: Object.keys(ACCESS_FIELDS).length,
  traffic: Object.keys(TRAFFIC_FIELDS).length,
};

/** The field a record is filed under in time: the segment's day and every time window read it. */
export const INSTANT_FIELD: Record<TelecomKind, number> = {
  cdr: CDR_FIELDS.startedAt,
  connection: CONNECTION_FIELDS.startedAt,
  access: ACCESS_FIELDS.at,
  traffic: TRAFFIC_FIELDS.periodStart,
};

/** Defaults of the optional input fields that have one (record-input.schema.ts documents them). */
export const INPUT_DEFAULTS = {
  direction: 'unknown',
  disposition: 'unknown',
  outcome: 'success',
  count: 0,
} as const;

/** A searchable value in a record: numbers, usernames and IPs get blind indexes. */
export interface Term {
  kind: 'number' | 'username' | 'ip';
  value: string;
}

/**
 * A record ready for the gate: its instant and its compact encoding, whose first element is always the natural
 * key. Its terms are read from the encoding (`visitTerms`), so that a worker thread can take them from the sealed
 * payload's bytes, and no object is made per term on the ingesting thread.
 */
export interface StorableRecord {
  /** Epoch milliseconds of the record's instant (start of call/session, access time, period start). */
  at: number;
  encoded: unknown[];
}

/** The natural key of an encoded record (the first element of every kind's encoding). */
export function naturalKeyOf(encoded: unknown[]): string {
  return encoded[KEY] as string;
}

/** The instant (epoch milliseconds) an encoded record of `kind` is filed under. */
export function instantOf(kind: TelecomKind, encoded: unknown[]): number {
  return encoded[INSTANT_FIELD[kind]] as number;
}

/**
 * Calls `visit` for each searchable term of an encoded record of `kind`: numbers in E.164 (or as dialled when not
 * public numbers), usernames in lower case, IPs as given. The one place that says which fields get blind indexes;
 * searches match records with `holdsTerm`, which reads the terms from here.
 */
export function visitTerms(
  kind: TelecomKind,
  a: unknown[],
  visit: (kind: Term['kind'], value: string) => void,
): void {
  switch (kind) {
    case 'cdr': {
      const caller = a[CDR_FIELDS.caller] as string;
      const callee = a[CDR_FIELDS.callee] as string;
      const username = a[CDR_FIELDS.username] as string | null;
      const sourceIp = a[CDR_FIELDS.sourceIp] as string | null;
      if (caller) visit('number', caller);
      if (callee && callee !== caller) visit('number', callee);
      if (username) visit('username', username.toLowerCase());
      if (sourceIp) visit('ip', sourceIp);
      return;
    }
    case 'connection': {
      const username = a[CONNECTION_FIELDS.username] as string | null;
      visit('ip', a[CONNECTION_FIELDS.ip] as string);
      if (username) visit('username', username.toLowerCase());
      return;
    }
    case 'access':
      visit('ip', a[ACCESS_FIELDS.ip] as string);
      visit('username', (a[ACCESS_FIELDS.user] as string).toLowerCase());
      return;
    case 'traffic':
      return;
  }
}

/**
 * The fields of each kind's encoding that `naturalKeyOf` and `visitTerms` read: all that a hashing worker decodes
 * from a segment payload (a test holds the two in step).
 */
export const KEY_AND_TERM_FIELDS: Record<TelecomKind, readonly number[]> = {
  cdr: [KEY, CDR_FIELDS.caller, CDR_FIELDS.callee, CDR_FIELDS.username, CDR_FIELDS.sourceIp],
  connection: [KEY, CONNECTION_FIELDS.username, CONNECTION_FIELDS.ip],
  access: [KEY, ACCESS_FIELDS.user, ACCESS_FIELDS.ip],
  traffic: [KEY],
};

/** Most terms `visitTerms` yields for one record of any kind. */
export const MAX_TERMS_PER_RECORD = 4;

/** The terms of an encoded record, as objects (tests and small paths; the bulk path visits them). */
export function termsOf(kind: TelecomKind, encoded: unknown[]): Term[] {
  const terms: Term[] = [];
  visitTerms(kind, encoded, (k, value) => terms.push({ kind: k, value }));
  return terms;
}

/** Whether an encoded record of `kind` holds `term` among the terms `visitTerms` gives it. */
export function holdsTerm(kind: TelecomKind, encoded: unknown[], term: Term): boolean {
  let held = false;
  visitTerms(kind, encoded, (k, value) => {
    if (k === term.kind && value === term.value) held = true;
  });
  return held;
}

/** The caller and callee of an encoded CDR (for attribution by DID). */
export function cdrNumbers(encoded: unknown[]): string[] {
  return [encoded[CDR_FIELDS.caller] as string, encoded[CDR_FIELDS.callee] as string].filter(Boolean);
}

// ---- call detail records ----------------------------------------------------------------------------------

/** A call detail record as Sigilo stores and returns it (numbers in E.164 when they are public numbers). */
export interface CallRecord {
  kind: 'cdr';
  key: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationSec: number;
  billSec: number;
  caller: string;
  callee: string;
  callerName: string | null;
  direction: CallDirection;
  disposition: CallDisposition;
  channel: string | null;
  dstChannel: string | null;
  accountCode: string | null;
  context: string | null;
  username: string | null;
  sourceIp: string | null;
  platform: string;
  platformId: string | null;
  linkedId: string | null;
}

// Direction, disposition and platform are stored as their index in these lists (a small integer packs in one
// byte, a string costs its characters to encode on every record); segments sealed by earlier versions hold the
// strings, which decoding still accepts. Append only: the stored indexes must keep their meaning.
export const DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'internal', 'unknown'];
export const DISPOSITIONS: readonly CallDisposition[] = [
  'answered',
  'no_answer',
  'busy',
  'failed',
  'congestion',
  'unknown',
];
const PLATFORMS: readonly CdrPlatform[] = ['asterisk', 'freeswitch', 'generic'];

/** The stored form of an enumerated value: its index when listed, else the text itself. */
function code<T extends string>(list: readonly T[], v: T): number | T {
  const i = list.indexOf(v);
  return i < 0 ? v : i;
}

function named<T extends string>(list: readonly T[], v: unknown): T {
  return (typeof v === 'number' ? list[v] : v) as T;
}

/** Normalises a parsed CDR (numbers to E.164 where they are public numbers) into its storable form. */
export function storableCdr(p: ParsedCdr): StorableRecord {
  const at = parseIsoInstant(p.startedAt);
  const e = new Array<unknown>(FIELD_COUNT.cdr);
  e[CDR_FIELDS.key] = p.naturalKey;
  e[CDR_FIELDS.startedAt] = at;
  e[CDR_FIELDS.answeredAt] = p.answeredAt ? parseIsoInstant(p.answeredAt) : null;
  e[CDR_FIELDS.endedAt] = parseIsoInstant(p.endedAt);
  e[CDR_FIELDS.durationSec] = p.durationSec;
  e[CDR_FIELDS.billSec] = p.billSec;
  e[CDR_FIELDS.caller] = fastNumber(p.caller);
  e[CDR_FIELDS.callee] = fastNumber(p.callee);
  e[CDR_FIELDS.callerName] = p.callerName;
  e[CDR_FIELDS.direction] = code(DIRECTIONS, p.direction);
  e[CDR_FIELDS.disposition] = code(DISPOSITIONS, p.disposition);
  e[CDR_FIELDS.channel] = p.channel;
  e[CDR_FIELDS.dstChannel] = p.dstChannel;
  e[CDR_FIELDS.accountCode] = p.accountCode;
  e[CDR_FIELDS.context] = p.context;
  e[CDR_FIELDS.username] = p.username;
  e[CDR_FIELDS.sourceIp] = p.sourceIp;
  e[CDR_FIELDS.platform] = code(PLATFORMS, p.platform);
  e[CDR_FIELDS.platformId] = p.platformId;
  e[CDR_FIELDS.linkedId] = p.linkedId;
  return { at, encoded: e };
}

function iso(ms: unknown): string {
  return new Date(ms as number).toISOString();
}

function isoOrNull(ms: unknown): string | null {
  return ms === null ? null : iso(ms);
}

function decodeCdr(a: unknown[]): CallRecord {
  return {
    kind: 'cdr',
    key: a[CDR_FIELDS.key] as string,
    startedAt: iso(a[CDR_FIELDS.startedAt]),
    answeredAt: isoOrNull(a[CDR_FIELDS.answeredAt]),
    endedAt: iso(a[CDR_FIELDS.endedAt]),
    durationSec: a[CDR_FIELDS.durationSec] as number,
    billSec: a[CDR_FIELDS.billSec] as number,
    caller: a[CDR_FIELDS.caller] as string,
    callee: a[CDR_FIELDS.callee] as string,
    callerName: a[CDR_FIELDS.callerName] as string | null,
    direction: named(DIRECTIONS, a[CDR_FIELDS.direction]),
    disposition: named(DISPOSITIONS, a[CDR_FIELDS.disposition]),
    channel: a[CDR_FIELDS.channel] as string | null,
    dstChannel: a[CDR_FIELDS.dstChannel] as string | null,
    accountCode: a[CDR_FIELDS.accountCode] as string | null,
    context: a[CDR_FIELDS.context] as string | null,
    username: a[CDR_FIELDS.username] as string | null,
    sourceIp: a[CDR_FIELDS.sourceIp] as string | null,
    platform: named(PLATFORMS, a[CDR_FIELDS.platform]),
    platformId: a[CDR_FIELDS.platformId] as string | null,
    linkedId: a[CDR_FIELDS.linkedId] as string | null,
  };
}

// ---- connection, access and traffic records ---------------------------------------------------------------

export interface ConnectionRecord {
  kind: 'connection';
  key: string;
  sessionId: string | null;
  username: string | null;
  startedAt: string;
  stoppedAt: string | null;
  ip: string;
  portStart: number | null;
  portEnd: number | null;
  nasIp: string | null;
}
export interface AccessRecord {
  kind: 'access';
  key: string;
  user: string;
  at: string;
  ip: string;
  port: number | null;
  system: string;
  activity: string;
  outcome: string;
}
export interface TrafficRecord {
  kind: 'traffic';
  key: string;
  periodStart: string;
  periodEnd: string;
  service: string;
  bytesIn: number;
  bytesOut: number;
  calls: number;
  billSec: number;
}

export type TelecomRecord = CallRecord | ConnectionRecord | AccessRecord | TrafficRecord;

/** Storable form of a connection record; natural key is the session id, else the record's content. */
export function storableConnection(c: ConnectionInput): StorableRecord {
  const at = Date.parse(c.startedAt);
  const naturalKey = c.sessionId
    ? `session:${c.sessionId}`
    : `content:${c.ip}|${c.portStart ?? ''}|${c.portEnd ?? ''}|${at}|${c.username ?? ''}`;
  const e = new Array<unknown>(FIELD_COUNT.connection);
  e[CONNECTION_FIELDS.key] = naturalKey;
  e[CONNECTION_FIELDS.sessionId] = c.sessionId ?? null;
  e[CONNECTION_FIELDS.username] = c.username ?? null;
  e[CONNECTION_FIELDS.startedAt] = at;
  e[CONNECTION_FIELDS.stoppedAt] = c.stoppedAt ? Date.parse(c.stoppedAt) : null;
  e[CONNECTION_FIELDS.ip] = c.ip;
  e[CONNECTION_FIELDS.portStart] = c.portStart ?? null;
  e[CONNECTION_FIELDS.portEnd] = c.portEnd ?? null;
  e[CONNECTION_FIELDS.nasIp] = c.nasIp ?? null;
  return { at, encoded: e };
}

/** Storable form of an access record. */
export function storableAccess(a: AccessInput): StorableRecord {
  const at = Date.parse(a.at);
  const naturalKey = a.eventId
    ? `event:${a.eventId}`
    : `content:${a.system}|${a.user}|${at}|${a.ip}|${a.port ?? ''}|${a.activity}`;
  const e = new Array<unknown>(FIELD_COUNT.access);
  e[ACCESS_FIELDS.key] = naturalKey;
  e[ACCESS_FIELDS.user] = a.user;
  e[ACCESS_FIELDS.at] = at;
  e[ACCESS_FIELDS.ip] = a.ip;
  e[ACCESS_FIELDS.port] = a.port ?? null;
  e[ACCESS_FIELDS.system] = a.system;
  e[ACCESS_FIELDS.activity] = a.activity;
  e[ACCESS_FIELDS.outcome] = a.outcome ?? INPUT_DEFAULTS.outcome;
  return { at, encoded: e };
}

/** Storable form of a traffic aggregate. */
export function storableTraffic(t: TrafficInput): StorableRecord {
  const at = Date.parse(t.periodStart);
  const end = Date.parse(t.periodEnd);
  const e = new Array<unknown>(FIELD_COUNT.traffic);
  e[TRAFFIC_FIELDS.key] = `period:${t.service}|${at}|${end}`;
  e[TRAFFIC_FIELDS.periodStart] = at;
  e[TRAFFIC_FIELDS.periodEnd] = end;
  e[TRAFFIC_FIELDS.service] = t.service;
  e[TRAFFIC_FIELDS.bytesIn] = t.bytesIn ?? INPUT_DEFAULTS.count;
  e[TRAFFIC_FIELDS.bytesOut] = t.bytesOut ?? INPUT_DEFAULTS.count;
  e[TRAFFIC_FIELDS.calls] = t.calls ?? INPUT_DEFAULTS.count;
  e[TRAFFIC_FIELDS.billSec] = t.billSec ?? INPUT_DEFAULTS.count;
  return { at, encoded: e };
}

/** Decodes one record of a segment. */
export function decodeRecord(kind: TelecomKind, a: unknown[]): TelecomRecord {
  switch (kind) {
    case 'cdr':
      return decodeCdr(a);
    case 'connection':
      return {
        kind,
        key: a[CONNECTION_FIELDS.key] as string,
        sessionId: a[CONNECTION_FIELDS.sessionId] as string | null,
        username: a[CONNECTION_FIELDS.username] as string | null,
        startedAt: iso(a[CONNECTION_FIELDS.startedAt]),
        stoppedAt: isoOrNull(a[CONNECTION_FIELDS.stoppedAt]),
        ip: a[CONNECTION_FIELDS.ip] as string,
        portStart: a[CONNECTION_FIELDS.portStart] as number | null,
        portEnd: a[CONNECTION_FIELDS.portEnd] as number | null,
        nasIp: a[CONNECTION_FIELDS.nasIp] as string | null,
      };
    case 'access':
      return {
        kind,
        key: a[ACCESS_FIELDS.key] as string,
        user: a[ACCESS_FIELDS.user] as string,
        at: iso(a[ACCESS_FIELDS.at]),
        ip: a[ACCESS_FIELDS.ip] as string,
        port: a[ACCESS_FIELDS.port] as number | null,
        system: a[ACCESS_FIELDS.system] as string,
        activity: a[ACCESS_FIELDS.activity] as string,
        outcome: a[ACCESS_FIELDS.outcome] as string,
      };
    case 'traffic':
      return {
        kind,
        key: a[TRAFFIC_FIELDS.key] as string,
        periodStart: iso(a[TRAFFIC_FIELDS.periodStart]),
        periodEnd: iso(a[TRAFFIC_FIELDS.periodEnd]),
        service: a[TRAFFIC_FIELDS.service] as string,
        bytesIn: a[TRAFFIC_FIELDS.bytesIn] as number,
        bytesOut: a[TRAFFIC_FIELDS.bytesOut] as number,
        calls: a[TRAFFIC_FIELDS.calls] as number,
        billSec: a[TRAFFIC_FIELDS.billSec] as number,
      };
  }
}

/**
 * Masks what the policy's masking level covers. For CDRs the third party is masked (callee of an outbound call,
 * caller of an inbound one, both when the direction is unknown); the customer's own side stays readable.
 */
export function maskRecord(r: TelecomRecord, level: MaskLevel): TelecomRecord {
  if (level === 'none') return r;
  switch (r.kind) {
    case 'cdr': {
      const maskCaller = r.direction !== 'outbound';
      const maskCallee = r.direction !== 'inbound';
      return {
        ...r,
        caller: maskCaller ? maskNumber(r.caller, level) : r.caller,
        callee: maskCallee ? maskNumber(r.callee, level) : r.callee,
        callerName: r.callerName && maskCaller ? mask('name', level, r.callerName) : r.callerName,
        sourceIp: r.sourceIp ? mask('ip', level, r.sourceIp) : null,
        // Platform text (channel names, dialplan contexts, platform ids) may hold a number in full:
        // masking covers every field, not only the named ones.
        channel: scrubNumbers(r.channel),
        dstChannel: scrubNumbers(r.dstChannel),
        context: scrubNumbers(r.context),
        accountCode: scrubNumbers(r.accountCode),
        username: scrubNumbers(r.username),
        platformId: scrubNumbers(r.platformId),
        linkedId: scrubNumbers(r.linkedId),
      };
    }
    case 'connection':
      return {
        ...r,
        ip: mask('ip', level, r.ip),
        username: r.username ? mask('text', level, r.username) : null,
        sessionId: scrubNumbers(r.sessionId),
      };
    case 'access':
      return { ...r, ip: mask('ip', level, r.ip), user: mask('text', level, r.user) };
    case 'traffic':
      return level === 'hidden' ? { ...r, bytesIn: 0, bytesOut: 0, calls: 0, billSec: 0 } : r;
  }
}

/** Hides every run of 8 or more digits (a telephone number in any form) in free platform text. */
function scrubNumbers(text: string | null): string | null {
  return text === null
    ? null
    : text.replace(/\+?\d{8,}/g, (run) => `${'*'.repeat(run.length - 2)}${run.slice(-2)}`);
}

function maskNumber(n: string, level: MaskLevel): string {
  if (!n) return n;
  // Extensions (short internal numbers) are not third-party numbers; E.164 numbers are masked.
  return n.startsWith('+') ? mask('phone', level, n) : n.length <= 6 ? n : mask('text', level, n);
}
