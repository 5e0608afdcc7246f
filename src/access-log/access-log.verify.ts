import type { Db } from '../store/store.ts';
import type { AccessLogHeadFile } from './access-log.head-file.ts';
import type { AccessLogRepository, Checkpoint } from './access-log.repository.ts';
import {
  chainHash,
  checkpointMessage,
  checkpointMessageV2,
  GENESIS_HASH,
  keyedChainHash,
} from './access-log.entry.ts';

/** Outcome of a verification: the first broken entry is named by its sequence number. */
export interface VerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  firstBroken: { seq: number; problem: string } | null;
}

/** Checks an Ed25519 signature; injected so this module stays free of key handling. */
export type SignatureCheck = (publicKey: Buffer, message: Buffer, signature: Buffer) => boolean;

/** What verification trusts: none of it comes from the database. */
export interface VerifyTrust {
  checkSignature: SignatureCheck;
  /** The public half of the signing key, derived from the unwrapped seed. */
  trustedPublicKey: Buffer;
  /** The HMAC key of a log-key version, or null when there is none. */
  logKey: (version: number) => Buffer | null;
  /** The signed head kept outside the database (null: none configured). */
  headFile: AccessLogHeadFile | null;
}

function signatureValid(cp: Checkpoint, trust: VerifyTrust): boolean {
  const message =
    cp.every === null || cp.epoch === null
      ? checkpointMessage(cp.seq, cp.hash)
      : checkpointMessageV2(cp.seq, cp.hash, cp.every, cp.epoch);
  return (
    cp.publicKey.equals(trust.trustedPublicKey) &&
    trust.checkSignature(trust.trustedPublicKey, message, cp.signature)
  );
}

/**
 * Walks the whole chain in order and names the first entry that does not hold: every seq present; entries up to
 * the epoch (written before the keyed log) plain-linked, every later one keyed under a log key that exists; every
 * checkpoint validly signed and matching its entry; a checkpoint at every multiple of the signed cadence after the
 * epoch; the head row, the last checkpoint and the signed head outside the database all within the chain.
 */
export async function verifyAccessLog(
  db: Db,
  repo: AccessLogRepository,
  trust: VerifyTrust,
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

  // The cadence and epoch: signed with every v2 checkpoint and with the head outside the database; all must agree.
  const head = trust.headFile?.read() ?? { kind: 'missing' as const };
  const keyed = checkpoints.filter((c) => c.every !== null && signatureValid(c, trust));
  const anchor = keyed.at(-1);
  const signed = anchor
    ? { every: anchor.every!, epoch: anchor.epoch! }
    : head.kind === 'valid'
      ? { every: head.head.every, epoch: head.head.epoch }
      : null;
  if (!signed) {
    return broken(
      1,
      'no validly signed checkpoint of the keyed log exists (its epoch checkpoint was deleted)',
    );
  }
  const { every, epoch } = signed;
  const disagreeing = keyed.find((c) => c.every !== every || c.epoch !== epoch);
  if (disagreeing) return broken(disagreeing.seq, 'checkpoints sign different cadences or epochs');
  if (head.kind === 'valid' && (head.head.every !== every || head.head.epoch !== epoch)) {
    return broken(Math.max(epoch, 1), 'the signed head outside the database names another cadence or epoch');
  }
  const epochCp = cpBySeq.get(epoch);
  if (!epochCp || epochCp.every === null || !signatureValid(epochCp, trust)) {
    return broken(Math.max(epoch, 1), `the signed checkpoint of the log's epoch (seq ${epoch}) is missing`);
  }
  if (epoch === 0 && !epochCp.hash.equals(GENESIS_HASH)) {
    return broken(1, 'the epoch checkpoint does not sign the empty chain');
  }
  if (head.kind === 'valid' && head.head.seq === 0 && !head.head.hash.equals(GENESIS_HASH)) {
    return broken(1, 'the signed head outside the database does not match the empty chain');
  }

  for (;;) {
    const page = await repo.page(db, expected - 1, pageSize);
    if (page.length === 0) break;
    for (const e of page) {
      if (e.seq !== expected) return broken(expected, 'entry is missing (deleted)');
      if (!e.prevHash.equals(prev))
        return broken(e.seq, 'entry does not link to the previous entry (reordered, inserted or deleted)');
      let hash: Buffer;
      if (e.seq <= epoch) {
        if (e.keyVersion !== 0) return broken(e.seq, 'entry before the epoch claims a keyed link');
        hash = chainHash(prev, e.seq, e);
        if (!hash.equals(e.hash)) return broken(e.seq, 'entry content does not match its hash (edited)');
      } else {
        if (e.keyVersion === 0)
          return broken(e.seq, 'entry after the epoch has no keyed link (re-chained without the log key)');
        const key = trust.logKey(e.keyVersion);
        if (!key) return broken(e.seq, `entry names log key version ${e.keyVersion}, which does not exist`);
        hash = keyedChainHash(key, e.keyVersion, prev, e.seq, e);
        if (!hash.equals(e.hash))
          return broken(
            e.seq,
            'entry does not match its keyed hash (edited, or re-chained without the log key)',
          );
      }
      const cp = cpBySeq.get(e.seq);
      if (cp) {
        if (!signatureValid(cp, trust))
          return broken(e.seq, 'checkpoint signature is not valid under the trusted access-log key');
        if (!cp.hash.equals(hash))
          return broken(e.seq, 'entry differs from its signed checkpoint (chain rewritten)');
      }
      if (e.seq > epoch && e.seq % every === 0 && (!cp || cp.every === null))
        return broken(e.seq, `the signed checkpoint due at seq ${e.seq} is missing (deleted)`);
      if (head.kind === 'valid' && head.head.seq === e.seq && !head.head.hash.equals(hash))
        return broken(e.seq, 'entry differs from the signed head kept outside the database');
      prev = e.hash;
      expected += 1;
      count += 1;
    }
  }

  const lastCp = checkpoints.at(-1);
  if (lastCp && lastCp.seq > count)
    return broken(count + 1, 'a signed checkpoint covers entries that no longer exist (log truncated)');
  if (head.kind === 'valid' && head.head.seq > count) {
    return broken(
      count + 1,
      `entries after seq ${count} are missing: the signed head outside the database records seq ` +
        `${head.head.seq} (log truncated)`,
    );
  }
  if (head.kind === 'invalid') {
    return broken(count + 1, `the signed head file outside the database ${head.problem}`);
  }
  const dbHead = await repo.head(db);
  if (dbHead.seq !== count || !dbHead.hash.equals(prev)) {
    return broken(
      count + 1,
      `entries after seq ${count} are missing (log truncated; head records seq ${dbHead.seq})`,
    );
  }
  return { ok: true, entries: count, checkpoints: checkpoints.length, firstBroken: null };
}
