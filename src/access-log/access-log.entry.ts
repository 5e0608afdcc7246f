import { createHash, createHmac } from 'node:crypto';

/** What one access-log entry records (SPEC §5): who, when, what, why, and the outcome. */
export interface AccessLogEntry {
  at: string;
  actor: string;
  role: string;
  purpose: string | null;
  legalBasis: string | null;
  subjectId: string | null;
  categories: string[];
  operation: string;
  outcome: 'allowed' | 'denied' | 'error';
  reason: string | null;
  requestId: string;
  policyVersion: number;
  justification: string | null;
  /**
   * Under legal secrecy (a secret authority request, SPEC §5): the subject's own views of the log leave the entry
   * out; the auditor still sees it. Absent means false, so entries written before the field hash as they did.
   */
  legalSecrecy?: boolean;
}

/** A stored entry: its position in the chain, the links and the log-key version its link is a MAC under. */
export interface ChainedEntry extends AccessLogEntry {
  seq: number;
  prevHash: Buffer;
  hash: Buffer;
  /** 0: a plain SHA-256 link (entries written before the keyed log, up to the epoch); else the log-key version. */
  keyVersion: number;
  /** How the link is computed: `LINK_V1` (HMAC-SHA-256, or plain up to the epoch) or `LINK_V2` (keyed BLAKE3). */
  linkFormat: number;
}

/** Link format of the plain and HMAC-SHA-256 links, every entry written before the keyed-BLAKE3 links. */
export const LINK_V1 = 1;
/** Link format of the keyed-BLAKE3 links (`access-log.link-v2.ts`); once one exists no later v1 entry holds. */
export const LINK_V2 = 2;

/** The hash of the empty chain: the `prev_hash` of entry 1. */
export const GENESIS_HASH = Buffer.alloc(32);

/** Canonical bytes of an entry: a JSON array in a fixed field order, so the hash never depends on key order. */
export function canonicalEntry(seq: number, e: AccessLogEntry): string {
  const fields: unknown[] = [
    seq,
    e.at,
    e.actor,
    e.role,
    e.purpose,
    e.legalBasis,
    e.subjectId,
    e.categories,
    e.operation,
    e.outcome,
    e.reason,
    e.requestId,
    e.policyVersion,
    e.justification,
  ];
  // Appended only when set: the flag is covered by the chain, and every earlier entry keeps its hash.
  if (e.legalSecrecy) fields.push({ legalSecrecy: true });
  return JSON.stringify(fields);
}

/** The plain link of entries written before the keyed log: hash(n) = SHA-256(hash(n-1) || canonical(n)). */
export function chainHash(prevHash: Buffer, seq: number, e: AccessLogEntry): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalEntry(seq, e)).digest();
}

/**
 * The keyed link: hash(n) = HMAC-SHA-256(log key v, hash(n-1) || v || canonical(n)). Without the log key nobody can
 * compute it, so an entry cannot be edited, inserted, moved or re-chained without the break showing at that entry.
 */
export function keyedChainHash(
  key: Buffer,
  keyVersion: number,
  prevHash: Buffer,
  seq: number,
  e: AccessLogEntry,
): Buffer {
  return createHmac('sha256', key)
    .update(prevHash)
    .update(`|${keyVersion}|`)
    .update(canonicalEntry(seq, e))
    .digest();
}

/** What a v1 checkpoint (signed before the keyed log) signs: the chain position and its hash. */
export function checkpointMessage(seq: number, hash: Buffer): Buffer {
  return Buffer.from(`sigilo/access-log-checkpoint/v1|${seq}|${hash.toString('hex')}`);
}

/**
 * What a v2 checkpoint signs: position and hash, the cadence (a checkpoint is due at every multiple of `every`
 * after the epoch) and the epoch (the last plain entry, 0 for a log keyed from its start). Signed with every
 * checkpoint so that deleting one, or the epoch's, cannot go unnoticed.
 */
export function checkpointMessageV2(seq: number, hash: Buffer, every: number, epoch: number): Buffer {
  return Buffer.from(`sigilo/access-log-checkpoint/v2|${seq}|${hash.toString('hex')}|${every}|${epoch}`);
}

/**
 * What the signed head kept outside the database signs (SIGILO_AUDIT_HEAD_FILE): the newest committed position
 * and hash, and the log's cadence and epoch, so deleting every checkpoint row cannot pass for an older log.
 */
export function headMessage(
  seq: number,
  hash: Buffer,
  signedAt: string,
  every: number,
  epoch: number,
): Buffer {
  return Buffer.from(
    `sigilo/access-log-head/v1|${seq}|${hash.toString('hex')}|${signedAt}|${every}|${epoch}`,
  );
}
