/**
 * A Bloom filter of the numbers, usernames and IPs in one segment. Searches (an authority order for a number, or
 * an IP and port) test each segment's filter and open only the segments that may hold the term; ingestion pays a
 * few bit sets per term instead of a row per term. About 1% false positives at 10 bits and 7 probes per term; a
 * false positive costs opening one segment, never a wrong answer (records are checked exactly after decryption).
 *
 * Two formats, told apart by byte 0 (then byte 1 = probes, then the bit array):
 * - 2 (current): bit positions from a fast unkeyed hash of the term itself. The filter would reveal which
 *   numbers a segment holds to anyone who can read it, so the gate seals it under the account's data key like
 *   the payload (`term_filter_ct`). Ingestion hashes terms in plain JavaScript: a keyed hash per term (a WASM
 *   call and three allocations) was a third of the CPU of preparing a CDR.
 * - 1 (segments stored before 2026-11-26T1900): positions from the 16-byte keyed BLAKE3 hash of the term,
 *   stored in clear (`term_filter`).
 */
import type { Term } from './telecom-record.ts';

const FORMAT_KEYED = 1;
const FORMAT_SEALED = 2;
const PROBES = 7;
const BITS_PER_TERM = 10;
const HEADER = 2;

/** Two 32-bit hash words of a term; the second is odd (Kirsch–Mitzenmacher double hashing). */
export type TermProbe = readonly [number, number];

const KIND_CODE: Record<Term['kind'], number> = { number: 1, username: 2, ip: 3 };

/** Murmur3's finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The format-2 probe of a term: two independent FNV-1a passes over the kind and the UTF-16 code units, each
 * finalised. Not a keyed hash: it is only ever stored sealed.
 */
export function termProbe(kind: Term['kind'], value: string): TermProbe {
  const out = new Uint32Array(2);
  probeInto(kind, value, out, 0);
  return [out[0]!, out[1]!];
}

/** termProbe written into `out[at]` and `out[at + 1]` (no array per term on the ingest path). */
function probeInto(kind: Term['kind'], value: string, out: Uint32Array, at: number): void {
  const code = KIND_CODE[kind];
  let a = Math.imul(0x811c9dc5 ^ code, 0x01000193);
  let b = Math.imul(0x2f8f2b4d ^ code, 0x01000193);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  out[at] = fmix(a);
  out[at + 1] = fmix(b ^ 0x9e3779b9) | 1;
}

/** Collects the probes of a segment's terms (flat pairs, no object per term) and builds its filter. */
export class TermFilterBuilder {
  private words: Uint32Array;
  private n = 0;

  constructor(expectedTerms = 64) {
    this.words = new Uint32Array(Math.max(16, expectedTerms * 2));
  }

  add(kind: Term['kind'], value: string): void {
    if (this.n * 2 + 2 > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    probeInto(kind, value, this.words, this.n * 2);
    this.n++;
  }

  /**
   * The format-2 filter. Sized by occurrences, not distinct terms: a repeated term (the account's own DID) sets
   * the same bits again, which only makes the filter sparser than its nominal 1%.
   */
  build(): Buffer {
    const bits = Math.max(64, Math.ceil((this.n * BITS_PER_TERM) / 8) * 8);
    const out = Buffer.alloc(HEADER + bits / 8);
    out[0] = FORMAT_SEALED;
    out[1] = PROBES;
    for (let t = 0; t < this.n; t++) setBits(out, bits, this.words[t * 2]!, this.words[t * 2 + 1]!);
    return out;
  }
}

function setBits(out: Buffer, bits: number, h1: number, h2: number): void {
  for (let i = 0; i < PROBES; i++) {
    const b = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    out[HEADER + (b >>> 3)]! |= 1 << (b & 7);
  }
}

/** A term as a search looks for it: its format-2 probe, and (lazily) its keyed hash for format-1 filters. */
export interface SearchTerm {
  probe: TermProbe;
  keyed: Uint8Array;
}

/** False only when the segment surely lacks the term; a missing or unknown filter answers true (open and check). */
export function mayHoldTerm(filter: Uint8Array | null, term: SearchTerm): boolean {
  if (!filter || filter.length <= HEADER) return true;
  let h1: number;
  let h2: number;
  if (filter[0] === FORMAT_SEALED) [h1, h2] = term.probe;
  else if (filter[0] === FORMAT_KEYED) [h1, h2] = keyedProbe(term.keyed);
  else return true;
  const bits = (filter.length - HEADER) * 8;
  const probes = filter[1]!;
  for (let i = 0; i < probes; i++) {
    const b = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    if ((filter[HEADER + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

/** Format 1's two words: the first 8 bytes of the keyed hash (a PRF output, already uniform). */
function keyedProbe(t: Uint8Array): [number, number] {
  const h1 = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
  const h2 = (t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24) | 1) >>> 0;
  return [h1, h2];
}

/**
 * Builds a format-1 filter from 16-byte keyed term hashes. Kept for tests of segments stored before the sealed
 * format; ingestion no longer writes it.
 */
export function buildKeyedTermFilter(terms: Iterable<Uint8Array>, count: number): Buffer {
  const bits = Math.max(64, Math.ceil((count * BITS_PER_TERM) / 8) * 8);
  const out = Buffer.alloc(HEADER + bits / 8);
  out[0] = FORMAT_KEYED;
  out[1] = PROBES;
  for (const t of terms) {
    const [h1, h2] = keyedProbe(t);
    setBits(out, bits, h1, h2);
  }
  return out;
}
