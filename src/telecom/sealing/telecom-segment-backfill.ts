/**
 * Segments stored before segment MACs existed (NULL `header_mac`) get their MAC once, in the start that creates the
 * row-MAC key (src/gate/row-mac-backfill.ts): each is checked against its opened payload first (the pre-MAC rule of
 * `checkLegacy`) and MACed only when it agrees. From then on a NULL `header_mac` is an INTEGRITY_ERROR
 * (`checkHeader`): setting it to NULL no longer leaves `seq` and provenance unauthenticated. A segment that fails
 * the check, or whose subject was shredded, keeps its NULL and is refused wherever it is read.
 */
import { isSigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import { checkLegacy, openForCheck } from './telecom-segment-check.ts';
import { SEGMENT_HEADER_COLUMNS, SegmentMac } from './telecom-segment-mac.ts';

const PAGE = 500;

/** MACs every segment without one that agrees with its payload; returns { macked, refused }. */
export async function backfillSegmentMacs(
  session: GateSession,
): Promise<{ macked: number; refused: number }> {
  const k = kernelOf(session);
  const mac = await SegmentMac.of(k.keyring);
  let macked = 0;
  let refused = 0;
  let after = '';
  for (;;) {
    const rows = await k.tx
      .selectFrom('telecom_segments')
      .select([...SEGMENT_HEADER_COLUMNS, 'payload_ct', 'record_keys'])
      .where('header_mac', 'is', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const r of rows) {
      try {
        const records = await openForCheck(k, 'row_mac_backfill', r, r.payload_ct);
        await checkLegacy(k, 'row_mac_backfill', r, records, r.record_keys);
      } catch (err) {
        if (!isSigiloError(err, 'INTEGRITY_ERROR') && !isSigiloError(err, 'SUBJECT_SHREDDED')) throw err;
        refused++;
        continue;
      }
      await k.tx
        .updateTable('telecom_segments')
        .set({ header_mac: mac.seal(r, r.record_keys!) })
        .where('id', '=', r.id)
        .execute();
      macked++;
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  return { macked, refused };
}
