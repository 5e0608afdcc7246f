/**
 * Gate extension for authority requests: the workflow steps that are not a plain read or write of a sealed field —
 * a decision with its reasons, a refusal of an intake by a legal rule, a search or a delivery — are written to the
 * access log here, through the kernel, in the session's transaction (refusals in their own, after rollback).
 * The sealed fields themselves (targets, contact, order document) go through `session.insert/find/update`.
 * The request's history is written and read here too: each step's details (decision reasons are staff free text)
 * are sealed under the request's own subject key, with the event's request, kind, time and actor bound.
 */
import { v7 as uuidv7 } from 'uuid';
import type { SigiloError } from '../../errors.ts';
import { isSigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import { RecordMacs } from '../../gate/record-macs.ts';
import {
  appendHistoryEvent,
  readHistory,
  subjectKeyHistory,
  type HistoryStore,
} from '../../gate/sealed-history.ts';

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

/** One step of a request's history, its details opened. */
export interface RequestEvent {
  kind: string;
  at: string;
  actor: string;
  details: unknown;
}

/** The history of authority requests as sealed-history.ts handles it (details under the request's own key). */
function historyOf(session: GateSession, subjectId: string): HistoryStore {
  const k = kernelOf(session);
  return {
    db: k.tx,
    dialect: k.dialect,
    macs: new RecordMacs(k.keyring),
    cipher: subjectKeyHistory(k, subjectId),
  };
}

/** Appends one step to request `requestId`'s history (subject `subjectId`), its details sealed, its place MACed. */
export async function writeEvent(
  session: GateSession,
  subjectId: string,
  e: { requestId: string; kind: string; at: string; actor: string },
  details: object,
): Promise<void> {
  const row = { id: uuidv7(), request_id: e.requestId, kind: e.kind, at: e.at, actor: e.actor };
  await appendHistoryEvent(historyOf(session, subjectId), 'authority_request_events', row, details);
}

/**
 * Request `requestId`'s history, oldest first (the caller has read the request through the gate, which logged
 * it). An event edited, moved to another request or time, deleted, duplicated, reordered, inserted or not a
 * ciphertext is an INTEGRITY_ERROR naming its row (or the history's head), logged.
 */
export async function readEvents(
  session: GateSession,
  subjectId: string,
  requestId: string,
): Promise<RequestEvent[]> {
  const k = kernelOf(session);
  try {
    const events = await readHistory(historyOf(session, subjectId), 'authority_request_events', requestId);
    return events.map((e) => ({ kind: e.kind, at: e.at, actor: e.actor, details: e.details }));
  } catch (err) {
    if (!isSigiloError(err, 'INTEGRITY_ERROR')) throw err;
    return k.fail(
      'history',
      subjectId,
      [AUTHORITY_REQUEST_CATEGORY],
      'error',
      'INTEGRITY_ERROR',
      err.message,
      err.details,
    );
  }
}
