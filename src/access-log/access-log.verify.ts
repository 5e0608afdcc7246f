import type { Db } from '../store/store.ts';
import type { AccessLogHeadFile } from './access-log.head-file.ts';
import type { AccessLogRepository, Checkpoint } from './access-log.repository.ts';
import type { ChainedEntry } from './access-log.entry.ts';
import { checkpointMessage, checkpointMessageV2, GENESIS_HASH } from './access-log.entry.ts';
import { LinkHasher } from './access-log.link-hasher.ts';

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

function signatureHolds(cp: Checkpoint, trust: VerifyTrust): boolean {
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
  pageSize = 10_000,
): Promise<VerifyReport> {
  const checkpoints = await repo.checkpoints(db);
  // Each signature is checked once (Ed25519 verification costs more than hashing a thousand entries).
  const validity = new Map<Checkpoint, boolean>();
  const signatureValid = (cp: Checkpoint): boolean => {
    let v = validity.get(cp);
    if (v === undefined) validity.set(cp, (v = signatureHolds(cp, trust)));
    return v;
  };
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
  const keyed = checkpoints.filter((c) => c.every !== null && signatureValid(c));
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
  if (!epochCp || epochCp.every === null || !signatureValid(epochCp)) {
    return broken(Math.max(epoch, 1), `the signed checkpoint of the log's epoch (seq ${epoch}) is missing`);
  }
  if (epoch === 0 && !epochCp.hash.equals(GENESIS_HASH)) {
    return broken(1, 'the epoch checkpoint does not sign the empty chain');
  }
  if (head.kind === 'valid' && head.head.seq === 0 && !head.head.hash.equals(GENESIS_HASH)) {
    return broken(1, 'the signed head outside the database does not match the empty chain');
  }

  const hasher = new LinkHasher(trust.logKey);
  // The next page is read while this one is hashed and checked (PostgreSQL answers meanwhile).
  let next = repo.page(db, 0, pageSize);
  for (;;) {
    const page = await next;
    if (page.length === 0) break;
    next = repo.page(db, page.at(-1)!.seq, pageSize);
    // Every link recomputed from its own stored prev_hash; the sequential walk below only compares.
    const links = hasher.links(page, epoch);
    for (let i = 0; i < page.length; i++) {
      const e = page[i]!;
      if (e.seq !== expected) {
        next.catch(() => undefined);
        return broken(expected, 'entry is missing (deleted)');
      }
      const problem = entryProblem(e, prev, epoch, links[i] ?? null);
      if (problem) {
        next.catch(() => undefined);
        return broken(e.seq, problem);
      }
      const hash = links[i]!;
      const cp = cpBySeq.get(e.seq);
      if (cp) {
        const bad = !signatureValid(cp)
          ? 'checkpoint signature is not valid under the trusted access-log key'
          : !cp.hash.equals(hash)
            ? 'entry differs from its signed checkpoint (chain rewritten)'
            : null;
        if (bad) {
          next.catch(() => undefined);
          return broken(e.seq, bad);
        }
      }
      const late =
        e.seq > epoch && e.seq % every === 0 && (!cp || cp.every === null)
          ? `the signed checkpoint due at seq ${e.seq} is missing (deleted)`
          : head.kind === 'valid' && head.head.seq === e.seq && !head.head.hash.equals(hash)
            ? 'entry differs from the signed head kept outside the database'
            : null;
      if (late) {
        next.catch(() => undefined);
        return broken(e.seq, late);
      }
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

/** What is wrong with one entry's link (null: it holds), given the previous entry's hash and its recomputed link. */
function entryProblem(e: ChainedEntry, prev: Buffer, epoch: number, link: Buffer | null): string | null {
  if (!e.prevHash.equals(prev))
    return 'entry does not link to the previous entry (reordered, inserted or deleted)';
  if (e.seq <= epoch) {
    if (e.keyVersion !== 0) return 'entry before the epoch claims a keyed link';
    return link?.equals(e.hash) ? null : 'entry content does not match its hash (edited)';
  }
  if (e.keyVersion === 0) return 'entry after the epoch has no keyed link (re-chained without the log key)';
  if (!link) return `entry names log key version ${e.keyVersion}, which does not exist`;
  return link.equals(e.hash)
    ? null
    : 'entry does not match its keyed hash (edited, or re-chained without the log key)';
}
