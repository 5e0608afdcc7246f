/**
 * The authentication hook of every /v1 route: bearer staff token (`sgl_...`) or, when configured, an OIDC JWT.
 * It runs on request, before the body is even parsed, so an unauthenticated client costs little. Failed
 * attempts count against the client address and too many within a minute answer 429 before any check.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecurityEventLog } from '../../access-log/security-events.ts';
import { SigiloError, isSigiloError } from '../../errors.ts';
import { evaluate, type Duty } from '../../policy/policy.evaluate.ts';
import type { Policy } from '../../policy/policy.schema.ts';
import { looksLikeStaffToken, type StaffTokenService } from '../../tokens/staff-token.service.ts';
import type { HttpMetrics } from '../metrics.ts';
import type { CategoryAccess } from '../route-access.ts';
import type { CredentialVerifier, Principal } from './principal.ts';
import { SUBJECT_ASSERTION_HEADER, type SubjectAssertionVerifier } from './subject-assertion.ts';

const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/i;

export interface AuthDeps {
  tokens: StaffTokenService;
  oidc: CredentialVerifier | null;
  /** Verifies the subject portal's per-request assertions; null when none is configured. */
  subjectAssertions: SubjectAssertionVerifier | null;
  /** Whether the policy in force binds `role` to one data subject per request. */
  isSubjectBound: (role: string) => boolean;
  /** The policy in force: a route's `duty` is decided by it at every request. */
  policy: () => Policy;
  metrics: HttpMetrics;
  failuresPerMinute: number;
  /** Authentication failures and role refusals go to the access log, floods summarised. */
  security?: SecurityEventLog;
}

/** How a presented credential is named in the access log: its kind, and a staff token by a hash prefix only. */
function credentialKind(credential: string | undefined): string {
  if (credential === undefined) return 'malformed Authorization header';
  if (!looksLikeStaffToken(credential)) return 'bearer JWT';
  return `staff token sha256:${createHash('sha256').update(credential).digest('hex').slice(0, 12)}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null on public routes. */
    principal: Principal | null;
    /** The refusal of this request is already in the access log (the error handler does not log it again). */
    accessLogged: boolean;
  }
  interface FastifyContextConfig {
    /** The route needs no credentials (health, docs, the published policy text). */
    public?: boolean;
    /** Only roles the policy in force gives this duty (or one of these duties) may call the route (403
     *  ROLE_NOT_ALLOWED otherwise). */
    duty?: Duty | readonly Duty[];
    /** What the route does with personal data, in the policy's words (see route-access.ts). */
    access?: readonly CategoryAccess[];
  }
}

/** Adds the `onRequest` authentication hook to `app` (and the plugins registered inside it). */
export function installAuthentication(app: FastifyInstance, deps: AuthDeps): void {
  const limiter = app.createRateLimit({ max: deps.failuresPerMinute, timeWindow: 60_000 });

  const verify = async (credential: string): Promise<Principal> => {
    if (looksLikeStaffToken(credential)) {
      const t = await deps.tokens.authenticate(credential);
      return { actor: t.actor, role: t.role, via: 'token', expiresAt: t.expiresAt };
    }
    if (deps.oidc) return deps.oidc(credential);
    throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
  };

  const refused = async (
    request: FastifyRequest,
    code: string,
    detail: string,
    kind: string,
  ): Promise<void> => {
    request.accessLogged = true;
    const route = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
    await deps.security?.refused(
      {
        operation: 'auth.refused',
        outcome: 'denied',
        actor: 'anonymous',
        role: 'none',
        reason: `${code}: ${detail} on ${route}`,
        requestId: request.id,
      },
      `auth|${code}|${kind}|${route}`,
    );
  };

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const config = request.routeOptions.config;
    if (config.public) return;
    const header = request.headers.authorization;
    if (!header) {
      deps.metrics.authFailures.inc({ reason: 'missing' });
      await refused(request, 'UNAUTHENTICATED', 'no credentials', 'missing');
      throw new SigiloError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer ...)');
    }
    const status = await limiter(request, { increment: false });
    // `remaining` reaches 0 once the allowed number of failures is used up: the next attempt is refused.
    if (!status.isAllowed && (status.isExceeded || status.remaining <= 0)) {
      deps.metrics.authFailures.inc({ reason: 'rate_limited' });
      await refused(request, 'RATE_LIMITED', 'too many failed authentications from one address', 'limit');
      throw new SigiloError(
        'RATE_LIMITED',
        'too many failed authentications from this address; retry later',
        {
          retryAfterSeconds: status.ttlInSeconds,
        },
      );
    }
    const match = BEARER.exec(header);
    try {
      if (!match?.[1])
        throw new SigiloError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
      const principal = await verify(match[1]);
      if (deps.isSubjectBound(principal.role)) {
        principal.actingForSubject = await subjectOf(request, deps.subjectAssertions);
      }
      request.principal = principal;
    } catch (err) {
      if (isSigiloError(err)) {
        await limiter(request);
        deps.metrics.authFailures.inc({ reason: err.code });
        const kind = credentialKind(match?.[1]);
        // Summarised per code and kind of credential, not per credential: a flood of garbage is one kind.
        await refused(request, err.code, kind, `${err.code}|${kind.split(' sha256:')[0]}`);
      }
      throw err;
    }
    const duties: readonly Duty[] = config.duty === undefined ? [] : [config.duty].flat();
    const role = request.principal.role;
    if (duties.length && !duties.some((duty) => evaluate(deps.policy(), { role, duty }).allowed)) {
      request.accessLogged = true;
      const route = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
      await deps.security?.refused(
        {
          operation: 'role.refused',
          outcome: 'denied',
          actor: request.principal.actor,
          role: request.principal.role,
          reason: `ROLE_NOT_ALLOWED on ${route}`,
          requestId: request.id,
        },
        `role|${request.principal.actor}|${route}`,
      );
      throw new SigiloError('ROLE_NOT_ALLOWED', 'this role may not use this route', {
        role: request.principal.role,
      });
    }
  });
}

/** The data subject a subject-bound request acts for, from its signed assertion (never from the URL or body). */
async function subjectOf(request: FastifyRequest, verify: SubjectAssertionVerifier | null): Promise<string> {
  const header = request.headers[SUBJECT_ASSERTION_HEADER];
  const assertion = Array.isArray(header) ? undefined : header;
  if (!verify) {
    throw new SigiloError(
      'UNAUTHENTICATED',
      'this role acts for a data subject, and no subject assertions are configured',
      {
        header: SUBJECT_ASSERTION_HEADER,
      },
    );
  }
  if (!assertion) {
    throw new SigiloError(
      'UNAUTHENTICATED',
      'this role must name the data subject it acts for (Sigilo-Subject)',
      {
        header: SUBJECT_ASSERTION_HEADER,
      },
    );
  }
  return verify(assertion);
}
