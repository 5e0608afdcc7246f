/**
 * Gate extension for data-subject requests: every step of a request (received, identity verified, extended,
 * refused, answered…) becomes an access-log entry about the subject, and staff who appear in the subject's access
 * history are named by a stable pseudonym (a keyed hash of the actor id), never by name or token id.
 * Each request's own history (its events' details) is sealed here under the staff-text key, not the subject's: it
 * is the controller's proof that a request was answered, and must outlive the keys a deletion request destroys.
 */
import { v7 as uuidv7 } from 'uuid';
import { isSigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import { bindingOf, openStaffText, sealStaffText } from '../../gate/staff-text.cipher.ts';
import { evaluate, hasPurposeGrant, isSubjectBound, type Duty } from '../../policy/policy.evaluate.ts';

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
  requireRequestPurpose(session, subjectId, step);
  const k = kernelOf(session);
  const op = `subject_request.${step}`;
  if (!hasPurposeGrant(k.policy, k.ctx.role, SUBJECT_REQUEST_PURPOSE)) {
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

/**
 * Refuses, and logs the refusal, when the context's purpose is not `subject_request`: asked first by every step
 * and read of a request, so that under another purpose a guessed id and a real one answer alike.
 */
export function requireRequestPurpose(session: GateSession, subjectId: string | null, step: string): void {
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
}

/** Whether the session's role holds `duty` in the policy version the session enforces (nothing is logged). */
export function holdsDuty(session: GateSession, duty: Duty): boolean {
  const k = kernelOf(session);
  return evaluate(k.policy, { role: k.ctx.role, duty }).allowed;
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

/** One step of a request's history as stored, its details opened. */
export interface RequestEventRecord {
  id: string;
  kind: string;
  at: string;
  actor: string;
  role: string;
  details: Record<string, unknown>;
}

/** Appends one step to request `requestId`'s history, its details sealed (request, kind, time, actor bound). */
export async function writeRequestEvent(
  session: GateSession,
  e: { requestId: string; kind: string; at: string; actor: string; role: string },
  details: unknown,
): Promise<void> {
  const k = kernelOf(session);
  const row = { id: uuidv7(), request_id: e.requestId, kind: e.kind, at: e.at, actor: e.actor, role: e.role };
  const text = JSON.stringify(details ?? {});
  await k.tx
    .insertInto('subject_request_events')
    .values({
      ...row,
      details_ct: sealStaffText(
        k.keyring,
        'subject_request_events',
        row.id,
        'details_ct',
        text,
        bindingOf('subject_request_events', row),
      ),
    })
    .execute();
}

/**
 * Request `requestId`'s history, oldest first; the read is logged about the subject. An event edited, moved to
 * another request or time, or not a ciphertext is an INTEGRITY_ERROR naming its row, logged.
 */
export async function readRequestEvents(
  session: GateSession,
  subjectId: string,
  requestId: string,
): Promise<RequestEventRecord[]> {
  const k = kernelOf(session);
  const rows = await k.tx
    .selectFrom('subject_request_events')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const out: RequestEventRecord[] = [];
  for (const { details_ct, ...row } of rows) {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(
        openStaffText(
          k.keyring,
          'subject_request_events',
          row.id,
          'details_ct',
          details_ct,
          bindingOf('subject_request_events', row),
        ),
      ) as Record<string, unknown>;
    } catch (err) {
      if (!isSigiloError(err, 'INTEGRITY_ERROR') && !(err instanceof SyntaxError)) throw err;
      k.fail(
        'subject_request.history',
        subjectId,
        [],
        'error',
        'INTEGRITY_ERROR',
        `history event ${row.id} does not verify`,
        { table: 'subject_request_events', rowId: row.id },
      );
    }
    out.push({ id: row.id, kind: row.kind, at: row.at, actor: row.actor, role: row.role, details });
  }
  k.allowed('subject_request.history', subjectId, new Map(), `request ${requestId}`);
  return out;
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
