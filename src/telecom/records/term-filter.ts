/**
 * A Bloom filter of the keyed hashes (blind indexes) of the numbers, usernames and IPs in one sealed segment.
 * Searches (an authority order for a number, or an IP and port) test each segment's filter and open only the
 * segments that may hold the term; ingestion pays a few bit sets per term instead of a row per term. About 1% false
 * positives at 10 bits and 7 probes per term; a false positive costs opening one segment, never a wrong answer
 * (records are checked exactly after decryption). Built from keyed hashes, the filter reveals nothing of a term to
 * whoever lacks the key, only roughly how many terms a segment holds.
 *
 * Layout: byte 0 = format (1), byte 1 = probes, then the bit array.
 */
import { KEYED_HASH_BYTES } from '../../crypto/keyed-hash.ts';
const FORMAT = 1;
const PROBES = 7;
const BITS_PER_TERM = 10;
const HEADER = 2;
const TERM_BYTES = KEYED_HASH_BYTES;

/**
 * Builds the filter of a segment from its first `count` term hashes, `hashes[i*16 .. i*16+16]` (the segment's
 * distinct terms; a repeated one would only set the same bits again and make the filter sparser than its nominal
 * 1 %).
 */
export function buildTermFilter(hashes: Uint8Array, count: number): Buffer {
  const bits = Math.max(64, Math.ceil((count * BITS_PER_TERM) / 8) * 8);
  const out = Buffer.alloc(HEADER + bits / 8);
  out[0] = FORMAT;
  out[1] = PROBES;
  for (let t = 0; t < count; t++) {
    const o = t * TERM_BYTES;
    const h1 = word(hashes, o);
    const h2 = (word(hashes, o + 4) | 1) >>> 0;
    for (let i = 0; i < PROBES; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
      out[HEADER + (b >>> 3)]! |= 1 << (b & 7);
    }
  }
  return out;
}

/** False only when the segment surely lacks the term; an unknown format answers true (open and check). */
export function mayHoldTerm(filter: Uint8Array | null, term: Uint8Array): boolean {
  if (!filter || filter.length <= HEADER || filter[0] !== FORMAT) return true;
  const bits = (filter.length - HEADER) * 8;
  const probes = filter[1]!;
  const h1 = word(term, 0);
  const h2 = (word(term, 4) | 1) >>> 0;
  for (let i = 0; i < probes; i++) {
    const b = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    if ((filter[HEADER + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

/** Little-endian 32-bit word of a PRF output (already uniform): Kirsch–Mitzenmacher double hashing. */
function word(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
