/**
 * Gate extension for data-subject requests: every step of a request (received, identity verified, extended,
 * refused, answered…) becomes an access-log entry about the subject, and staff who appear in the subject's access
 * history are named by a stable pseudonym (a keyed hash of the actor id), never by name or token id.
 */
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import { isSubjectBound } from '../../policy/policy.evaluate.ts';

/** The purpose every subject-request step runs under. */
export const SUBJECT_REQUEST_PURPOSE = 'subject_request';

/**
 * Records one step of a request in the access log (appended with the session's transaction). Refuses, and
 * logs the refusal, when the context's purpose is not `subject_request` or its role holds no grant for it.
 */
export function logRequestStep(
  session: GateSession,
  subjectId: string,
  step: string,
  requestId: string,
  detail?: string,
): void {
  const k = kernelOf(session);
  const op = `subject_request.${step}`;
  if (k.ctx.purpose !== SUBJECT_REQUEST_PURPOSE) {
    k.fail(
      op,
      subjectId,
      [],
      'denied',
      k.ctx.purpose ? 'PURPOSE_NOT_ALLOWED' : 'PURPOSE_REQUIRED',
      'data-subject requests need purpose subject_request',
    );
  }
  if (!k.policy.grants.some((g) => g.role === k.ctx.role && g.purpose === SUBJECT_REQUEST_PURPOSE)) {
    k.fail(
      op,
      subjectId,
      [],
      'denied',
      'ROLE_NOT_ALLOWED',
      `role ${k.ctx.role} has no subject_request grant`,
    );
  }
  k.allowed(op, subjectId, new Map(), `request ${requestId}${detail ? `; ${detail}` : ''}`);
}

/** The stable pseudonym of a staff actor as the subject sees it: 12 hex digits of a keyed hash. */
export function staffPseudonym(session: GateSession, actor: string): string {
  return `staff-${kernelOf(session).keyring.blindIndex('staff-pseudonym', actor).subarray(0, 6).toString('hex')}`;
}

/** Refuses a step and logs the refusal about the subject (kept even though the work is rolled back). */
export function refuseStep(
  session: GateSession,
  subjectId: string | null,
  step: string,
  code: 'ROLE_NOT_ALLOWED' | 'IDENTITY_NOT_VERIFIED' | 'NOT_FOUND',
  reason: string,
): never {
  return kernelOf(session).fail(`subject_request.${step}`, subjectId, [], 'denied', code, reason);
}

/**
 * The one subject a subject-bound context (the portal) acts for: its `actingForSubject`, or '' (no subject at
 * all) when the policy binds the role and the context names none; null when the role is not subject-bound.
 */
export function actingSubjectOf(session: GateSession): string | null {
  const k = kernelOf(session);
  if (k.ctx.actingForSubject) return k.ctx.actingForSubject;
  return isSubjectBound(k.policy, k.ctx.role) ? '' : null;
}
