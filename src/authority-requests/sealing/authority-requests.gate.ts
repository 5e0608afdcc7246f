/**
 * Gate extension for authority requests: the workflow steps that are not a plain read or write of a sealed field —
 * a decision with its reasons, a refusal of an intake by a legal rule, a search or a delivery — are written to the
 * access log here, through the kernel, in the session's transaction (refusals in their own, after rollback).
 * The sealed fields themselves (targets, contact, order document) go through `session.insert/find/update`.
 */
import type { SigiloError } from '../../errors.ts';
import { isSigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';

/** The policy category of the request record itself. */
export const AUTHORITY_REQUEST_CATEGORY = 'authority_request';
const REASON_MAX = 1000;

/**
 * Records one workflow step of request subject `subjectId` (operation `approve`, `reject`, `search`, `deliver`…)
 * with its reason. Needs `write` on the request's category, like any change of the request.
 */
export function logStep(session: GateSession, subjectId: string, operation: string, reason: string): void {
  const k = kernelOf(session);
  const decisions = k.authorize([AUTHORITY_REQUEST_CATEGORY], 'write', subjectId, operation);
  k.allowed(operation, subjectId, decisions, reason.slice(0, REASON_MAX));
}

/**
 * Refuses a step by a legal or workflow rule: the refusal is logged (denied, with the rule's code) even though the
 * transaction is rolled back, and `err` is thrown with its code and details.
 */
export function refuseStep(
  session: GateSession,
  subjectId: string | null,
  operation: string,
  err: SigiloError,
): never {
  const k = kernelOf(session);
  try {
    k.fail(operation, subjectId, [AUTHORITY_REQUEST_CATEGORY], 'denied', err.code, err.message, err.details);
  } catch (logged) {
    // The kernel throws the code with its own message ("access denied: …"); the caller gets the rule's message.
    if (isSigiloError(logged, err.code)) throw err;
    throw logged;
  }
  throw err;
}
