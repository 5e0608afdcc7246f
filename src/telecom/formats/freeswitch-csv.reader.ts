/**
 * FreeSWITCH mod_cdr_csv with its default `example` template: caller_id_name, caller_id_number,
 * destination_number, context, start_stamp, answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid,
 * bleg_uuid, accountcode, read_codec, write_codec. With `legs=ab` each leg is its own record, kept apart by uuid.
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
import { csvOutcomes } from './csv-rows.ts';
import { LocalClock, isoUtc } from './local-time.ts';

const COLUMNS = 15;

/** Streams FreeSWITCH `example`-template CSV records as parse outcomes. */
export function readFreeswitchCsv(input: Readable, options: ReaderOptions = {}): AsyncIterable<ParseOutcome> {
  const clock = new LocalClock(options.timezone ?? DEFAULT_TIMEZONE);
  return csvOutcomes(input, (fields, line, raw) => parseFreeswitchRow(fields, line, raw, clock));
}

function fail(line: number, reason: string): ParseOutcome {
  return { ok: false, line, reason };
}

/** Validates one `example`-template row and maps it to a ParsedCdr. */
export function parseFreeswitchRow(
  fields: string[],
  line: number,
  raw: string,
  clock: LocalClock,
): ParseOutcome {
  if (fields.length !== COLUMNS) {
    return fail(line, `expected ${COLUMNS} columns (FreeSWITCH example template), found ${fields.length}`);
  }
  const caller = fields[1] ?? '';
  const callee = fields[2] ?? '';
  if (callee === '') return fail(line, 'destination_number is empty');

  const startMs = clock.parseLocal(fields[4] ?? '');
  if (startMs === null) return fail(line, 'start_stamp is not a valid YYYY-MM-DD HH:MM:SS time');
  const endMs = clock.parseLocal(fields[6] ?? '');
  if (endMs === null) return fail(line, 'end_stamp is not a valid YYYY-MM-DD HH:MM:SS time');
  const answerText = fields[5] ?? '';
  let answerMs: number | null = null;
  if (answerText !== '') {
    answerMs = clock.parseLocal(answerText);
    if (answerMs === null) return fail(line, 'answer_stamp is not a valid YYYY-MM-DD HH:MM:SS time');
  }
  const order = timeOrderProblem(startMs, answerMs, endMs);
  if (order !== null) return fail(line, order);

  const durationSec = parseSeconds(fields[7] ?? '');
  if (durationSec === null) return fail(line, 'duration is not a non-negative integer');
  const billSec = parseSeconds(fields[8] ?? '');
  if (billSec === null) return fail(line, 'billsec is not a non-negative integer');

  const uuid = orNull(fields[10]);
  const callerName = orNull(fields[0]);
  const context = orNull(fields[3]);
  return {
    ok: true,
    record: {
      naturalKey: uuid === null ? sourceHashKey(raw) : `freeswitch:${uuid}`,
      platform: 'freeswitch',
      platformId: uuid,
      linkedId: orNull(fields[11]),
      startedAt: isoUtc(startMs),
      answeredAt: answerMs === null ? null : isoUtc(answerMs),
      endedAt: isoUtc(endMs),
      durationSec,
      billSec,
      caller,
      callee,
      callerName: callerName === caller ? null : callerName,
      accountCode: orNull(fields[12]),
      context,
      channel: null,
      dstChannel: null,
      username: null,
      sourceIp: null,
      disposition: freeswitchDisposition(fields[9] ?? '', answerMs !== null || billSec > 0),
      direction: inferDirection(context, caller, callee),
      sourceLine: line,
    },
  };
}
