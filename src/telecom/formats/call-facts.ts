/**
 * Platform-neutral pieces every reader uses: natural keys, disposition and direction mapping, and the row
 * checks whose failure reasons name fields but never carry their values.
 */
import { hash } from 'node:crypto';
import type { CallDirection, CallDisposition } from './cdr-record.ts';

/** 'sha256:<hex>' of a record's source text, the natural key when the platform wrote no id. */
export function sourceHashKey(source: string): string {
  return 'sha256:' + hash('sha256', source, 'hex');
}

/** null for '' (platforms write empty strings for absent values). */
export function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** A non-negative integer count of seconds, or null when the text is anything else. */
export function parseSeconds(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > 10) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(text);
}

/** Checks the time order of a call; returns a reason, or null when the times are consistent. */
export function timeOrderProblem(startMs: number, answerMs: number | null, endMs: number): string | null {
  if (endMs < startMs) return 'end time is before start time';
  if (answerMs !== null && (answerMs < startMs || answerMs > endMs)) {
    return 'answer time is outside the start-end interval';
  }
  return null;
}

const ASTERISK_DISPOSITIONS: Record<string, CallDisposition> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no_answer',
  NOANSWER: 'no_answer',
  BUSY: 'busy',
  FAILED: 'failed',
  CONGESTION: 'congestion',
};

/** Asterisk's cdr disposition text (ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION). */
export function asteriskDisposition(text: string): CallDisposition {
  return ASTERISK_DISPOSITIONS[text] ?? ASTERISK_DISPOSITIONS[text.trim().toUpperCase()] ?? 'unknown';
}

// Hangup causes of calls that were never answered, grouped the way Asterisk's dial status groups Q.850 causes.
const UNANSWERED_CAUSES: Record<string, CallDisposition> = {
  NORMAL_CLEARING: 'no_answer',
  NO_ANSWER: 'no_answer',
  NO_USER_RESPONSE: 'no_answer',
  ORIGINATOR_CANCEL: 'no_answer',
  LOSE_RACE: 'no_answer',
  PICKED_OFF: 'no_answer',
  ALLOTTED_TIMEOUT: 'no_answer',
  USER_BUSY: 'busy',
  NORMAL_CIRCUIT_CONGESTION: 'congestion',
  SWITCH_CONGESTION: 'congestion',
  CALL_REJECTED: 'failed',
  UNALLOCATED_NUMBER: 'failed',
  NO_ROUTE_TRANSIT_NET: 'failed',
  NO_ROUTE_DESTINATION: 'failed',
  NUMBER_CHANGED: 'failed',
  DESTINATION_OUT_OF_ORDER: 'failed',
  INVALID_NUMBER_FORMAT: 'failed',
  FACILITY_REJECTED: 'failed',
  NORMAL_UNSPECIFIED: 'failed',
  NETWORK_OUT_OF_ORDER: 'failed',
  NORMAL_TEMPORARY_FAILURE: 'failed',
  REQUESTED_CHAN_UNAVAIL: 'failed',
  OUTGOING_CALL_BARRED: 'failed',
  INCOMING_CALL_BARRED: 'failed',
  BEARERCAPABILITY_NOTAUTH: 'failed',
  BEARERCAPABILITY_NOTAVAIL: 'failed',
  SERVICE_UNAVAILABLE: 'failed',
  BEARERCAPABILITY_NOTIMPL: 'failed',
  CHAN_NOT_IMPLEMENTED: 'failed',
  FACILITY_NOT_IMPLEMENTED: 'failed',
  SERVICE_NOT_IMPLEMENTED: 'failed',
  INCOMPATIBLE_DESTINATION: 'failed',
  RECOVERY_ON_TIMER_EXPIRE: 'failed',
  MANDATORY_IE_MISSING: 'failed',
  EXCHANGE_ROUTING_ERROR: 'failed',
  SUBSCRIBER_ABSENT: 'failed',
  MEDIA_TIMEOUT: 'failed',
  GATEWAY_DOWN: 'failed',
  INVALID_GATEWAY: 'failed',
  INVALID_PROFILE: 'failed',
  PROGRESS_TIMEOUT: 'failed',
  UNKNOWN: 'unknown',
};

/**
 * FreeSWITCH: a leg that was answered (answer time or billsec > 0) is 'answered' whatever the hangup cause;
 * otherwise the cause says why it was not (NORMAL_CLEARING without answer is a caller who gave up).
 */
export function freeswitchDisposition(hangupCause: string, answered: boolean): CallDisposition {
  if (answered) return 'answered';
  return UNANSWERED_CAUSES[hangupCause.trim().toUpperCase()] ?? 'unknown';
}

const WORD_DISPOSITIONS: Record<string, CallDisposition> = {
  answered: 'answered',
  answer: 'answered',
  atendida: 'answered',
  no_answer: 'no_answer',
  noanswer: 'no_answer',
  unanswered: 'no_answer',
  nao_atendida: 'no_answer',
  não_atendida: 'no_answer',
  busy: 'busy',
  ocupado: 'busy',
  failed: 'failed',
  failure: 'failed',
  falha: 'failed',
  congestion: 'congestion',
  congestionamento: 'congestion',
};

/** A disposition written by an unknown system: Asterisk words, FreeSWITCH causes or plain words (en/pt). */
export function genericDisposition(text: string, answered: boolean): CallDisposition {
  const word = text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  const direct = WORD_DISPOSITIONS[word];
  if (direct !== undefined) return direct;
  if (word === '') return answered ? 'answered' : 'unknown';
  return freeswitchDisposition(word.toUpperCase(), answered);
}

const DIRECTION_WORDS: Record<string, CallDirection> = {
  in: 'inbound',
  inbound: 'inbound',
  incoming: 'inbound',
  entrada: 'inbound',
  recebida: 'inbound',
  out: 'outbound',
  outbound: 'outbound',
  outgoing: 'outbound',
  saida: 'outbound',
  saída: 'outbound',
  originada: 'outbound',
  internal: 'internal',
  interna: 'internal',
  local: 'internal',
};

/** A direction word written by an unknown system (en/pt), else 'unknown'. */
export function directionWord(text: string): CallDirection {
  return DIRECTION_WORDS[text.trim().toLowerCase()] ?? 'unknown';
}

// Dialplan contexts that receive calls from carriers (FreePBX, Asterisk samples, FreeSWITCH 'public').
const INBOUND_CONTEXT =
  /^(from-(trunk|pstn|external|did|provider|carrier|gateway|operadora)|ext-did|inbound|incoming|entrada|public)\b/i;
// Contexts where registered users dial (FreePBX, Asterisk samples, FreeSWITCH 'default').
const USER_CONTEXT =
  /^(from-internal|from-users?|internal|default|users?|ramais|phones?|local|ext-local|from-sip)\b/i;
const OUTBOUND_CONTEXT = /^(outbound|outgoing|saida|to-(trunk|pstn|external|carrier)|from-internal-out)/i;

type ContextKind = 'inbound' | 'outbound' | 'user' | 'other';
// a PBX has a handful of contexts; classify each once
const contextKinds = new Map<string, ContextKind>();

function contextKind(context: string): ContextKind {
  let kind = contextKinds.get(context);
  if (kind === undefined) {
    if (INBOUND_CONTEXT.test(context)) kind = 'inbound';
    else if (OUTBOUND_CONTEXT.test(context)) kind = 'outbound';
    else if (USER_CONTEXT.test(context)) kind = 'user';
    else kind = 'other';
    if (contextKinds.size >= 10_000) contextKinds.clear();
    contextKinds.set(context, kind);
  }
  return kind;
}

function isExtension(number: string): boolean {
  return /^[*#]?\d{2,6}$/.test(number);
}

function isExternalNumber(number: string): boolean {
  return /^\+?\d{7,}$/.test(number);
}

/**
 * Direction from the dialplan context and the shape of the numbers: a carrier context is inbound; in a user
 * context an extension calling a full number is outbound and extension to extension is internal.
 */
export function inferDirection(context: string | null, caller: string, callee: string): CallDirection {
  if (context === null) return 'unknown';
  const kind = contextKind(context);
  if (kind === 'inbound' || kind === 'outbound') return kind;
  if (kind === 'user') {
    if (isExternalNumber(callee)) return 'outbound';
    if (isExtension(callee) && isExtension(caller)) return 'internal';
  }
  return 'unknown';
}
