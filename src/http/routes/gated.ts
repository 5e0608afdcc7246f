/**
 * The one way a route reaches personal data: build the access context from the authenticated principal and
 * the purpose headers, and run the service inside `gate.run`. The gate decides, masks and logs; a
 * missing purpose is passed on as null so the gate refuses it and writes the attempt to the access log.
 */
import type { FastifyRequest } from 'fastify';
import { SigiloError, isSigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import type { GateSession } from '../../gate/gate.ts';
import { classesOf, scanText } from '../../guard/guard.ts';
import type { StaffTokenService } from '../../tokens/staff-token.service.ts';
import type { HttpMetrics } from '../metrics.ts';
import type { RouteServices } from '../route-services.ts';

/** What every route plugin receives: the services it may call, never the store, key ring or keys. */
export interface RouteDeps {
  services: RouteServices;
  tokens: StaffTokenService;
  metrics: HttpMetrics;
}

const DENIALS = new Set(['PURPOSE_REQUIRED', 'PURPOSE_UNKNOWN', 'PURPOSE_NOT_ALLOWED', 'ROLE_NOT_ALLOWED']);

/** The access context of an authenticated request. */
export function accessContextOf(request: FastifyRequest): AccessContext {
  const principal = request.principal;
  if (!principal) throw new SigiloError('UNAUTHENTICATED', 'a bearer token is required');
  return {
    actor: principal.actor,
    role: principal.role,
    purpose: headerText(request.headers['sigilo-purpose']),
    justification: headerText(request.headers['sigilo-justification']),
    requestId: request.id,
    ...(principal.actingForSubject ? { actingForSubject: principal.actingForSubject } : {}),
  };
}

/**
 * Runs `work` through the gate for this request and counts the outcome; `ctx` replaces the request's context
 * when a service derived it (the legal secrecy of an authority request).
 */
export async function gated<T>(
  deps: Pick<RouteDeps, 'services' | 'metrics'>,
  request: FastifyRequest,
  work: (session: GateSession) => Promise<T>,
  ctx: AccessContext = accessContextOf(request),
): Promise<T> {
  // The justification is written to the access log, which is never edited: it can only be refused, not redacted.
  if (ctx.justification) guardJustification(ctx.justification);
  try {
    const result = await deps.services.gate.run(ctx, work);
    deps.metrics.gateDecisions.inc({ outcome: 'allowed' });
    return result;
  } catch (err) {
    deps.metrics.gateDecisions.inc({
      outcome: isSigiloError(err) && DENIALS.has(err.code) ? 'denied' : 'error',
    });
    // Acting for one subject, "not found" must read the same whether the record is missing or someone else's,
    // whichever layer noticed: no message or details that differ between the two.
    if (request.principal?.actingForSubject && isSigiloError(err, 'NOT_FOUND')) {
      throw new SigiloError('NOT_FOUND', 'not found');
    }
    throw err;
  }
}

function guardJustification(text: string): void {
  const classes = classesOf(scanText(text));
  if (classes.length > 0) {
    throw new SigiloError(
      'SENSITIVE_DATA_DETECTED',
      `the justification contains personal or sensitive data: ${classes.join(', ')}`,
      { path: 'headers.sigilo-justification', classes },
    );
  }
}

function headerText(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  const trimmed = v?.trim();
  return trimmed ? trimmed : null;
}
