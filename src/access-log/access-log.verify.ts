import type { Db } from '../store/store.ts';
import type { AccessLogRepository } from './access-log.repository.ts';
import { chainHash, checkpointMessage, GENESIS_HASH } from './access-log.entry.ts';

/** Outcome of a verification: the first broken entry is named by its sequence number. */
export interface VerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  firstBroken: { seq: number; problem: string } | null;
}

/** Checks an Ed25519 signature; injected so this module stays free of key handling. */
export type SignatureCheck = (publicKey: Buffer, message: Buffer, signature: Buffer) => boolean;

/**
 * Walks the whole chain in order: every seq present, every link and hash recomputed, every checkpoint's signature
 * valid under the trusted key and matching the entry it covers, and the head matching the last entry (truncation).
 */
export async function verifyAccessLog(
  db: Db,
  repo: AccessLogRepository,
  checkSignature: SignatureCheck,
  trustedPublicKey: Buffer,
  pageSize = 5000,
): Promise<VerifyReport> {
  const checkpoints = await repo.checkpoints(db);
  const cpBySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  let expected = 1;
  let prev: Buffer = GENESIS_HASH;
  let count = 0;
  const broken = (seq: number, problem: string): VerifyReport => ({
    ok: false,
    entries: count,
    checkpoints: checkpoints.length,
    firstBroken: { seq, problem },
  });

  for (const cp of checkpoints) {
    if (
      !cp.publicKey.equals(trustedPublicKey) ||
      !checkSignature(trustedPublicKey, checkpointMessage(cp.seq, cp.hash), cp.signature)
    ) {
      return broken(cp.seq, 'checkpoint signature is not valid under the trusted access-log key');
    }
  }

  for (;;) {
    const page = await repo.page(db, expected - 1, pageSize);
    if (page.length === 0) break;
    for (const e of page) {
      if (e.seq !== expected) return broken(expected, 'entry is missing (deleted)');
      if (!e.prevHash.equals(prev))
        return broken(e.seq, 'entry does not link to the previous entry (reordered or inserted)');
      const hash = chainHash(prev, e.seq, e);
      if (!hash.equals(e.hash)) return broken(e.seq, 'entry content does not match its hash (edited)');
      const cp = cpBySeq.get(e.seq);
      if (cp && !cp.hash.equals(hash))
        return broken(e.seq, 'entry differs from its signed checkpoint (chain rewritten)');
      prev = e.hash;
      expected += 1;
      count += 1;
    }
  }

  const head = await repo.head(db);
  if (head.seq !== count || !head.hash.equals(prev)) {
    return broken(
      count + 1,
      `entries after seq ${count} are missing (log truncated; head records seq ${head.seq})`,
    );
  }
  const lastCp = checkpoints.at(-1);
  if (lastCp && lastCp.seq > count)
    return broken(count + 1, 'a signed checkpoint covers entries that no longer exist');
  return { ok: true, entries: count, checkpoints: checkpoints.length, firstBroken: null };
}
