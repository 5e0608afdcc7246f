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
import { openField, sealField, sealedKeyVersion } from '../../gate/sealed-field.cipher.ts';
import { boundFieldAddress } from '../../gate/staff-text.cipher.ts';

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

/** Appends one step to request `requestId`'s history (subject `subjectId`), its details sealed. */
export async function writeEvent(
  session: GateSession,
  subjectId: string,
  e: { requestId: string; kind: string; at: string; actor: string },
  details: object,
): Promise<void> {
  const k = kernelOf(session);
  const row = { id: uuidv7(), request_id: e.requestId, kind: e.kind, at: e.at, actor: e.actor };
  const dek = await k.currentDataKey(subjectId);
  const address = boundFieldAddress('authority_request_events', row, 'details_ct', subjectId);
  await k.tx
    .insertInto('authority_request_events')
    .values({
      ...row,
      details_ct: sealField(dek.key, dek.version, address, Buffer.from(JSON.stringify(details), 'utf8')),
    })
    .execute();
}

/**
 * Request `requestId`'s history, oldest first (the caller has read the request through the gate, which logged
 * it). An event edited, moved to another request or time, or not a ciphertext is an INTEGRITY_ERROR naming its row,
 * logged.
 */
export async function readEvents(
  session: GateSession,
  subjectId: string,
  requestId: string,
): Promise<RequestEvent[]> {
  const k = kernelOf(session);
  const rows = await k.tx
    .selectFrom('authority_request_events')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const out: RequestEvent[] = [];
  for (const { details_ct, ...row } of rows) {
    let details: unknown;
    try {
      const dek = await k.dataKey(subjectId, sealedKeyVersion(details_ct));
      const address = boundFieldAddress('authority_request_events', row, 'details_ct', subjectId);
      details = JSON.parse(openField(dek, address, details_ct).toString('utf8'));
    } catch (err) {
      if (!isSigiloError(err, 'INTEGRITY_ERROR') && !(err instanceof SyntaxError)) throw err;
      const unit = { table: 'authority_request_events', rowId: row.id };
      k.fail(
        'history',
        subjectId,
        [AUTHORITY_REQUEST_CATEGORY],
        'error',
        'INTEGRITY_ERROR',
        `history event ${row.id} does not verify`,
        unit,
      );
    }
    out.push({ kind: row.kind, at: row.at, actor: row.actor, details });
  }
  return out;
}
