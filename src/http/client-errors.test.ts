/**
 * Hostile HTTP over a raw socket to a real listener: requests an HTTP client would refuse to send. Every answer,
 * whether Node's parser, Fastify's router or a route refuses it, is `{error:{code,message,details}}` with a
 * documented code and status, echoes neither the URL nor any header sent, and leaves no trace of them in the logs.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedCustomer, type TestApp } from '../../test/support/http.ts';
import { rawRequest, type RawResponse } from '../../test/support/raw-http.ts';
import { SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { ERROR_CODES } from '../errors.ts';

/** Markers that must never come back: a path segment and a header value. */
const PATH_MARK = `pm${randomBytes(6).toString('hex')}`;
const HEADER_MARK = `hm${randomBytes(6).toString('hex')}`;
/** The configured request timeout of the app under test (small, so a body that never completes ends soon). */
const REQUEST_TIMEOUT_MS = 1500;

interface Auth {
  support: string;
  platform: string;
}

interface Attack {
  name: string;
  /** The raw request; `auth` holds valid `Authorization` header lines (support agent, network platform). */
  request: (auth: Auth) => string | Buffer;
  status: number;
  code: string;
  /** Refused by Node's HTTP parser before Fastify sees it: the server must close the connection. */
  connectionLevel?: boolean;
}

const head = (line: string, ...headers: string[]): string =>
  `${line}\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
const json = (auth: Auth, body: string | Buffer, type = 'application/json'): Buffer => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([
    Buffer.from(
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Sigilo-Purpose: support',
        `Content-Type: ${type}`,
        `Content-Length: ${bytes.length}`,
        `X-Note: ${HEADER_MARK}`,
        'Connection: close',
      ),
      'latin1',
    ),
    bytes,
  ]);
};
const ndjson = (auth: Auth, body: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from(
      head(
        'POST /v1/records/cdr HTTP/1.1',
        auth.platform,
        'Sigilo-Purpose: provisioning',
        'Content-Type: application/x-ndjson',
        `Content-Length: ${body.length}`,
        'Connection: close',
      ),
      'latin1',
    ),
    body,
  ]);

const ATTACKS: Attack[] = [
  {
    name: 'a NUL byte in a header value',
    request: () => head('GET /healthz HTTP/1.1', `X-Note: ${HEADER_MARK}\0tail`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a control byte in a header value',
    request: () => head('GET /healthz HTTP/1.1', `X-Note: ${HEADER_MARK}\x01tail`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a space in a header name',
    request: () => head('GET /healthz HTTP/1.1', `X Note: ${HEADER_MARK}`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a NUL byte in the path',
    request: () => head(`GET /v1/people/${PATH_MARK}\0x HTTP/1.1`, `X-Note: ${HEADER_MARK}`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a control byte in the path',
    request: () => head(`GET /v1/people/${PATH_MARK}\x7f HTTP/1.1`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'an unknown HTTP version',
    request: () => head(`GET /v1/people/${PATH_MARK} HTTP/7.3`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'bad percent-encoding in a path parameter (%zz)',
    request: () => head(`GET /v1/people/${PATH_MARK}%zz HTTP/1.1`, `X-Note: ${HEADER_MARK}`),
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    name: 'an overlong UTF-8 sequence in a path parameter (%c0%af)',
    request: () => head(`GET /v1/people/${PATH_MARK}%c0%af HTTP/1.1`),
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    name: 'both Content-Length and Transfer-Encoding',
    request: (auth) =>
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Content-Type: application/json',
        'Content-Length: 4',
        'Transfer-Encoding: chunked',
      ) + '0\r\n\r\n',
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'two different Content-Lengths',
    request: (auth) =>
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Content-Type: application/json',
        'Content-Length: 2',
        'Content-Length: 40',
      ) + '{}',
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a non-numeric Content-Length',
    request: (auth) =>
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Content-Type: application/json',
        `Content-Length: 2x`,
      ) + '{}',
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a Transfer-Encoding other than chunked',
    request: (auth) =>
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Content-Type: application/json',
        'Transfer-Encoding: gzip',
      ) + '{}',
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'a chunked body with a bad chunk size',
    request: (auth) =>
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Sigilo-Purpose: support',
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ) + `zz\r\n${HEADER_MARK}\r\n0\r\n\r\n`,
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'an HTTP/1.1 request without Host',
    request: () => `GET /healthz HTTP/1.1\r\nX-Note: ${HEADER_MARK}\r\n\r\n`,
    status: 400,
    code: 'MALFORMED_REQUEST',
  },
  {
    name: 'oversized headers (431)',
    request: () => head('GET /healthz HTTP/1.1', `X-Note: ${HEADER_MARK}${'a'.repeat(40_000)}`),
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    connectionLevel: true,
  },
  {
    name: 'a path parameter longer than the router allows (414)',
    request: () => head(`GET /v1/people/${PATH_MARK}${'a'.repeat(300)} HTTP/1.1`),
    status: 414,
    code: 'URI_TOO_LONG',
  },
  {
    name: 'an over-long URL (414)',
    request: () => head(`GET /v1/${PATH_MARK}?q=${'a'.repeat(9000)} HTTP/1.1`),
    status: 414,
    code: 'URI_TOO_LONG',
  },
  {
    name: 'an unknown route, whose URL Fastify would echo',
    request: () => head(`GET /v1/${PATH_MARK} HTTP/1.1`, `X-Note: ${HEADER_MARK}`),
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'an unknown path below the docs',
    request: () => head(`GET /docs/static/${PATH_MARK}.js HTTP/1.1`),
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'an unsupported method Node knows (PROPFIND)',
    request: () => head(`PROPFIND /v1/people/${PATH_MARK} HTTP/1.1`),
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'a method Node does not know',
    request: () => head(`BREW /v1/people/${PATH_MARK} HTTP/1.1`),
    status: 400,
    code: 'MALFORMED_REQUEST',
    connectionLevel: true,
  },
  {
    name: 'CONNECT',
    request: () => head(`CONNECT ${PATH_MARK}.example:443 HTTP/1.1`, `X-Note: ${HEADER_MARK}`),
    status: 404,
    code: 'ROUTE_NOT_FOUND',
    connectionLevel: true,
  },
  {
    name: 'an expectation the server does not know (served as if absent)',
    request: () => head('GET /v1/me HTTP/1.1', `Expect: ${HEADER_MARK}`),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'malformed JSON',
    request: (auth) => json(auth, `{"phone": "${SAMPLE.phone}"`),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a JSON body with invalid UTF-8 bytes',
    request: (auth) =>
      json(
        auth,
        Buffer.concat([
          Buffer.from('{"phone": "+5511987654321', 'utf8'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('"}'),
        ]),
      ),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a JSON body with an overlong UTF-8 sequence',
    request: (auth) =>
      json(
        auth,
        Buffer.concat([Buffer.from('{"phone": "', 'utf8'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      ),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'JSON declared in another charset',
    request: (auth) => json(auth, `{"phone": "${SAMPLE.phone}"}`, 'application/json; charset=iso-8859-1'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a wrong Content-Type',
    request: (auth) => json(auth, `phone=${SAMPLE.phone}`, `text/plain; x=${HEADER_MARK}`),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a Content-Type that is not a media type',
    request: (auth) => json(auth, `{"phone": "${SAMPLE.phone}"}`, `${HEADER_MARK}`),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an NDJSON body with invalid UTF-8 bytes',
    request: (auth) =>
      ndjson(
        auth,
        Buffer.concat([Buffer.from('{"caller": "+5511987654321'), Buffer.from([0xff]), Buffer.from('"}\n')]),
      ),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
];

/** The answer has exactly the documented shape, a documented code and its status, and echoes nothing sent. */
function expectContract(res: RawResponse, status: number, code: string): void {
  expect(res.status, res.raw.slice(0, 400)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; details: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.details).toBe('object');
  expect(ERROR_CODES[code as keyof typeof ERROR_CODES]?.status, `${code} is not documented`).toBe(status);
  expect(res.raw).not.toContain(PATH_MARK);
  expect(res.raw).not.toContain(HEADER_MARK);
}

describe.each(DIALECTS)('hostile HTTP on a real listener on %s', (dialect) => {
  let h: TestApp;
  let port: number;
  let auth: Auth;

  beforeAll(async () => {
    h = await createTestApp(dialect, { env: { SIGILO_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
    await seedCustomer(h.sigilo);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
    auth = {
      support: `Authorization: Bearer ${await h.token('support_agent')}`,
      platform: `Authorization: Bearer ${await h.token('network_platform')}`,
    };
  });
  afterAll(async () => h?.cleanup());

  it.each(ATTACKS)('answers $name with $status $code', async (attack) => {
    const res = await rawRequest(port, attack.request(auth));
    expectContract(res, attack.status, attack.code);
    if (attack.connectionLevel) {
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
    }
    const logs = h.logs.join('\n');
    expect(logs).not.toContain(PATH_MARK);
    expect(logs).not.toContain(HEADER_MARK);
  });

  it('times out a body shorter than its Content-Length with 408 REQUEST_TIMEOUT and closes', async () => {
    const res = await rawRequest(
      port,
      head(
        'POST /v1/people/lookup HTTP/1.1',
        auth.support,
        'Sigilo-Purpose: support',
        'Content-Type: application/json',
        'Content-Length: 100',
      ) + '{"phone":',
      { giveUpMs: REQUEST_TIMEOUT_MS * 6 },
    );
    expectContract(res, 408, 'REQUEST_TIMEOUT');
    expect(res.headers.connection).toBe('close');
    expect(res.closed).toBe(true);
  });

  it('times out headers that never end with 408 REQUEST_TIMEOUT and closes', async () => {
    const res = await rawRequest(
      port,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: ${HEADER_MARK}\r\n`,
      {
        giveUpMs: REQUEST_TIMEOUT_MS * 6,
      },
    );
    expectContract(res, 408, 'REQUEST_TIMEOUT');
    expect(res.headers.connection).toBe('close');
  });

  it('still serves a well-formed request on the same listener, and a valid UTF-8 body is read as sent', async () => {
    const res = await rawRequest(port, json(auth, `{"phone": "${SAMPLE.phone}"}`));
    expect(res.status, res.body).toBe(200);
    expect((JSON.parse(res.body) as { people: unknown[] }).people).toHaveLength(1);
  });
});
