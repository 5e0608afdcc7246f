/**
 * The shape every CDR reader produces: typed, validated facts of one call leg, still in the platform's own
 * number writing (E.164 normalisation happens at ingestion). Readers never throw for a bad row; they yield
 * `{ ok: false }` with the line and a reason that names fields, never their values.
 */
import type { Readable } from 'node:stream';
import type { GenericCsvMapping } from './generic-mapping.schema.ts';

export type CallDirection = 'inbound' | 'outbound' | 'internal' | 'unknown';
export type CallDisposition = 'answered' | 'no_answer' | 'busy' | 'failed' | 'congestion' | 'unknown';
export type CdrPlatform = 'asterisk' | 'freeswitch' | 'generic';

export interface ParsedCdr {
  /** 'asterisk:<uniqueid>' / 'freeswitch:<uuid>' / 'generic:<id>' when present, else 'sha256:<hex of the raw source>'. */
  naturalKey: string;
  platform: CdrPlatform;
  /** Asterisk uniqueid, FreeSWITCH uuid, or the generic mapping's platformId column. */
  platformId: string | null;
  /** The other leg (FreeSWITCH bleg_uuid / bridge_uuid), when the format carries it. */
  linkedId: string | null;
  /** ISO-8601 UTC with milliseconds. */
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationSec: number;
  billSec: number;
  /** As written by the platform; may be '' when the caller was withheld. */
  caller: string;
  callee: string;
  callerName: string | null;
  accountCode: string | null;
  context: string | null;
  channel: string | null;
  dstChannel: string | null;
  username: string | null;
  sourceIp: string | null;
  disposition: CallDisposition;
  direction: CallDirection;
  /** 1-based line where the record starts (for JSON: where its document starts). */
  sourceLine: number;
}

/** A reader's answer for one record; `reason` names fields and problems, never values. */
export type ParseOutcome = { ok: true; record: ParsedCdr } | { ok: false; line: number; reason: string };

export interface ReaderOptions {
  /** IANA zone of the PBX clock for local 'YYYY-MM-DD HH:MM:SS' times; default 'America/Sao_Paulo'. */
  timezone?: string;
  /** Column mapping, required by the generic-csv reader (see `loadGenericMapping`). */
  mapping?: GenericCsvMapping;
}

export const DEFAULT_TIMEZONE = 'America/Sao_Paulo';

/** Signature shared by every reader. */
export type CdrReader = (input: Readable, options?: ReaderOptions) => AsyncIterable<ParseOutcome>;
