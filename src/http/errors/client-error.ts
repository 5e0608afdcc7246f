/**
 * Answers for requests refused below Fastify, where Node's HTTP parser (llhttp) or its request timer ends them
 * (the server's 'clientError' event) and for CONNECT, which Node never routes. There is no request or reply
 * object there: the answer is written on the socket, in the same `{error:{code,message,details}}` shape, with
 * `Connection: close`, and the socket is closed. Nothing of the request is echoed or logged (the parser error's
 * `rawPacket` holds its bytes, tokens included).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../../errors.ts';

interface Refusal {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** What to answer for a Node client error (`err.code` is llhttp's `HPE_*` or Node's `ERR_*`). */
export function refusalOf(errCode: string | undefined): Refusal {
  const malformed = (message: string, path: string): Refusal => ({
    code: 'MALFORMED_REQUEST',
    message,
    details: { path },
  });
  switch (errCode) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        code: 'REQUEST_TIMEOUT',
        message: 'the request did not arrive within the configured time',
        details: {},
      };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large', details: {} };
    case 'HPE_INVALID_METHOD':
      return malformed('the request method is not valid HTTP', 'method');
    case 'HPE_INVALID_URL':
      return malformed('the request target holds bytes HTTP does not allow', 'url');
    case 'HPE_INVALID_VERSION':
      return malformed('the HTTP version is not supported', 'version');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONSTANT':
      return malformed('a header name or value holds bytes HTTP does not allow', 'headers');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return malformed(
        'Content-Length is invalid, repeated, or sent together with Transfer-Encoding',
        'headers.content-length',
      );
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return malformed('Transfer-Encoding must end with chunked', 'headers.transfer-encoding');
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_STRICT':
      return malformed('the chunked body is malformed', 'body');
    default:
      return malformed('the request is not valid HTTP', 'request');
  }
}

/** A complete HTTP/1.1 response carrying `refusal`, ending the connection. */
export function rawRefusal(refusal: Refusal, requestId: string): string {
  const status = ERROR_CODES[refusal.code].status;
  const body = JSON.stringify({
    error: { code: refusal.code, message: refusal.message, details: refusal.details },
  });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** Writes `refusal` on `socket` unless a response is already under way there, then closes it. */
export function refuseOnSocket(
  socket: Duplex,
  refusal: Refusal,
  log: FastifyBaseLogger,
  reason?: string,
): void {
  // Node's own rule (socketOnError): a response already started on this socket must not be corrupted.
  // `_httpMessage` is the in-flight ServerResponse; Node exposes no public accessor from the socket.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  const requestId = randomUUID();
  if (socket.writable && !inFlight?.headersSent) {
    // Destroyed once the answer is flushed: destroying at once could drop it from the write buffer.
    socket.end(rawRefusal(refusal, requestId), () => socket.destroy());
  } else {
    socket.destroy();
  }
  // The refusal class only: no URL, header or byte of the request.
  log.info(
    {
      reqId: requestId,
      status: ERROR_CODES[refusal.code].status,
      code: refusal.code,
      ...(reason ? { reason } : {}),
    },
    'request refused',
  );
}

/** Fastify's `clientErrorHandler`: every parser refusal and request timeout in the documented shape. */
export function clientErrorHandler(
  this: { log: FastifyBaseLogger },
  err: Error & { code?: string },
  socket: Duplex,
): void {
  // A connection reset by the client has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  refuseOnSocket(socket, refusalOf(err.code), this.log, err.code);
}
