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
import { OPEN_REQUESTS_HEAD, RecordMacs, recordIdOf } from '../../gate/record-macs.ts';
import { OPEN_STATES } from '../subject-request.model.ts';
import {
  appendHistoryEvent,
  readHistory,
  staffTextHistory,
  type HistoryStore,
} from '../../gate/sealed-history.ts';
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

/** The history of subject requests as sealed-history.ts handles it (details under the staff-text key). */
function historyOf(session: GateSession): HistoryStore {
  const k = kernelOf(session);
  return {
    db: k.tx,
    dialect: k.dialect,
    macs: new RecordMacs(k.keyring),
    cipher: staffTextHistory(k.keyring),
  };
}

/** Appends one step to request `requestId`'s history, its details sealed (request, kind, time, actor bound). */
export async function writeRequestEvent(
  session: GateSession,
  e: { requestId: string; kind: string; at: string; actor: string; role: string },
  details: unknown,
): Promise<void> {
  const row = { id: uuidv7(), request_id: e.requestId, kind: e.kind, at: e.at, actor: e.actor, role: e.role };
  await appendHistoryEvent(historyOf(session), 'subject_request_events', row, details);
}

/**
 * Request `requestId`'s history, oldest first; the read is logged about the subject. An event edited, moved to
 * another request or time, deleted, duplicated, reordered, inserted or not a ciphertext is an INTEGRITY_ERROR
 * naming its row (or the history's head), logged.
 */
export async function readRequestEvents(
  session: GateSession,
  subjectId: string,
  requestId: string,
): Promise<RequestEventRecord[]> {
  const k = kernelOf(session);
  let events;
  try {
    events = await readHistory(historyOf(session), 'subject_request_events', requestId);
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    return k.fail(
      'subject_request.history',
      subjectId,
      [],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
  k.allowed('subject_request.history', subjectId, new Map(), `request ${requestId}`);
  return events.map((e) => ({
    id: e.id,
    kind: e.kind,
    at: e.at,
    actor: e.actor,
    role: String(e.role),
    details: (e.details ?? {}) as Record<string, unknown>,
  }));
}

/** The access-log operation of a refusal because a request or an account link does not verify. */
export const REQUEST_CHECK_OPERATION = 'subject_request.check';

/** The record MAC of subject request `row` as it is or will be stored (record-macs.ts). */
export async function requestMac(
  session: GateSession,
  row: Readonly<Record<string, unknown>>,
): Promise<Buffer> {
  return new RecordMacs(kernelOf(session).keyring).seal('subject_requests', row);
}

/**
 * Checks the record MACs of `rows` (subject requests or account links, as stored): one edited with SQL — moved to
 * another subject, its state, deadline or what it asks changed, its MAC cleared — is an INTEGRITY_ERROR naming
 * it, logged about its subject.
 */
export async function checkRecords(
  session: GateSession,
  table: 'subject_requests' | 'account_people',
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  if (rows.length === 0) return;
  const k = kernelOf(session);
  try {
    await new RecordMacs(k.keyring).check(table, rows);
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    const bad = rows.find((r) => recordIdOf(table, r) === err.details.rowId);
    const subject = table === 'subject_requests' ? bad?.subject_id : bad?.person_id;
    k.fail(
      REQUEST_CHECK_OPERATION,
      typeof subject === 'string' ? subject : null,
      [],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
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

/**
 * The head over the open requests (`record_heads` `subject_requests:open`: the MACs of every request in an open
 * state, by id). A request deleted outright, or moved out of the open states with SQL, would vanish from the DPO's
 * deadline list with its legal deadline; the head makes that an INTEGRITY_ERROR at the next listing, logged.
 */
export async function checkOpenRequests(session: GateSession): Promise<void> {
  const k = kernelOf(session);
  const rows = await k.tx
    .selectFrom('subject_requests')
    .select(['id', 'row_mac'])
    .where('state', 'in', [...OPEN_STATES])
    .orderBy('id')
    .execute();
  try {
    await new RecordMacs(k.keyring).checkHead(
      k.tx,
      OPEN_REQUESTS_HEAD,
      rows.map((r) => r.row_mac),
    );
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    k.fail(REQUEST_CHECK_OPERATION, null, [], 'error', 'INTEGRITY_ERROR', err.message, err.details);
  }
}

/**
 * Runs `change` (an insert or a step of a request) with the open-requests head locked and checked first, then
 * rewrites the head over the open requests as they are after it: a change never blesses a request deleted with SQL.
 */
export async function changingOpenRequests<T>(session: GateSession, change: () => Promise<T>): Promise<T> {
  const k = kernelOf(session);
  const macs = new RecordMacs(k.keyring);
  await macs.lockHead(k.tx, k.dialect, OPEN_REQUESTS_HEAD);
  await checkOpenRequests(session);
  const out = await change();
  const rows = await k.tx
    .selectFrom('subject_requests')
    .select(['id', 'row_mac'])
    .where('state', 'in', [...OPEN_STATES])
    .orderBy('id')
    .execute();
  await macs.writeHead(
    k.tx,
    OPEN_REQUESTS_HEAD,
    rows.map((r) => r.row_mac ?? Buffer.alloc(0)),
    k.now().toISOString(),
  );
  return out;
}
