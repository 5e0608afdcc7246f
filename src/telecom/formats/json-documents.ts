/**
 * Splits a stream of JSON documents (one pretty-printed document, several concatenated, or NDJSON) into the
 * text of each top-level object or array, without holding more than one document in memory. The splitter only
 * tracks nesting and strings; JSON.parse does the actual parsing.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export type JsonDocItem =
  { ok: true; text: string; line: number } | { ok: false; line: number; reason: string };

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const BOM = 0xfeff;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** One mod_json_cdr document is tens of kilobytes; this bounds memory when a document never closes. */
export const MAX_DOCUMENT_CHARS = 16 << 20;

/**
 * Yields batches of document texts with the line each starts on, and errors for text outside documents,
 * documents cut short, and documents over `maxChars`. When the first document fits on one line the input is
 * read as NDJSON: a line break inside a document then means the document was cut short.
 */
export async function* readJsonDocuments(
  input: Readable,
  maxChars: number = MAX_DOCUMENT_CHARS,
): AsyncGenerator<JsonDocItem[]> {
  const decoder = new StringDecoder('utf8');
  let batch: JsonDocItem[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let docLine = 0;
  let parts: string[] = [];
  let docChars = 0;
  let ndjson: boolean | null = null;
  // after garbage: ignore the rest of the line; after an oversized document: wait for '{' or '[' at a line start
  let skipLine = false;
  let resync = false;
  let atLineStart = true;

  const abandon = (reason: string): void => {
    batch.push({ ok: false, line: docLine, reason });
    depth = 0;
    inString = false;
    escaped = false;
    parts = [];
    docChars = 0;
  };

  const scan = (chunk: string): void => {
    let segStart = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (depth === 0) {
        if (c === LF) {
          line++;
          skipLine = false;
          atLineStart = true;
          continue;
        }
        if (skipLine) continue;
        if (c === SPACE || c === TAB || c === CR || c === BOM) {
          atLineStart = false;
          continue;
        }
        if ((c === OPEN_BRACE || c === OPEN_BRACKET) && (!resync || atLineStart)) {
          resync = false;
          depth = 1;
          docLine = line;
          segStart = i;
          continue;
        }
        atLineStart = false;
        if (resync) continue;
        batch.push({ ok: false, line, reason: 'text outside a JSON document' });
        skipLine = true;
        continue;
      }
      if (c === LF) {
        line++;
        if (ndjson === true) {
          abandon('JSON document is cut short (the line ends inside it)');
          segStart = -1;
          atLineStart = true;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          parts.push(chunk.slice(segStart, i + 1));
          batch.push({
            ok: true,
            text: parts.length === 1 ? (parts[0] ?? '') : parts.join(''),
            line: docLine,
          });
          if (ndjson === null) ndjson = docLine === line;
          parts = [];
          docChars = 0;
          segStart = -1;
          atLineStart = false;
        }
      }
    }
    if (depth > 0 && segStart >= 0) {
      const tail = chunk.slice(segStart);
      docChars += tail.length;
      parts.push(tail);
      if (docChars > maxChars) {
        abandon(`JSON document is larger than ${Math.round(maxChars / (1 << 20))} MiB`);
        resync = true;
        atLineStart = false;
      }
    }
  };

  for await (const chunk of input) {
    scan(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    if (batch.length > 0) {
      const ready = batch;
      batch = [];
      yield ready;
    }
  }
  scan(decoder.end());
  if (depth > 0) abandon('JSON document is cut short (the input ends inside it)');
  if (batch.length > 0) yield batch;
}
