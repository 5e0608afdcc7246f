import os from 'node:os';
import type { Db } from '../store/store.ts';
import type { AccessLogHeadFile } from './access-log.head-file.ts';
import type { AccessLogRepository, Checkpoint } from './access-log.repository.ts';
import type { StoreSource } from '../store/store.ts';
import { checkpointMessage, checkpointMessageV2, GENESIS_HASH } from './access-log.entry.ts';
import { LinkHasher } from './access-log.link-hasher.ts';
import { linkV2Hashers } from './access-log.link-v2.ts';
import { joinRanges, RangeChecker, type RangeContext, type RangeOutcome } from './access-log.range-check.ts';
import { checkRangesInWorkers, cutRanges } from './access-log.verify.pool.ts';

const GENESIS_HEX = GENESIS_HASH.toString('hex');

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
  /** Every log-key version `logKey` knows (verification workers are started with these keys); absent: no workers. */
  logKeyVersions?: () => readonly number[];
}

/** How the entries are read and hashed; the verdict is the same either way. */
export interface VerifyOptions {
  /** Where worker threads open their own connection (absent, e.g. an in-memory database: this thread only). */
  source?: StoreSource | undefined;
  /** Worker threads (0: this thread reads and hashes every entry). Default: the cores available, at most 4. */
  workers?: number;
  /** Below this many entries the log is checked in this thread (starting workers costs more). Default 50,000. */
  minParallel?: number;
  /** Ranges per worker (more: better balance on a loaded machine, and an earlier stop). Default 4. */
  rangesPerWorker?: number;
  /** Entries per page read in this thread. */
  pageSize?: number;
  /** Told how the entries are checked: on how many workers (0: this thread) in how many ranges. */
  onPlan?: (plan: { workers: number; ranges: number }) => void;
}

/** The cores verification uses by default (each worker reads and hashes its own ranges). */
export function defaultVerifyWorkers(): number {
  return Math.min(4, os.availableParallelism());
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
  options: VerifyOptions = {},
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

  const ctx: RangeContext = {
    epoch,
    every,
    head: head.kind === 'valid' ? { seq: head.head.seq, hashHex: head.head.hash.toString('hex') } : null,
    checkpoints: new Map(
      checkpoints.map((c) => [
        c.seq,
        { hashHex: c.hash.toString('hex'), valid: signatureValid(c), keyed: c.every !== null },
      ]),
    ),
  };
  const joined = joinRanges(await checkEntries(db, repo, trust, ctx, options), GENESIS_HEX);
  count = joined.count;
  if (joined.broken) return broken(joined.broken.seq, joined.broken.problem);
  const prev = joined.lastHex;

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
  if (dbHead.seq !== count || dbHead.hash.toString('hex') !== prev) {
    return broken(
      count + 1,
      `entries after seq ${count} are missing (log truncated; head records seq ${dbHead.seq})`,
    );
  }
  return { ok: true, entries: count, checkpoints: checkpoints.length, firstBroken: null };
}

/**
 * The per-entry checks of the whole chain as range outcomes in chain order: on worker threads, each range read
 * over its own connection, when the log is large enough and the database can be opened again; else in this thread
 * as one range, read a page at a time with the next page requested while this one is checked.
 */
async function checkEntries(
  db: Db,
  repo: AccessLogRepository,
  trust: VerifyTrust,
  ctx: RangeContext,
  options: VerifyOptions,
): Promise<RangeOutcome[]> {
  const workers = options.workers ?? defaultVerifyWorkers();
  if (options.source && trust.logKeyVersions && workers > 0) {
    const maxSeq = await repo.maxSeq(db);
    if (maxSeq >= (options.minParallel ?? 50_000)) {
      const logKeys = trust.logKeyVersions().flatMap((v): [number, Uint8Array][] => {
        const key = trust.logKey(v);
        return key ? [[v, new Uint8Array(key)]] : [];
      });
      const ranges = cutRanges(maxSeq, workers * (options.rangesPerWorker ?? 4));
      const threads = Math.min(workers, ranges.length);
      options.onPlan?.({ workers: threads, ranges: ranges.length });
      return checkRangesInWorkers(
        {
          source: options.source,
          logKeys,
          epoch: ctx.epoch,
          every: ctx.every,
          head: ctx.head,
          checkpoints: [...ctx.checkpoints].map(([seq, c]) => [seq, c.hashHex, c.valid, c.keyed]),
        },
        ranges,
        threads,
      );
    }
  }
  options.onPlan?.({ workers: 0, ranges: 1 });
  const versions = trust.logKeyVersions?.() ?? (await repo.linkV2KeyVersions(db));
  const checker = new RangeChecker(
    ctx,
    new LinkHasher(trust.logKey, await linkV2Hashers(trust.logKey, versions)),
  );
  const pageSize = options.pageSize ?? 10_000;
  let next = repo.rawPage(db, 0, pageSize);
  for (;;) {
    const page = await next;
    if (page.length === 0) break;
    next = repo.rawPage(db, Number(page.at(-1)![0]), pageSize);
    if (!checker.feed(page)) {
      next.catch(() => undefined);
      break;
    }
  }
  return [checker.result()];
}
