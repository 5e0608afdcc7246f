/**
 * The authentication hook of every /v1 route: bearer staff token (`sgl_...`) or, when configured, an OIDC JWT.
 * It runs on request, before the body is even parsed, so an unauthenticated client costs little. Failed
 * attempts count against the client address and too many within a minute answer 429 before any check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SigiloError, isSigiloError } from '../../errors.ts';
import { looksLikeStaffToken, type StaffTokenService } from '../../tokens/staff-token.service.ts';
import type { HttpMetrics } from '../metrics.ts';
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
  metrics: HttpMetrics;
  failuresPerMinute: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null on public routes. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The route needs no credentials (health, docs, the published policy text). */
    public?: boolean;
    /** Only these roles may call the route (403 ROLE_NOT_ALLOWED otherwise). */
    roles?: readonly string[];
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

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const config = request.routeOptions.config;
    if (config.public) return;
    const header = request.headers.authorization;
    if (!header) {
      deps.metrics.authFailures.inc({ reason: 'missing' });
      throw new SigiloError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer ...)');
    }
    const status = await limiter(request, { increment: false });
    // `remaining` reaches 0 once the allowed number of failures is used up: the next attempt is refused.
    if (!status.isAllowed && (status.isExceeded || status.remaining <= 0)) {
      deps.metrics.authFailures.inc({ reason: 'rate_limited' });
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
      }
      throw err;
    }
    const roles = config.roles;
    if (roles && !roles.includes(request.principal.role)) {
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
