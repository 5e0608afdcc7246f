import { createHash } from 'node:crypto';

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

/** A stored entry: its position in the chain and the hashes that link it. */
export interface ChainedEntry extends AccessLogEntry {
  seq: number;
  prevHash: Buffer;
  hash: Buffer;
}

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

/** hash(n) = SHA-256(hash(n-1) || canonical(n)). */
export function chainHash(prevHash: Buffer, seq: number, e: AccessLogEntry): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalEntry(seq, e)).digest();
}

/** The message an Ed25519 checkpoint signs: the chain position and its hash. */
export function checkpointMessage(seq: number, hash: Buffer): Buffer {
  return Buffer.from(`sigilo/access-log-checkpoint/v1|${seq}|${hash.toString('hex')}`);
}
