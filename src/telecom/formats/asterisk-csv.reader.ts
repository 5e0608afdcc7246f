/**
 * Asterisk cdr_csv `Master.csv`: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
 * start, answer, end, duration, billsec, disposition, amaflags, then uniqueid (loguniqueid) and userfield
 * (loguserfield). Times are the PBX's local wall time.
 */
import type { Readable } from 'node:stream';
import {
  asteriskDisposition,
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

const MIN_COLUMNS = 16;
const MAX_COLUMNS = 18;

/** Streams Asterisk Master.csv records (16, 17 or 18 columns) as parse outcomes. */
export function readAsteriskCsv(input: Readable, options: ReaderOptions = {}): AsyncIterable<ParseOutcome> {
  // built before iteration so a bad time zone fails at the call, not at the first row
  const clock = new LocalClock(options.timezone ?? DEFAULT_TIMEZONE);
  return csvOutcomes(input, (fields, line, raw) => parseAsteriskRow(fields, line, raw, clock));
}

/** Reads a caller name out of Asterisk's clid (`"Alice" <1001>`, `Alice <1001>`, `Alice` or `1001`). */
export function callerNameFromClid(clid: string, callerNumber: string): string | null {
  if (clid === '' || clid === callerNumber) return null;
  const text = clid.trim();
  const open = text.endsWith('>') ? text.lastIndexOf('<') : -1;
  let name = open === -1 ? text : text.slice(0, open).trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim();
  if (name === '' || name === callerNumber || (open !== -1 && name === text.slice(open + 1, -1))) return null;
  // a clid without brackets may be the bare number
  if (open === -1 && /^\+?[\d*#]+$/.test(name)) return null;
  return name;
}

function fail(line: number, reason: string): ParseOutcome {
  return { ok: false, line, reason };
}

/** Validates one Master.csv row and maps it to a ParsedCdr. */
export function parseAsteriskRow(
  fields: string[],
  line: number,
  raw: string,
  clock: LocalClock,
): ParseOutcome {
  const count = fields.length;
  if (count < MIN_COLUMNS || count > MAX_COLUMNS) {
    return fail(
      line,
      `expected ${MIN_COLUMNS} to ${MAX_COLUMNS} columns (Asterisk Master.csv), found ${count}`,
    );
  }
  const src = fields[1] ?? '';
  const dst = fields[2] ?? '';
  if (dst === '') return fail(line, 'destination (dst) is empty');

  const startMs = clock.parseLocal(fields[9] ?? '');
  if (startMs === null) return fail(line, 'start is not a valid YYYY-MM-DD HH:MM:SS time');
  const endMs = clock.parseLocal(fields[11] ?? '');
  if (endMs === null) return fail(line, 'end is not a valid YYYY-MM-DD HH:MM:SS time');
  const answerText = fields[10] ?? '';
  let answerMs: number | null = null;
  if (answerText !== '' && !answerText.startsWith('0000-00-00')) {
    answerMs = clock.parseLocal(answerText);
    if (answerMs === null) return fail(line, 'answer is not a valid YYYY-MM-DD HH:MM:SS time');
  }
  const order = timeOrderProblem(startMs, answerMs, endMs);
  if (order !== null) return fail(line, order);

  const durationSec = parseSeconds(fields[12] ?? '');
  if (durationSec === null) return fail(line, 'duration is not a non-negative integer');
  const billSec = parseSeconds(fields[13] ?? '');
  if (billSec === null) return fail(line, 'billsec is not a non-negative integer');

  const uniqueId = orNull(fields[16]);
  const context = orNull(fields[3]);
  return {
    ok: true,
    record: {
      // Since Asterisk 12 one channel (one uniqueid) can write several CDRs (queues, transfers, forks): the row's
      // own start, destination channel and application tell them apart, while a re-export of the same row keeps
      // its key.
      naturalKey:
        uniqueId === null
          ? sourceHashKey(raw)
          : `asterisk:${uniqueId}|${startMs}|${fields[6] ?? ''}|${fields[7] ?? ''}|${dst}`,
      platform: 'asterisk',
      platformId: uniqueId,
      linkedId: null,
      startedAt: isoUtc(startMs),
      answeredAt: answerMs === null ? null : isoUtc(answerMs),
      endedAt: isoUtc(endMs),
      durationSec,
      billSec,
      caller: src,
      callee: dst,
      callerName: callerNameFromClid(fields[4] ?? '', src),
      accountCode: orNull(fields[0]),
      context,
      channel: orNull(fields[5]),
      dstChannel: orNull(fields[6]),
      username: null,
      sourceIp: null,
      disposition: asteriskDisposition(fields[14] ?? ''),
      direction: inferDirection(context, src, dst),
      sourceLine: line,
    },
  };
}
