/**
 * Streams CSV records line by line with per-record recovery.
 *
 * csv-parse tops out near 110,000 rows/s on the 2-core target for Master.csv rows, below the 150,000 rows/s
 * the ingest path needs. So a line in the strict single-line subset of RFC 4180 (every field either unquoted
 * without any quote, or quoted with doubled inner quotes and closed right before a delimiter or the line end)
 * is split here, and every other line goes to csv-parse: quoted line breaks, stray quotes. The
 * split is the same as csv-parse's on that subset (csv-rows.test.ts compares them). Working per line also
 * isolates damage: a quote left open costs its own line, not the lines after it.
 */
import type { Readable } from 'node:stream';
import type { ParseOutcome } from './cdr-record.ts';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse/sync';
import type { CsvError } from 'csv-parse/sync';

export type CsvItem =
  { ok: true; fields: string[]; line: number; raw: string } | { ok: false; line: number; reason: string };

export interface CsvRowsOptions {
  /** One character, not a quote or line break; default ','. */
  delimiter?: string;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;
/** No CDR line comes near this; longer lines are reported and skipped instead of filling memory. */
export const MAX_LINE_CHARS = 1 << 20;
/** A quoted field may span at most this many lines before its first line is declared broken. */
export const MAX_RECORD_LINES = 100;

const REASONS: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'broken quoting: a closing quote is followed by text instead of a delimiter',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'broken quoting: a closing quote is followed by text instead of a delimiter',
  INVALID_OPENING_QUOTE: 'broken quoting: a quote appears inside an unquoted field',
};
const UNCLOSED = 'broken quoting: a quoted field opened on this line is not closed';

/**
 * Splits one line of the strict subset, or returns null when the line needs csv-parse.
 * `delimiter` is a char code.
 */
export function splitSimpleLine(line: string, delimiter: number): string[] | null {
  const fields: string[] = [];
  const length = line.length;
  const delimiterText = String.fromCharCode(delimiter);
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q === -1) return null;
        if (line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += line.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === length) return fields;
      if (line.charCodeAt(i) !== delimiter) return null;
      i++;
    } else {
      const next = line.indexOf(delimiterText, i);
      const end = next === -1 ? length : next;
      const value = line.slice(i, end);
      if (value.indexOf('"') !== -1) return null;
      fields.push(value);
      if (next === -1) return fields;
      i = next + 1;
    }
  }
}

function countQuotes(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++;
  return count;
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** The record's own text: without the empty lines before it and the line ending after it. */
function recordText(raw: string): { text: string; leadingLines: number } {
  let start = 0;
  let leadingLines = 0;
  while (start < raw.length && (raw.charCodeAt(start) === LF || raw.charCodeAt(start) === CR)) {
    if (raw.charCodeAt(start) === LF) leadingLines++;
    start++;
  }
  let end = raw.length;
  if (end > start && raw.charCodeAt(end - 1) === LF) end--;
  if (end > start && raw.charCodeAt(end - 1) === CR) end--;
  return { text: raw.slice(start, end), leadingLines };
}

/** csv-parse on a self-contained piece of text; `problem` is the first error csv-parse reported, if any. */
function parseWithLibrary(
  text: string,
  delimiter: string,
): { records: { record: string[]; raw: string }[]; problem: string | null } {
  let problem: string | null = null;
  const note = (err: unknown): void => {
    problem ??= (err as CsvError | undefined)?.code ?? 'UNKNOWN';
  };
  try {
    const records = parse(text, {
      delimiter,
      record_delimiter: ['\r\n', '\n'],
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        note(err);
        return undefined;
      },
      // with `raw`, csv-parse returns `{ record, raw }` items although this overload's type says string[][]
    }) as unknown as { record: string[]; raw: string }[];
    return { records, problem };
  } catch (err) {
    note(err);
    return { records: [], problem };
  }
}

function reasonFor(code: string): string {
  return REASONS[code] ?? 'the CSV record could not be read';
}

interface PendingLine {
  /** The line with its CR, if any (a CR inside a quoted field belongs to the value). */
  raw: string;
  number: number;
}

/**
 * Turns lines into CSV items. Lines arrive in order through `push`; items accumulate in `items` until taken.
 */
class CsvLineReader {
  items: CsvItem[] = [];
  private readonly delimiterCode: number;
  // lines of a record whose quoted field spans lines, not yet closed
  private open: PendingLine[] = [];
  private openQuotes = 0;
  private openChars = 0;

  constructor(private readonly delimiter: string) {
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  push(raw: string, number: number): void {
    if (this.open.length > 0) {
      this.open.push({ raw, number });
      this.openQuotes += countQuotes(raw);
      this.openChars += raw.length;
      if (this.openQuotes % 2 === 0) {
        this.closeRegion();
      } else if (this.open.length >= MAX_RECORD_LINES || this.openChars > MAX_LINE_CHARS) {
        this.abandonRegion();
      }
      return;
    }
    const line = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw;
    if (line.length === 0) return;
    const fields = splitSimpleLine(line, this.delimiterCode);
    if (fields !== null) {
      this.items.push({ ok: true, fields, line: number, raw: line });
      return;
    }
    const quotes = countQuotes(raw);
    this.open = [{ raw, number }];
    this.openQuotes = quotes;
    this.openChars = raw.length;
    if (quotes % 2 === 0) this.closeRegion();
  }

  /** The input ended: a region still open had a quote that never closed. */
  finish(): void {
    while (this.open.length > 0) this.abandonRegion();
  }

  reportLine(number: number, reason: string): void {
    this.items.push({ ok: false, line: number, reason });
  }

  /** Parses the open region with csv-parse; on any error its first line is reported and the rest re-read. */
  private closeRegion(): void {
    const region = this.open;
    const first = region[0] as PendingLine;
    const text = region.map((l) => l.raw).join('\n') + '\n';
    const { records, problem } = parseWithLibrary(text, this.delimiter);
    if (problem !== null) {
      if (region.length > 1) return this.abandonRegion();
      this.open = [];
      return this.reportLine(first.number, reasonFor(problem));
    }
    this.open = [];
    let offset = 0;
    for (const { record, raw } of records) {
      const { text: body, leadingLines } = recordText(raw);
      const line = first.number + countLineFeeds(text, 0, offset) + leadingLines;
      offset += raw.length;
      this.items.push({ ok: true, fields: record, line, raw: body });
    }
  }

  /** Reports the region's first line as broken and feeds the lines after it again. */
  private abandonRegion(): void {
    const [first, ...rest] = this.open;
    this.open = [];
    if (first === undefined) return;
    // the first line alone usually tells what is wrong with it (a stray quote, or a quote left open)
    const { problem } = parseWithLibrary(first.raw + '\n', this.delimiter);
    this.reportLine(
      first.number,
      problem === null || problem === 'CSV_QUOTE_NOT_CLOSED' ? UNCLOSED : reasonFor(problem),
    );
    for (const line of rest) this.push(line.raw, line.number);
  }
}

/**
 * Yields batches of CSV records (fields, 1-based start line, raw text without its line ending) and
 * unreadable records (line and a reason without data). Empty lines are skipped; a leading BOM is dropped.
 */
export async function* readCsvRows(input: Readable, options: CsvRowsOptions = {}): AsyncGenerator<CsvItem[]> {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new RangeError('CSV delimiter must be one character other than a quote or line break');
  }
  const reader = new CsvLineReader(delimiter);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNumber = 0;
  let first = true;
  // a line over MAX_LINE_CHARS is reported once and dropped up to its end
  let dropping = false;

  const take = (text: string): void => {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      lineNumber++;
      if (dropping) dropping = false;
      else reader.push(text.slice(start, newline), lineNumber);
      start = newline + 1;
    }
    carry = text.slice(start);
    if (carry.length > MAX_LINE_CHARS) {
      if (!dropping) reader.reportLine(lineNumber + 1, 'line is longer than 1 MiB');
      dropping = true;
      carry = '';
    }
  };

  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    take(carry + text);
    if (reader.items.length > 0) {
      const ready = reader.items;
      reader.items = [];
      yield ready;
    }
  }
  const tail = carry + decoder.end();
  if (tail.length > 0 && !dropping) reader.push(tail, lineNumber + 1);
  reader.finish();
  if (reader.items.length > 0) yield reader.items;
}

/** Parse outcomes of every CSV row of `input`, each readable row handed to `parseRow` (the format's own mapping). */
export async function* csvOutcomes(
  input: Readable,
  parseRow: (fields: string[], line: number, raw: string) => ParseOutcome,
  options: CsvRowsOptions = {},
): AsyncGenerator<ParseOutcome> {
  for await (const batch of readCsvRows(input, options)) {
    for (const item of batch) yield item.ok ? parseRow(item.fields, item.line, item.raw) : item;
  }
}
