/**
 * The per-entry part of access-log verification over one contiguous range of the chain, the same code in the
 * calling thread and in verification workers. A range does not know the entry before it: its first entry's seq
 * and `prev_hash` are handed back for `joinRanges`, which checks them against the range before, in chain order,
 * so the first problem named is the one a single walk from seq 1 would name.
 */
import { LINK_V1, LINK_V2 } from './access-log.entry.ts';
import type { LinkHasher } from './access-log.link-hasher.ts';
import type { RawEntryRow } from './access-log.row-reader.ts';

/** What a range is checked against: all of it established (signatures included) before any range is read. */
export interface RangeContext {
  epoch: number;
  every: number;
  /** Checkpoints by seq: the hash they sign, whether the signature holds, whether it is a v2 (keyed-log) one. */
  checkpoints: Map<number, { hashHex: string; valid: boolean; keyed: boolean }>;
  /** The signed head kept outside the database, when it is valid. */
  head: { seq: number; hashHex: string } | null;
}

/** A range's result: how many entries hold before its first problem, its ends, and that problem. */
export interface RangeOutcome {
  count: number;
  /** The first entry; its link format lets `joinRanges` refuse a v1 entry after a v2 one in an earlier range. */
  first: { seq: number; prevHex: string; linkFormat: number } | null;
  /** Whether an entry that held was of link format v2 (within a range, formats only go from v1 to v2). */
  v2: boolean;
  last: { seq: number; hashHex: string } | null;
  broken: { seq: number; problem: string } | null;
}

/** Checks the entries of one range, fed a page at a time in chain order; stops at the first problem. */
export class RangeChecker {
  private count = 0;
  private expected = 0;
  private prev = '';
  private first: RangeOutcome['first'] = null;
  private last: RangeOutcome['last'] = null;
  private broken: RangeOutcome['broken'] = null;
  private v2 = false;

  constructor(
    private readonly ctx: RangeContext,
    private readonly hasher: LinkHasher,
  ) {}

  /** Checks a page; false once a problem is found (later pages are not needed). */
  feed(rows: readonly RawEntryRow[]): boolean {
    if (this.broken) return false;
    const { epoch, every, checkpoints, head } = this.ctx;
    for (const row of rows) {
      const seq = Number(row[0]);
      const prevHex = row[15];
      const hashHex = row[16];
      const linkFormat = Number(row[18]);
      if (this.first === null) {
        // The link to the range before is joinRanges' to check.
        this.first = { seq, prevHex, linkFormat };
        this.expected = seq;
        this.prev = prevHex;
      } else if (seq !== this.expected) {
        return this.stop(this.expected, 'entry is missing (deleted)');
      }
      const problem = entryProblem(
        seq,
        prevHex,
        hashHex,
        Number(row[17]),
        linkFormat,
        this.v2,
        this.prev,
        epoch,
        () => this.hasher.rawLink(row, epoch),
      );
      if (problem) return this.stop(seq, problem);
      const cp = checkpoints.get(seq);
      if (cp) {
        const bad = !cp.valid
          ? 'checkpoint signature is not valid under the trusted access-log key'
          : cp.hashHex !== hashHex
            ? 'entry differs from its signed checkpoint (chain rewritten)'
            : null;
        if (bad) return this.stop(seq, bad);
      }
      const late =
        seq > epoch && seq % every === 0 && (!cp || !cp.keyed)
          ? `the signed checkpoint due at seq ${seq} is missing (deleted)`
          : head !== null && head.seq === seq && head.hashHex !== hashHex
            ? 'entry differs from the signed head kept outside the database'
            : null;
      if (late) return this.stop(seq, late);
      this.prev = hashHex;
      this.v2 ||= linkFormat === LINK_V2;
      this.last = { seq, hashHex };
      this.expected = seq + 1;
      this.count += 1;
    }
    return true;
  }

  result(): RangeOutcome {
    return { count: this.count, first: this.first, v2: this.v2, last: this.last, broken: this.broken };
  }

  private stop(seq: number, problem: string): false {
    this.broken = { seq, problem };
    return false;
  }
}

/**
 * What is wrong with one entry's link (null: it holds), given the previous entry's hash. The link is computed only
 * when the stored `prev_hash` holds (a broken link is named before the content).
 */
function entryProblem(
  seq: number,
  prevHex: string,
  hashHex: string,
  keyVersion: number,
  linkFormat: number,
  afterV2: boolean,
  prev: string,
  epoch: number,
  link: () => string | null,
): string | null {
  if (prevHex !== prev) return 'entry does not link to the previous entry (reordered, inserted or deleted)';
  if (linkFormat !== LINK_V1 && linkFormat !== LINK_V2)
    return `entry names link format ${linkFormat}, which does not exist`;
  if (linkFormat === LINK_V1 && afterV2) return DOWNGRADED;
  if (seq <= epoch) {
    if (linkFormat !== LINK_V1) return 'entry before the epoch claims a keyed link';
    if (keyVersion !== 0) return 'entry before the epoch claims a keyed link';
    return link() === hashHex ? null : 'entry content does not match its hash (edited)';
  }
  if (keyVersion === 0) return 'entry after the epoch has no keyed link (re-chained without the log key)';
  const l = link();
  if (l === null) return `entry names log key version ${keyVersion}, which does not exist`;
  return l === hashHex
    ? null
    : 'entry does not match its keyed hash (edited, or re-chained without the log key)';
}

const DOWNGRADED = 'entry has a v1 link after a v2 entry (link format downgraded)';

/**
 * Joins range outcomes in chain order from the genesis: each range's first entry must be the seq after the range
 * before and link to its last hash. Returns the first problem (with the entries that held before it) or the
 * end of the chain.
 */
export function joinRanges(
  outcomes: Iterable<RangeOutcome>,
  genesisHex: string,
):
  | { broken: { seq: number; problem: string }; count: number }
  | { broken: null; count: number; lastHex: string } {
  let expected = 1;
  let prev = genesisHex;
  let count = 0;
  let v2 = false;
  for (const o of outcomes) {
    if (o.first === null) continue;
    if (o.first.seq !== expected)
      return { broken: { seq: expected, problem: 'entry is missing (deleted)' }, count };
    if (o.first.prevHex !== prev) {
      return {
        broken: {
          seq: o.first.seq,
          problem: 'entry does not link to the previous entry (reordered, inserted or deleted)',
        },
        count,
      };
    }
    if (v2 && o.first.linkFormat === LINK_V1)
      return { broken: { seq: o.first.seq, problem: DOWNGRADED }, count };
    if (o.broken) return { broken: o.broken, count: count + o.count };
    count += o.count;
    v2 ||= o.v2;
    expected = o.last!.seq + 1;
    prev = o.last!.hashHex;
  }
  return { broken: null, count, lastHex: prev };
}
