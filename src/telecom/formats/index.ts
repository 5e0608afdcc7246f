/** CDR file readers: one entry point per format, all streaming and all yielding ParseOutcome. */
import type { Readable } from 'node:stream';
import { SigiloError } from '../../errors.ts';
import { readAsteriskCsv } from './asterisk-csv.reader.ts';
import type { CdrReader, ParseOutcome, ReaderOptions } from './cdr-record.ts';
import { readFreeswitchCsv } from './freeswitch-csv.reader.ts';
import { readFreeswitchJson } from './freeswitch-json.reader.ts';
import { readGenericCsv } from './generic-csv.reader.ts';

export type {
  CallDirection,
  CallDisposition,
  CdrPlatform,
  CdrReader,
  ParsedCdr,
  ParseOutcome,
  ReaderOptions,
} from './cdr-record.ts';
export { DEFAULT_TIMEZONE } from './cdr-record.ts';
export { loadGenericMapping, parseGenericMapping } from './generic-mapping.schema.ts';
export type { GenericCsvMapping } from './generic-mapping.schema.ts';
export { readAsteriskCsv, readFreeswitchCsv, readFreeswitchJson, readGenericCsv };

export const CDR_FORMATS = ['asterisk-csv', 'freeswitch-csv', 'freeswitch-json', 'generic-csv'] as const;
export type CdrFormat = (typeof CDR_FORMATS)[number];

const READERS: Record<CdrFormat, CdrReader> = {
  'asterisk-csv': readAsteriskCsv,
  'freeswitch-csv': readFreeswitchCsv,
  'freeswitch-json': readFreeswitchJson,
  'generic-csv': readGenericCsv,
};

/** True when `value` names a supported format. */
export function isCdrFormat(value: string): value is CdrFormat {
  return (CDR_FORMATS as readonly string[]).includes(value);
}

/**
 * Streams the records of `input` in `format`. Throws VALIDATION_FAILED up front for an unknown format, an
 * unknown time zone or a missing/invalid generic mapping; bad rows come out as `{ ok: false }` outcomes.
 */
export function readCdrs(
  format: CdrFormat,
  input: Readable,
  options: ReaderOptions = {},
): AsyncIterable<ParseOutcome> {
  const reader = READERS[format] as CdrReader | undefined;
  if (reader === undefined) {
    throw new SigiloError('VALIDATION_FAILED', 'Unknown CDR format', {
      path: 'format',
      issues: [{ path: 'format', message: `expected one of ${CDR_FORMATS.join(', ')}` }],
    });
  }
  return reader(input, options);
}
