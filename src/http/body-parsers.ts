/**
 * Request bodies read as text are UTF-8 and nothing else (JSON: RFC 8259 §8.1). They are decoded with a fatal
 * decoder, so an invalid or overlong byte sequence is refused with a coded error instead of silently becoming
 * U+FFFD. Fastify's own JSON parser (which replaces them) and its text/plain parser are removed.
 */
import contentType from 'content-type';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SigiloError } from '../errors.ts';

// Without `stream: true` a decode call keeps no state, so one decoder serves every request.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or null when they are not valid UTF-8 (a leading BOM is dropped). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Replaces the JSON body parser with one that refuses invalid UTF-8 and charsets other than UTF-8. */
export function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // text/plain bodies are no route's input: they get 415 like any other unaccepted type.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (!declaresUtf8(request)) {
      done(new SigiloError('UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8 (send application/json)'));
      return;
    }
    const text = decodeUtf8(body as Buffer);
    if (text === null) {
      done(new SigiloError('VALIDATION_FAILED', 'body is not valid UTF-8', { path: 'body' }));
      return;
    }
    void parseJson(request, text, done);
  });
}

/** True when the Content-Type names no charset or UTF-8. */
function declaresUtf8(request: FastifyRequest): boolean {
  try {
    const charset = contentType.parse(request.headers['content-type'] ?? '').parameters.charset;
    return charset === undefined || /^utf-?8$/i.test(charset);
  } catch {
    return false;
  }
}

/**
 * The lines of a UTF-8 text stream (LF or CRLF ends a line), numbered from 1. A line that is not valid UTF-8
 * ends the stream with 400 VALIDATION_FAILED naming the line. Bytes are split before decoding: 0x0A never
 * occurs inside a multi-byte sequence, so a character split across chunks is decoded whole.
 */
export async function* utf8Lines(
  stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let line = 0;
  const take = (tail: Buffer): string => {
    line++;
    let bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
    const text = decodeUtf8(bytes);
    if (text === null) {
      throw new SigiloError('VALIDATION_FAILED', `body line ${line} is not valid UTF-8`, {
        path: 'body',
        line,
      });
    }
    return text;
  };
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      yield take(buf.subarray(start, nl));
      start = nl + 1;
    }
    if (start < buf.length) parts.push(buf.subarray(start));
  }
  if (parts.length > 0) yield take(Buffer.alloc(0));
}
