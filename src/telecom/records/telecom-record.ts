/**
 * The four kinds of telecom record Sigilo keeps, their policy categories, input schemas (HTTP batches and
 * generic imports), and the compact array encoding sealed inside segments. Pure: no I/O, no crypto.
 */
import { z } from 'zod';
import type { CallDirection, CallDisposition, CdrPlatform, ParsedCdr } from '../formats/cdr-record.ts';
import { mask, type MaskLevel } from '../../validation/masking.ts';
import { parseIsoInstant } from './iso-instant.ts';
import { fastNumber } from './number-normaliser.ts';

export const TELECOM_KINDS = ['cdr', 'connection', 'access', 'traffic'] as const;
export type TelecomKind = (typeof TELECOM_KINDS)[number];

/** The policy category of each kind. */
export const KIND_CATEGORY: Record<TelecomKind, string> = {
  cdr: 'call_record',
  connection: 'connection_record',
  access: 'access_record',
  traffic: 'traffic_data',
};

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
  return encoded[0] as string;
}

/**
 * Calls `visit` for each searchable term of an encoded record of `kind`: numbers in E.164 (or as dialled when not
 * public numbers), usernames in lower case, IPs as given. The one place that says which fields get blind indexes.
 */
export function visitTerms(
  kind: TelecomKind,
  a: unknown[],
  visit: (kind: Term['kind'], value: string) => void,
): void {
  switch (kind) {
    case 'cdr': {
      const caller = a[6] as string;
      const callee = a[7] as string;
      if (caller) visit('number', caller);
      if (callee && callee !== caller) visit('number', callee);
      if (a[15]) visit('username', (a[15] as string).toLowerCase());
      if (a[16]) visit('ip', a[16] as string);
      return;
    }
    case 'connection':
      visit('ip', a[5] as string);
      if (a[2]) visit('username', (a[2] as string).toLowerCase());
      return;
    case 'access':
      visit('ip', a[3] as string);
      visit('username', (a[1] as string).toLowerCase());
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
  cdr: [0, 6, 7, 15, 16],
  connection: [0, 2, 5],
  access: [0, 1, 3],
  traffic: [0],
};

/** Most terms `visitTerms` yields for one record of any kind. */
export const MAX_TERMS_PER_RECORD = 4;

/** The terms of an encoded record, as objects (tests and small paths; the bulk path visits them). */
export function termsOf(kind: TelecomKind, encoded: unknown[]): Term[] {
  const terms: Term[] = [];
  visitTerms(kind, encoded, (k, value) => terms.push({ kind: k, value }));
  return terms;
}

/** The caller and callee of an encoded CDR (for attribution by DID). */
export function cdrNumbers(encoded: unknown[]): string[] {
  return [encoded[6] as string, encoded[7] as string].filter(Boolean);
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
const DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'internal', 'unknown'];
const DISPOSITIONS: readonly CallDisposition[] = [
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
  return {
    at,
    encoded: [
      p.naturalKey,
      at,
      p.answeredAt ? parseIsoInstant(p.answeredAt) : null,
      parseIsoInstant(p.endedAt),
      p.durationSec,
      p.billSec,
      fastNumber(p.caller),
      fastNumber(p.callee),
      p.callerName,
      code(DIRECTIONS, p.direction),
      code(DISPOSITIONS, p.disposition),
      p.channel,
      p.dstChannel,
      p.accountCode,
      p.context,
      p.username,
      p.sourceIp,
      code(PLATFORMS, p.platform),
      p.platformId,
      p.linkedId,
    ],
  };
}

function iso(ms: unknown): string {
  return new Date(ms as number).toISOString();
}

function decodeCdr(a: unknown[]): CallRecord {
  return {
    kind: 'cdr',
    key: a[0] as string,
    startedAt: iso(a[1]),
    answeredAt: a[2] === null ? null : iso(a[2]),
    endedAt: iso(a[3]),
    durationSec: a[4] as number,
    billSec: a[5] as number,
    caller: a[6] as string,
    callee: a[7] as string,
    callerName: a[8] as string | null,
    direction: named(DIRECTIONS, a[9]),
    disposition: named(DISPOSITIONS, a[10]),
    channel: a[11] as string | null,
    dstChannel: a[12] as string | null,
    accountCode: a[13] as string | null,
    context: a[14] as string | null,
    username: a[15] as string | null,
    sourceIp: a[16] as string | null,
    platform: named(PLATFORMS, a[17]),
    platformId: a[18] as string | null,
    linkedId: a[19] as string | null,
  };
}

// ---- connection, access and traffic records ---------------------------------------------------------------

const isoTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());
const ip = z.union([z.ipv4(), z.ipv6()]);
const port = z.number().int().min(0).max(65535);

/** A call detail record sent as JSON (HTTP batches from platforms that do not write files). */
export const cdrInputSchema = z.strictObject({
  accountId: z.string().min(1).max(64).optional(),
  platformId: z.string().min(1).max(200).optional(),
  linkedId: z.string().min(1).max(200).optional(),
  startedAt: isoTime,
  answeredAt: isoTime.nullable().optional(),
  endedAt: isoTime,
  durationSec: z.number().int().min(0).optional(),
  billSec: z.number().int().min(0).optional(),
  caller: z.string().max(64),
  callee: z.string().max(64),
  callerName: z.string().max(200).nullable().optional(),
  direction: z.enum(['inbound', 'outbound', 'internal', 'unknown']).default('unknown'),
  disposition: z
    .enum(['answered', 'no_answer', 'busy', 'failed', 'congestion', 'unknown'])
    .default('unknown'),
  channel: z.string().max(200).nullable().optional(),
  dstChannel: z.string().max(200).nullable().optional(),
  accountCode: z.string().max(100).nullable().optional(),
  context: z.string().max(100).nullable().optional(),
  username: z.string().max(200).nullable().optional(),
  sourceIp: ip.nullable().optional(),
});
export type CdrInput = z.infer<typeof cdrInputSchema>;

/** A JSON CDR as the readers' ParsedCdr (natural key: platform id, else the record's content). */
export function parsedFromInput(c: CdrInput, line: number): ParsedCdr {
  const start = Date.parse(c.startedAt);
  const end = Date.parse(c.endedAt);
  const answered = c.answeredAt ? Date.parse(c.answeredAt) : null;
  const naturalKey = c.platformId
    ? `api:${c.platformId}`
    : `content:${start}|${end}|${c.caller}|${c.callee}|${c.channel ?? ''}`;
  return {
    naturalKey,
    platform: 'generic',
    platformId: c.platformId ?? null,
    linkedId: c.linkedId ?? null,
    startedAt: c.startedAt,
    answeredAt: c.answeredAt ?? null,
    endedAt: c.endedAt,
    durationSec: c.durationSec ?? Math.max(0, Math.round((end - start) / 1000)),
    billSec: c.billSec ?? (answered === null ? 0 : Math.max(0, Math.round((end - answered) / 1000))),
    caller: c.caller,
    callee: c.callee,
    callerName: c.callerName ?? null,
    accountCode: c.accountCode ?? null,
    context: c.context ?? null,
    channel: c.channel ?? null,
    dstChannel: c.dstChannel ?? null,
    username: c.username ?? null,
    sourceIp: c.sourceIp ?? null,
    disposition: c.disposition,
    direction: c.direction,
    sourceLine: line,
  };
}

/** A connection record (Marco Civil Art. 13): who had which IP and port range when (CGNAT needs the port). */
export const connectionInputSchema = z.strictObject({
  accountId: z.string().min(1).max(64).optional(),
  sessionId: z.string().min(1).max(200).optional(),
  username: z.string().min(1).max(200).optional(),
  startedAt: isoTime,
  stoppedAt: isoTime.nullable().optional(),
  ip,
  portStart: port.optional(),
  portEnd: port.optional(),
  nasIp: ip.optional(),
});
export type ConnectionInput = z.infer<typeof connectionInputSchema>;

/** An access record of the provider's customer systems (Marco Civil Art. 15): portal, app and API logins. */
export const accessInputSchema = z.strictObject({
  accountId: z.string().min(1).max(64).optional(),
  eventId: z.string().min(1).max(200).optional(),
  user: z.string().min(1).max(200),
  at: isoTime,
  ip,
  port: port.optional(),
  system: z.enum(['portal', 'app', 'api']),
  activity: z.string().min(1).max(200),
  outcome: z.enum(['success', 'failure']).default('success'),
});
export type AccessInput = z.infer<typeof accessInputSchema>;

/** A traffic/usage aggregate of an account over a period. */
export const trafficInputSchema = z.strictObject({
  accountId: z.string().min(1).max(64).optional(),
  periodStart: isoTime,
  periodEnd: isoTime,
  service: z.string().min(1).max(100),
  bytesIn: z.number().int().min(0).default(0),
  bytesOut: z.number().int().min(0).default(0),
  calls: z.number().int().min(0).default(0),
  billSec: z.number().int().min(0).default(0),
});
export type TrafficInput = z.infer<typeof trafficInputSchema>;

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
  return {
    at,
    encoded: [
      naturalKey,
      c.sessionId ?? null,
      c.username ?? null,
      at,
      c.stoppedAt ? Date.parse(c.stoppedAt) : null,
      c.ip,
      c.portStart ?? null,
      c.portEnd ?? null,
      c.nasIp ?? null,
    ],
  };
}

/** Storable form of an access record. */
export function storableAccess(a: AccessInput): StorableRecord {
  const at = Date.parse(a.at);
  const naturalKey = a.eventId
    ? `event:${a.eventId}`
    : `content:${a.system}|${a.user}|${at}|${a.ip}|${a.port ?? ''}|${a.activity}`;
  return {
    at,
    encoded: [naturalKey, a.user, at, a.ip, a.port ?? null, a.system, a.activity, a.outcome],
  };
}

/** Storable form of a traffic aggregate. */
export function storableTraffic(t: TrafficInput): StorableRecord {
  const at = Date.parse(t.periodStart);
  const naturalKey = `period:${t.service}|${at}|${Date.parse(t.periodEnd)}`;
  return {
    at,
    encoded: [naturalKey, at, Date.parse(t.periodEnd), t.service, t.bytesIn, t.bytesOut, t.calls, t.billSec],
  };
}

/** Decodes one record of a segment. */
export function decodeRecord(kind: TelecomKind, a: unknown[]): TelecomRecord {
  switch (kind) {
    case 'cdr':
      return decodeCdr(a);
    case 'connection':
      return {
        kind,
        key: a[0] as string,
        sessionId: a[1] as string | null,
        username: a[2] as string | null,
        startedAt: iso(a[3]),
        stoppedAt: a[4] === null ? null : iso(a[4]),
        ip: a[5] as string,
        portStart: a[6] as number | null,
        portEnd: a[7] as number | null,
        nasIp: a[8] as string | null,
      };
    case 'access':
      return {
        kind,
        key: a[0] as string,
        user: a[1] as string,
        at: iso(a[2]),
        ip: a[3] as string,
        port: a[4] as number | null,
        system: a[5] as string,
        activity: a[6] as string,
        outcome: a[7] as string,
      };
    case 'traffic':
      return {
        kind,
        key: a[0] as string,
        periodStart: iso(a[1]),
        periodEnd: iso(a[2]),
        service: a[3] as string,
        bytesIn: a[4] as number,
        bytesOut: a[5] as number,
        calls: a[6] as number,
        billSec: a[7] as number,
      };
  }
}

/** The instant a decoded record is filed under (for time windows). */
export function recordInstant(r: TelecomRecord): string {
  switch (r.kind) {
    case 'cdr':
      return r.startedAt;
    case 'connection':
      return r.startedAt;
    case 'access':
      return r.at;
    case 'traffic':
      return r.periodStart;
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
      };
    }
    case 'connection':
      return {
        ...r,
        ip: mask('ip', level, r.ip),
        username: r.username ? mask('text', level, r.username) : null,
      };
    case 'access':
      return { ...r, ip: mask('ip', level, r.ip), user: mask('text', level, r.user) };
    case 'traffic':
      return level === 'hidden' ? { ...r, bytesIn: 0, bytesOut: 0, calls: 0, billSec: 0 } : r;
  }
}

function maskNumber(n: string, level: MaskLevel): string {
  if (!n) return n;
  // Extensions (short internal numbers) are not third-party numbers; E.164 numbers are masked.
  return n.startsWith('+') ? mask('phone', level, n) : n.length <= 6 ? n : mask('text', level, n);
}
