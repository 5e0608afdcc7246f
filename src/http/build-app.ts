/**
 * Builds the HTTP API around a Sigilo without listening (tests use `inject`; server.ts listens). Every route
 * runs validate (TypeBox schema) → authenticate (bearer token or OIDC) → gate.run(service) → present (response
 * schema, which also drops any field a view did not declare).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet from 'helmet';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage as RawRequest, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Sigilo } from '../app.ts';
import { retentionRoutes } from '../retention/retention.routes.ts';
import { subjectRequestRoutes } from '../subject-requests/subject-requests.routes.ts';
import { recordingsRoutes } from '../recordings/recordings.routes.ts';
import { authorityRequestsRoutes } from '../authority-requests/authority-requests.routes.ts';
import { incidentRoutes } from '../incidents/incidents.routes.ts';
import type { SigiloConfig } from '../config/config.ts';
import { isSubjectBound, issuanceOf } from '../policy/policy.evaluate.ts';
import { StaffTokenService, type AppLog } from '../tokens/staff-token.service.ts';
import { installAuthentication } from './auth/authenticate.ts';
import { createSubjectAssertionVerifier } from './auth/subject-assertion.ts';
import { createOidcVerifier } from './auth/oidc.ts';
import { SigiloError } from '../errors.ts';
import { installJsonParser } from './body-parsers.ts';
import { clientErrorHandler, refuseOnSocket } from './errors/client-error.ts';
import { frameworkErrorHandler, installErrorHandlers, logRefusal } from './errors/error-handler.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type HttpMetrics } from './metrics.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';
import { accountRoutes } from './routes/accounts/accounts.routes.ts';
import { auditRoutes } from './routes/audit/audit.routes.ts';
import { contractRoutes } from './routes/contracts/contracts.routes.ts';
import { credentialRoutes } from './routes/credentials/credentials.routes.ts';
import { routeServicesOf } from './route-services.ts';
import type { RouteDeps } from './routes/gated.ts';
import { guardRoutes } from './routes/guard/guard.routes.ts';
import { healthRoutes } from './routes/health/health.routes.ts';
import { invoiceRoutes } from './routes/invoices/invoices.routes.ts';
import { peopleRoutes } from './routes/people/people.routes.ts';
import { policyRoutes } from './routes/policy/policy.routes.ts';
import { recordsRoutes } from './routes/records/records.routes.ts';
import { reportRoutes } from './routes/reports/reports.routes.ts';
import { sessionRoutes } from './routes/session/session.routes.ts';
import { ticketRoutes } from './routes/tickets/tickets.routes.ts';
import { tokenRoutes } from './routes/tokens/tokens.routes.ts';
import { ACCESS_EXTENSION, accessExtensionOf } from './route-access.ts';

/** The Fastify instance type of Sigilo's API. */
export type SigiloApp = FastifyInstance<
  RawServerDefault,
  RawRequest,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface BuildAppOptions {
  /** The application logger (tests pass one writing into memory); default: pino at the configured level. */
  logger?: Logger;
  /** The token service (default: built over the Sigilo's store and policy). */
  tokens?: StaffTokenService;
  /** Collect process metrics (CPU, memory, event loop) too; the real server does, tests do not. */
  processMetrics?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Longest path segment the router accepts (ids are UUIDs); longer ones get 414 URI_TOO_LONG. */
const MAX_PARAM_LENGTH = 100;
/** Longest URL (path and query) accepted; longer ones get 414 URI_TOO_LONG. */
const MAX_URL_BYTES = 8 * 1024;
/** Largest request head (request line and headers) Node's parser accepts; more gets 431 HEADERS_TOO_LARGE. */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Options of the Node HTTP(S) server. The whole request must arrive within `requestTimeoutMs`, its headers within
 * at most 60 s; Node checks for late requests every quarter of the timeout (5 s at most), so a late request is
 * answered 408 within the timeout plus that interval. A missing Host is refused by our hook, in the error shape,
 * rather than by Node's bare 400.
 */
function serverOptions(requestTimeoutMs: number) {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 60_000),
    connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
    requireHostHeader: false,
  };
}

/** Answers what Node would otherwise answer itself (bare 417) or drop without a word (CONNECT). */
function installServerGuards(app: SigiloApp): void {
  // An expectation other than 100-continue may be ignored (RFC 9110 §10.1.1): the request is served as usual.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    app.server.emit('request', req, res),
  );
  app.server.on('connect', (_req: IncomingMessage, socket: Duplex) =>
    refuseOnSocket(
      socket,
      { code: 'ROUTE_NOT_FOUND', message: 'no route matches this method and path', details: {} },
      app.log,
      'CONNECT',
    ),
  );
}

/** Builds the app; call `ready()` or `inject()` on it, or hand it to `startServer`. */
export async function buildApp(
  sigilo: Sigilo,
  config: SigiloConfig,
  options: BuildAppOptions = {},
): Promise<SigiloApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const tls = config.http.tls;
  const server = serverOptions(config.http.requestTimeoutMs);
  const app = Fastify({
    loggerInstance: logger,
    // One line per request is written by our onResponse hook instead: route pattern, never the URL.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      // A client-chosen id is accepted only when it cannot smuggle text (or personal data) into the logs.
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    // Fastify sets the Node server's request timeout from its own option (0, none, unless given).
    requestTimeout: config.http.requestTimeoutMs,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => {
      frameworkErrorHandler(err, request, reply);
      void logRefusal(sigilo.accessLog.security, err, request);
    },
    clientErrorHandler,
    ...(tls
      ? {
          https: {
            ...server,
            cert: fs.readFileSync(tls.certFile),
            key: fs.readFileSync(tls.keyFile),
            minVersion: 'TLSv1.2' as const,
          },
        }
      : { http: server }),
  }) as unknown as SigiloApp;
  installServerGuards(app);
  installJsonParser(app);
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const metrics = createMetrics({
    processMetrics: options.processMetrics ?? false,
    failedRuns: () => sigilo.retention.failedRuns(),
  });
  const appLog: AppLog = { info: (obj, msg) => logger.info(obj, msg) };
  const tokens =
    options.tokens ??
    new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), sigilo.now, {
      defaultTtlDays: config.auth.tokenTtlDays,
      cacheMs: config.auth.tokenCacheMs,
      accessLog: sigilo.accessLog.writer,
      labels: sigilo.tokenLabels,
      log: appLog,
    });
  const deps: RouteDeps = { services: routeServicesOf(sigilo), tokens, metrics };

  app.decorateRequest('principal', null);
  app.decorateRequest('errorCode', null);
  app.decorateRequest('accessLogged', false);
  installErrorHandlers(app, sigilo.accessLog.security);
  installRequestHooks(app, metrics);

  installSecurityHeaders(app, tls !== null);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: OPENAPI_DOCUMENT,
    hideUntagged: false,
    // Each route's access declaration (roles, policy questions) is shown as `x-sigilo-access`.
    transform: ({ schema, url, route }) => {
      const ext = accessExtensionOf(route.config ?? {});
      return { schema: ext && schema ? { ...schema, [ACCESS_EXTENSION]: ext } : schema, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Without TLS the browser must not be told to upgrade the UI's own requests to https.
    transformStaticCSP: (header) => (tls ? header : header.replace(/\s*upgrade-insecure-requests;?/, '')),
    uiConfig: { deepLinking: false, persistAuthorization: false },
  });

  await app.register(healthRoutes, { ...deps });
  await app.register(
    async (v1) => {
      installAuthentication(v1, {
        tokens,
        oidc: config.oidc
          ? createOidcVerifier(
              config.oidc,
              // A `server` role (system) is never obtained from outside the server, not even from the IdP.
              (role) => {
                const issuance = issuanceOf(sigilo.policies.policy(), role);
                return issuance !== undefined && issuance !== 'server';
              },
              sigilo.now,
            )
          : null,
        subjectAssertions: config.portal ? createSubjectAssertionVerifier(config.portal, sigilo.now) : null,
        isSubjectBound: (role) => isSubjectBound(sigilo.policies.policy(), role),
        policy: () => sigilo.policies.policy(),
        metrics,
        failuresPerMinute: config.auth.failuresPerMinute,
        security: sigilo.accessLog.security,
      });
      for (const routes of [
        sessionRoutes,
        accountRoutes,
        peopleRoutes,
        contractRoutes,
        invoiceRoutes,
        ticketRoutes,
        guardRoutes,
        credentialRoutes,
        recordsRoutes,
        recordingsRoutes,
        retentionRoutes,
      ]) {
        await v1.register(routes, deps);
      }
      for (const routes of [
        authorityRequestsRoutes,
        policyRoutes,
        auditRoutes,
        tokenRoutes,
        subjectRequestRoutes,
        incidentRoutes,
        reportRoutes,
      ]) {
        await v1.register(routes, deps);
      }
    },
    { prefix: '/v1' },
  );
  return app;
}

/**
 * Helmet's headers on every answer (HSTS only over HTTPS, where it means something; a CSP that allows nothing,
 * the API serves no page; the docs UI sets its own). The middleware is built once here: @fastify/helmet rebuilt
 * it, re-parsing the CSP, on every request, about 8% of the CPU time of a small answer.
 */
function installSecurityHeaders(app: SigiloApp, tls: boolean): void {
  const headers = helmet({
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: tls ? [] : null,
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    headers(request.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });
}

function installRequestHooks(app: SigiloApp, metrics: HttpMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Personal data is never cacheable by browsers or proxies.
    void reply.header('cache-control', 'no-store');
    if ((request.raw.url ?? '').length > MAX_URL_BYTES) {
      throw new SigiloError('URI_TOO_LONG', 'the URL is longer than the server accepts', { path: 'url' });
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused with 400.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new SigiloError('MALFORMED_REQUEST', 'an HTTP/1.1 request must send a Host header', {
        path: 'headers.host',
      });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the URL: a URL can carry ids or, worse, a mistyped phone number.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    if (request.errorCode) metrics.errors.inc({ code: request.errorCode });
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        latencyMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(request.principal ? { role: request.principal.role, via: request.principal.via } : {}),
        ...(request.errorCode ? { code: request.errorCode } : {}),
      },
      'request completed',
    );
  });
}
