/**
 * Raw HTTP/1.1 over a TCP socket, for requests an HTTP client refuses to send (NUL bytes in headers, conflicting
 * Content-Lengths, bodies that never complete). The response is read until the server closes the connection or
 * one whole response (by its Content-Length or chunked framing) has arrived.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Every byte received, headers included (to check nothing sent is echoed anywhere). */
  raw: string;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `request` (string bytes are sent as latin1, so every byte 0x00-0xFF is expressible) and resolves with
 * the answer; rejects when nothing complete arrives within `giveUpMs` (a hanging server fails the test).
 */
export function rawRequest(
  port: number,
  request: string | Buffer,
  options: { giveUpMs?: number; host?: string } = {},
): Promise<RawResponse> {
  const giveUpMs = options.giveUpMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: options.host ?? '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      const parsed = parseResponse(Buffer.concat(chunks));
      if (!parsed || settled) return;
      if (!closed && !parsed.complete) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parsed.response, closed });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(
        new Error(`no complete answer within ${giveUpMs} ms (got ${Buffer.concat(chunks).length} bytes)`),
      );
    }, giveUpMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Wait a moment for the close that follows a refusal, so `closed` tells whether the server ended it.
      setTimeout(() => finish(socket.readableEnded || socket.destroyed), 50);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => {
      finish(true);
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`connection closed without an answer (got ${Buffer.concat(chunks).length} bytes)`));
      }
    });
    socket.on('error', () => undefined); // a reset after the answer is read is fine; 'close' follows
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

function parseResponse(buf: Buffer): { response: Omit<RawResponse, 'closed'>; complete: boolean } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = buf.subarray(end + 4);
  let body: Buffer;
  let complete: boolean;
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    complete = rest.length >= length;
    body = rest.subarray(0, length);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    ({ body, complete } = dechunk(rest));
  } else {
    body = rest;
    complete = false; // read until close
  }
  return {
    response: { status, headers, body: body.toString('utf8'), raw: buf.toString('latin1') },
    complete,
  };
}

function dechunk(buf: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
