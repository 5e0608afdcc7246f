/**
 * FreeSWITCH mod_json_cdr: one JSON document per call leg; facts under `variables` (URL-encoded by default)
 * and the caller profile under `callflow[0].caller_profile` (the current profile, which is also what
 * mod_cdr_csv's ${caller_id_number}/${destination_number} print). Epoch variables win over the local stamps.
 */
import type { Readable } from 'node:stream';
import {
  freeswitchDisposition,
  inferDirection,
  orNull,
  parseSeconds,
  sourceHashKey,
  timeOrderProblem,
} from './call-facts.ts';
import { DEFAULT_TIMEZONE } from './cdr-record.ts';
import type { ParseOutcome, ReaderOptions } from './cdr-record.ts';
import { readJsonDocuments } from './json-documents.ts';
import { LocalClock, isoUtc } from './local-time.ts';

type JsonObject = Record<string, unknown>;

/** Streams mod_json_cdr documents (one file, concatenated documents, NDJSON or arrays) as parse outcomes. */
export function readFreeswitchJson(
  input: Readable,
  options: ReaderOptions = {},
): AsyncIterable<ParseOutcome> {
  const clock = new LocalClock(options.timezone ?? DEFAULT_TIMEZONE);
  return outcomes(input, clock);
}

async function* outcomes(input: Readable, clock: LocalClock): AsyncGenerator<ParseOutcome> {
  for await (const batch of readJsonDocuments(input)) {
    for (const item of batch) {
      if (!item.ok) {
        yield item;
        continue;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(item.text);
      } catch {
        // JSON.parse messages quote the input, so they stay out of the reason
        yield { ok: false, line: item.line, reason: 'not valid JSON' };
        continue;
      }
      if (Array.isArray(doc)) {
        for (const element of doc)
          yield parseFreeswitchDocument(element, item.line, JSON.stringify(element), clock);
      } else {
        yield parseFreeswitchDocument(doc, item.line, item.text, clock);
      }
    }
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(source: JsonObject | undefined, name: string): string | undefined {
  const value = source?.[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A variable's value, URL-decoded ('+' stays '+': FreeSWITCH encodes spaces as %20 and numbers keep their +). */
function variable(vars: JsonObject, name: string): string | undefined {
  const value = text(vars, name);
  if (value === undefined || value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** First non-empty value among the candidates. */
function firstOf(...values: (string | undefined)[]): string | undefined {
  for (const value of values) if (value !== undefined && value !== '') return value;
  return undefined;
}

/**
 * UTC ms of `<base>_uepoch`, `<base>_epoch` or `<base>_stamp` (in that order); null when absent or zero
 * (FreeSWITCH writes 0 for events that did not happen), NaN when present but unreadable.
 */
function eventTime(vars: JsonObject, base: string, clock: LocalClock): number | null {
  const uepoch = variable(vars, `${base}_uepoch`);
  if (uepoch !== undefined && uepoch !== '') {
    if (!/^\d{1,17}$/.test(uepoch)) return Number.NaN;
    const micros = Number(uepoch);
    return micros === 0 ? null : Math.floor(micros / 1000);
  }
  const epoch = variable(vars, `${base}_epoch`);
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d{1,11}$/.test(epoch)) return Number.NaN;
    const seconds = Number(epoch);
    return seconds === 0 ? null : seconds * 1000;
  }
  const stamp = variable(vars, `${base}_stamp`);
  if (stamp !== undefined && stamp !== '') return clock.parseLocal(stamp) ?? Number.NaN;
  return null;
}

function fail(line: number, reason: string): ParseOutcome {
  return { ok: false, line, reason };
}

/** Validates one mod_json_cdr document and maps it to a ParsedCdr. */
export function parseFreeswitchDocument(
  doc: unknown,
  line: number,
  source: string,
  clock: LocalClock,
): ParseOutcome {
  if (!isObject(doc) || !isObject(doc.variables)) {
    return fail(line, 'JSON document has no "variables" object (not a mod_json_cdr record)');
  }
  const vars = doc.variables;
  const flows = Array.isArray(doc.callflow) ? (doc.callflow as unknown[]) : [doc.callflow];
  const flow = flows[0];
  const profile = isObject(flow) && isObject(flow.caller_profile) ? flow.caller_profile : undefined;

  const caller = firstOf(text(profile, 'caller_id_number'), variable(vars, 'caller_id_number')) ?? '';
  const callee = firstOf(text(profile, 'destination_number'), variable(vars, 'destination_number'));
  if (callee === undefined) return fail(line, 'destination_number is missing');

  const startMs = eventTime(vars, 'start', clock);
  if (startMs === null) return fail(line, 'start time is missing (start_uepoch, start_epoch or start_stamp)');
  if (Number.isNaN(startMs)) return fail(line, 'start time is not valid');
  const endMs = eventTime(vars, 'end', clock);
  if (endMs === null) return fail(line, 'end time is missing (end_uepoch, end_epoch or end_stamp)');
  if (Number.isNaN(endMs)) return fail(line, 'end time is not valid');
  const answerMs = eventTime(vars, 'answer', clock);
  if (answerMs !== null && Number.isNaN(answerMs)) return fail(line, 'answer time is not valid');
  const order = timeOrderProblem(startMs, answerMs, endMs);
  if (order !== null) return fail(line, order);

  const durationText = variable(vars, 'duration');
  const durationSec =
    durationText === undefined
      ? Math.floor(endMs / 1000) - Math.floor(startMs / 1000)
      : parseSeconds(durationText);
  if (durationSec === null) return fail(line, 'duration is not a non-negative integer');
  const billText = variable(vars, 'billsec');
  const billSec =
    billText === undefined
      ? answerMs === null
        ? 0
        : Math.floor(endMs / 1000) - Math.floor(answerMs / 1000)
      : parseSeconds(billText);
  if (billSec === null) return fail(line, 'billsec is not a non-negative integer');

  const uuid = orNull(firstOf(variable(vars, 'uuid'), text(profile, 'uuid')));
  const callerName = orNull(firstOf(text(profile, 'caller_id_name'), variable(vars, 'caller_id_name')));
  const context = orNull(firstOf(text(profile, 'context'), variable(vars, 'context')));
  return {
    ok: true,
    record: {
      naturalKey: uuid === null ? sourceHashKey(source) : `freeswitch:${uuid}`,
      platform: 'freeswitch',
      platformId: uuid,
      linkedId: orNull(
        firstOf(
          variable(vars, 'bleg_uuid'),
          variable(vars, 'bridge_uuid'),
          variable(vars, 'last_bridge_to'),
          variable(vars, 'originator'),
        ),
      ),
      startedAt: isoUtc(startMs),
      answeredAt: answerMs === null ? null : isoUtc(answerMs),
      endedAt: isoUtc(endMs),
      durationSec,
      billSec,
      caller,
      callee,
      callerName: callerName === caller ? null : callerName,
      accountCode: orNull(variable(vars, 'accountcode')),
      context,
      channel: orNull(firstOf(variable(vars, 'channel_name'), text(profile, 'chan_name'))),
      dstChannel: orNull(variable(vars, 'bridge_channel')),
      username: orNull(
        firstOf(text(profile, 'username'), variable(vars, 'sip_auth_username'), variable(vars, 'user_name')),
      ),
      sourceIp: orNull(
        firstOf(
          variable(vars, 'sip_network_ip'),
          variable(vars, 'sip_received_ip'),
          text(profile, 'network_addr'),
        ),
      ),
      disposition: freeswitchDisposition(
        variable(vars, 'hangup_cause') ?? '',
        answerMs !== null || billSec > 0,
      ),
      direction: inferDirection(context, caller, callee),
      sourceLine: line,
    },
  };
}
