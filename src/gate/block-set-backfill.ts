/**
 * The second half of the 2026-12-04T2200 migration, which adds MACs to processing blocks but holds no key: the
 * first start after it MACs every block row that has none, writes the set row (version and MAC over its blocks)
 * of every subject that has none, and writes the set row of the empty subject id, which marks the backfill done.
 * From then on a subject without a set row, or a block row without a MAC, is an INTEGRITY_ERROR.
 *
 * The backfill is logged (operation `block_set_backfill`, role `system`), so it runs once for good: a start that
 * finds no marker but that entry in the access log refuses to start (whoever deleted the marker wants the next
 * start to MAC the blocks they deleted or planted), and deleting the entry breaks the access log's keyed chain.
 */
import { SigiloError } from '../errors.ts';
import type { GateSession } from './gate.ts';
import { kernelOf } from './gate-kernel.ts';
import { blockSetMac, type ProcessingBlock } from './processing-blocks.ts';
import { rowMacMatches, sealRowMac } from './row-mac.ts';

export const BLOCK_SET_BACKFILL = 'block_set_backfill';

/** The set row of no subject: present (with a valid MAC) once every subject has its set row. */
const MARKER = '';

/** Runs the backfill when the marker is missing (see the file comment); returns the set rows written. */
export async function backfillBlockSets(session: GateSession): Promise<number> {
  const k = kernelOf(session);
  const h = await k.keyring.rowMacHasher();
  const marker = await k.tx
    .selectFrom('block_sets')
    .select(['version', 'set_mac'])
    .where('subject_id', '=', MARKER)
    .executeTakeFirst();
  if (marker) {
    const expected = blockSetMac(h, MARKER, 0, []);
    if (Number(marker.version) !== 0 || !expected.equals(marker.set_mac))
      throw new SigiloError('INTEGRITY_ERROR', 'the marker of the processing-block backfill does not match', {
        table: 'block_sets',
        rowId: MARKER,
      });
    return 0;
  }
  const logged = await k.tx
    .selectFrom('access_log')
    .select('seq')
    .where('operation', '=', BLOCK_SET_BACKFILL)
    .limit(1)
    .executeTakeFirst();
  if (logged) {
    throw new SigiloError(
      'INTEGRITY_ERROR',
      'the processing-block sets are unmarked although the access log records their backfill',
      { table: 'block_sets', accessLogSeq: Number(logged.seq) },
    );
  }
  // The marker first, insert-if-absent: a second instance doing its first start at the same moment waits here for
  // the first one's commit (PostgreSQL's unique check; SQLite's `begin immediate` serialises the starts anyway),
  // then finds the marker written and leaves the backfill to it.
  const claimed = await k.tx
    .insertInto('block_sets')
    .values({ subject_id: MARKER, version: 0, set_mac: blockSetMac(h, MARKER, 0, []) })
    .onConflict((oc) => oc.column('subject_id').doNothing())
    .executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) return 0;
  const rows = await k.tx
    .selectFrom('processing_blocks')
    .select(['id', 'subject_id', 'category', 'request_id', 'blocked_at', 'row_mac'])
    .execute();
  const bySubject = new Map<string, ProcessingBlock[]>();
  let macked = 0;
  for (const r of rows) {
    const id = `${r.subject_id}/${r.category}`;
    if (r.row_mac === null || r.id !== id) {
      await k.tx
        .updateTable('processing_blocks')
        .set({ id, row_mac: sealRowMac(h, 'processing_blocks', { ...r, id }) })
        .where('subject_id', '=', r.subject_id)
        .where('category', '=', r.category)
        .execute();
      macked++;
    } else if (!rowMacMatches(h, 'processing_blocks', r)) {
      throw new SigiloError('INTEGRITY_ERROR', 'a processing block does not match its MAC', {
        table: 'processing_blocks',
        rowId: id,
      });
    }
    const list = bySubject.get(r.subject_id) ?? [];
    list.push({ category: r.category, requestId: r.request_id, blockedAt: r.blocked_at });
    bySubject.set(r.subject_id, list);
  }
  const unset = await k.tx
    .selectFrom('subjects')
    .leftJoin('block_sets', 'block_sets.subject_id', 'subjects.id')
    .select('subjects.id')
    .where('block_sets.subject_id', 'is', null)
    .where('subjects.id', '!=', MARKER)
    .execute();
  const sets = unset.map((s) => ({
    subject_id: s.id,
    version: 0,
    set_mac: blockSetMac(h, s.id, 0, bySubject.get(s.id) ?? []),
  }));
  for (let i = 0; i < sets.length; i += 500) {
    await k.tx
      .insertInto('block_sets')
      .values(sets.slice(i, i + 500))
      .execute();
  }
  // The kernel's own upkeep, not an access a grant decides: nothing is opened or shown.
  k.allowed(BLOCK_SET_BACKFILL, null, new Map(), `block_sets: ${sets.length}, processing_blocks: ${macked}`);
  return sets.length;
}
