/**
 * Turns every failure into `{ error: { code, message, details } }`. SigiloErrors keep their code; schema
 * violations name the field; Fastify's own 4xx errors get a code of ours; anything else becomes a 500
 * INTERNAL_ERROR carrying only the request id. Messages of foreign errors never reach the client: a JSON
 * parse error, for one, quotes the body it could not parse.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, SigiloError, type ErrorCode } from '../../errors.ts';

export interface ErrorWire {
  status: number;
  body: { error: { code: ErrorCode; message: string; details: Record<string, unknown> } };
}

interface Issue {
  path: string;
  problem: string;
}

/** Maps any thrown value to the status and body sent to the client. */
export function toErrorWire(err: unknown, requestId: string): ErrorWire {
  if (err instanceof SigiloError) return { status: err.status, body: err.toJSON() };
  const e = err as Partial<FastifyError> & { validationContext?: string };
  if (Array.isArray(e.validation)) {
    const issues = validationIssues(e.validation, e.validationContext ?? 'body');
    const first = issues[0] ?? { path: e.validationContext ?? 'body', problem: 'is invalid' };
    return wire('VALIDATION_FAILED', `${first.path} ${first.problem}`, { ...first, issues });
  }
  switch (e.code) {
    // Fastify's router quotes the URL in these messages: say what is wrong, never what was sent.
    case 'FST_ERR_BAD_URL':
      return wire('MALFORMED_REQUEST', 'the URL holds invalid percent-encoding', { path: 'url' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return wire('URI_TOO_LONG', 'a segment of the URL path is longer than the server accepts', {
        path: 'url',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return wire('MALFORMED_REQUEST', 'the body is not as long as its Content-Length says', {
        path: 'headers.content-length',
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return wire('PAYLOAD_TOO_LARGE', 'the request body is larger than the configured limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return wire('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return wire('VALIDATION_FAILED', 'body must not be empty when content-type is application/json', {
        path: 'body',
      });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429) return wire('RATE_LIMITED', 'too many requests; retry later');
  if (status === 400 && (err instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY')) {
    return wire('VALIDATION_FAILED', 'body is not valid JSON', { path: 'body' });
  }
  if (status >= 400 && status < 500) {
    // Any other request Fastify refused (an aborted body, say): said without echoing it.
    return wire('MALFORMED_REQUEST', 'the request is malformed', { path: 'request' });
  }
  return wire('INTERNAL_ERROR', 'internal error', { requestId });
}

function wire(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorWire {
  return { status: ERROR_CODES[code].status, body: { error: { code, message, details } } };
}

const NOT_ALLOWED = 'has a property that is not allowed';

function validationIssues(validation: NonNullable<FastifyError['validation']>, context: string): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const v of validation) {
    const params = v.params ?? {};
    const base = [context, ...pointerSegments(v.instancePath)].join('.').replace(/\.\[/g, '[');
    let issue: Issue;
    const required = params.requiredProperties ?? params.missingProperty;
    const extra = params.additionalProperties ?? params.additionalProperty;
    if (v.keyword === 'required' && required !== undefined) {
      issue = { path: `${base}.${String(([] as unknown[]).concat(required)[0])}`, problem: 'is required' };
    } else if (v.keyword === 'additionalProperties' && extra !== undefined) {
      // The key is the caller's text, not the schema's: it is never repeated (it may be personal data).
      issue = { path: base, problem: NOT_ALLOWED };
    } else if (v.keyword === 'boolean' && v.schemaPath.endsWith('additionalProperties')) {
      // The last segment is the caller's key: name the object that holds it instead.
      const holder = [context, ...pointerSegments(v.instancePath).slice(0, -1)]
        .join('.')
        .replace(/\.\[/g, '[');
      issue = { path: holder, problem: NOT_ALLOWED };
    } else {
      // TypeBox/Ajv messages describe the rule ("must be string"), never the value.
      issue = { path: base, problem: v.message ?? 'is invalid' };
    }
    const key = `${issue.path}\u0000${issue.problem}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  // A field that is both "not allowed" and something else is reported once, as not allowed.
  return out.filter(
    (i, _, all) =>
      i.problem === NOT_ALLOWED || !all.some((o) => o.path === i.path && o.problem === NOT_ALLOWED),
  );
}

function pointerSegments(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : s));
}

/** Sends the wire form of `err` on `reply` (with the headers its status calls for). */
function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorWire(err, request.id);
  request.errorCode = body.error.code;
  if (status >= 500) request.log.error({ err }, 'request failed');
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="sigilo"');
  const retryAfter = body.error.details.retryAfterSeconds;
  if (status === 429 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  return reply.code(status).send(body);
}

/**
 * Fastify's `frameworkErrors`: the router's refusals (bad percent-encoding, an over-long path segment), which
 * happen before any hook runs, so the request id and no-store headers are set here.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('x-request-id', request.id).header('cache-control', 'no-store');
  void sendError(err, request, reply);
  // No onResponse hook runs for these, so the request line is written here: the class, never the URL.
  request.log.info(
    { method: request.method, status: reply.statusCode, code: request.errorCode, reason: err.code },
    'request refused',
  );
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) =>
    sendError(err, request, reply),
  );
  app.setNotFoundHandler((request, reply) => {
    request.errorCode = 'ROUTE_NOT_FOUND';
    return reply.code(404).send(wire('ROUTE_NOT_FOUND', 'no route matches this method and path').body);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code this request ended with, for the request log line. */
    errorCode: ErrorCode | null;
  }
}
