/**
 * CSV from any other system, read through a column mapping (see generic-mapping.schema.ts). Missing facts are
 * derived where the platform-neutral meaning is clear: duration from the times, billsec from the answer time.
 */
import type { Readable } from 'node:stream';
import { SigiloError } from '../../errors.ts';
import {
  directionWord,
  genericDisposition,
  inferDirection,
  orNull,
  parseSeconds,
  sourceHashKey,
  timeOrderProblem,
} from './call-facts.ts';
import { DEFAULT_TIMEZONE } from './cdr-record.ts';
import type { ParseOutcome, ReaderOptions } from './cdr-record.ts';
import { readCsvRows } from './csv-rows.ts';
import { GENERIC_FIELDS, parseGenericMapping } from './generic-mapping.schema.ts';
import type { GenericCsvMapping, GenericField } from './generic-mapping.schema.ts';
import { LocalClock, isoUtc } from './local-time.ts';

type TimeParser = (text: string) => number | null;
interface ColumnIndexes {
  at: Partial<Record<GenericField, number>>;
  /** The fewest columns a row needs to hold every mapped field. */
  needed: number;
}

/** Streams CSV records through `options.mapping` as parse outcomes. */
export function readGenericCsv(input: Readable, options: ReaderOptions = {}): AsyncIterable<ParseOutcome> {
  if (options.mapping === undefined) {
    throw new SigiloError('VALIDATION_FAILED', 'The generic-csv format needs a column mapping', {
      path: 'mapping',
      issues: [{ path: 'mapping', message: 'required for generic-csv' }],
    });
  }
  const mapping = parseGenericMapping(options.mapping);
  const clock = new LocalClock(mapping.timezone ?? options.timezone ?? DEFAULT_TIMEZONE);
  return outcomes(input, mapping, timeParser(mapping.timeFormat ?? 'iso', clock));
}

function timeParser(format: string, clock: LocalClock): TimeParser {
  switch (format) {
    case 'iso':
      return (text) => clock.parseIso(text);
    case 'epoch':
      return (text) => (/^\d{1,11}(\.\d{1,9})?$/.test(text) ? Math.round(Number(text) * 1000) : null);
    case 'epoch_ms':
      return (text) => (/^\d{1,14}$/.test(text) ? Number(text) : null);
    default:
      return (text) => clock.parseFormat(text, format);
  }
}

function unknownColumn(field: GenericField): SigiloError {
  const path = `columns.${field}`;
  return new SigiloError(
    'VALIDATION_FAILED',
    `Column mapping ${path} names a column the header does not have`,
    {
      path,
      issues: [{ path, message: 'no such column in the header' }],
    },
  );
}

/** Column positions of every mapped field, resolving names against the header when there is one. */
function resolveColumns(mapping: GenericCsvMapping, header: string[] | null): ColumnIndexes {
  const byName = new Map<string, number>();
  header?.forEach((name, i) => {
    if (!byName.has(name)) byName.set(name, i);
    const loose = name.trim().toLowerCase();
    if (!byName.has(loose)) byName.set(loose, i);
  });
  const at: ColumnIndexes['at'] = {};
  for (const field of GENERIC_FIELDS) {
    const ref = mapping.columns[field];
    if (ref === undefined) continue;
    if (typeof ref === 'number') at[field] = ref;
    else if (header === null) at[field] = Number(ref);
    else {
      const index = byName.get(ref) ?? byName.get(ref.trim().toLowerCase());
      if (index === undefined) throw unknownColumn(field);
      at[field] = index;
    }
  }
  return { at, needed: Math.max(...Object.values(at)) + 1 };
}

async function* outcomes(
  input: Readable,
  mapping: GenericCsvMapping,
  parseTime: TimeParser,
): AsyncGenerator<ParseOutcome> {
  let columns: ColumnIndexes | null = mapping.header ? null : resolveColumns(mapping, null);
  for await (const batch of readCsvRows(input, { delimiter: mapping.delimiter })) {
    for (const item of batch) {
      if (!item.ok) yield item;
      else if (columns === null) columns = resolveColumns(mapping, item.fields);
      else yield parseGenericRow(item.fields, item.line, item.raw, columns, parseTime);
    }
  }
}

function fail(line: number, reason: string): ParseOutcome {
  return { ok: false, line, reason };
}

function parseGenericRow(
  fields: string[],
  line: number,
  raw: string,
  columns: ColumnIndexes,
  parseTime: TimeParser,
): ParseOutcome {
  if (fields.length < columns.needed) {
    return fail(line, `expected at least ${columns.needed} columns, found ${fields.length}`);
  }
  const get = (field: GenericField): string | undefined => {
    const index = columns.at[field];
    return index === undefined ? undefined : fields[index]?.trim();
  };

  const caller = get('caller') ?? '';
  const callee = get('callee') ?? '';
  if (callee === '') return fail(line, 'callee is empty');
  const startMs = parseTime(get('startedAt') ?? '');
  if (startMs === null) return fail(line, 'startedAt is not a valid time in the mapped format');
  const endMs = parseTime(get('endedAt') ?? '');
  if (endMs === null) return fail(line, 'endedAt is not a valid time in the mapped format');
  const answerText = get('answeredAt') ?? '';
  let answerMs: number | null = null;
  if (answerText !== '') {
    answerMs = parseTime(answerText);
    if (answerMs === null) return fail(line, 'answeredAt is not a valid time in the mapped format');
  }
  const order = timeOrderProblem(startMs, answerMs, endMs);
  if (order !== null) return fail(line, order);

  const durationText = get('durationSec') ?? '';
  const durationSec = durationText === '' ? Math.floor((endMs - startMs) / 1000) : parseSeconds(durationText);
  if (durationSec === null) return fail(line, 'durationSec is not a non-negative integer');
  const billText = get('billSec') ?? '';
  const billSec =
    billText === ''
      ? answerMs === null
        ? 0
        : Math.floor((endMs - answerMs) / 1000)
      : parseSeconds(billText);
  if (billSec === null) return fail(line, 'billSec is not a non-negative integer');

  const platformId = orNull(get('platformId'));
  const context = orNull(get('context'));
  const callerName = orNull(get('callerName'));
  const dispositionText = get('disposition');
  const directionText = get('direction');
  const answered = answerMs !== null || billSec > 0;
  return {
    ok: true,
    record: {
      naturalKey: platformId === null ? sourceHashKey(raw) : `generic:${platformId}`,
      platform: 'generic',
      platformId,
      linkedId: orNull(get('linkedId')),
      startedAt: isoUtc(startMs),
      answeredAt: answerMs === null ? null : isoUtc(answerMs),
      endedAt: isoUtc(endMs),
      durationSec,
      billSec,
      caller,
      callee,
      callerName: callerName === caller ? null : callerName,
      accountCode: orNull(get('accountCode')),
      context,
      channel: orNull(get('channel')),
      dstChannel: orNull(get('dstChannel')),
      username: orNull(get('username')),
      sourceIp: orNull(get('sourceIp')),
      disposition:
        dispositionText === undefined
          ? answered
            ? 'answered'
            : 'unknown'
          : genericDisposition(dispositionText, answered),
      direction:
        directionText === undefined || directionText === ''
          ? inferDirection(context, caller, callee)
          : directionWord(directionText),
      sourceLine: line,
    },
  };
}
