/**
 * A Bloom filter of the keyed hashes of the numbers, usernames and IPs in one sealed segment. Searches (an
 * authority order for a number, or an IP and port) test each segment's filter and open only the segments that
 * may hold the term; ingestion pays a few bit sets per term instead of a row per term. About 1% false positives
 * at 10 bits and 7 probes per term; a false positive costs opening one segment, never a wrong answer (records are
 * checked exactly after decryption). The filter reveals only roughly how many distinct terms a segment holds.
 *
 * Layout: byte 0 = format (1), byte 1 = probes, then the bit array.
 */
const FORMAT = 1;
const PROBES = 7;
const BITS_PER_TERM = 10;
const HEADER = 2;

/** Builds the filter of a segment from its distinct 16-byte term hashes. */
export function buildTermFilter(terms: Iterable<Uint8Array>, count: number): Buffer {
  const bits = Math.max(64, Math.ceil((count * BITS_PER_TERM) / 8) * 8);
  const out = Buffer.alloc(HEADER + bits / 8);
  out[0] = FORMAT;
  out[1] = PROBES;
  for (const t of terms) {
    const [h1, h2] = hashes(t);
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const b = bit % bits;
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
  const [h1, h2] = hashes(term);
  for (let i = 0; i < probes; i++) {
    const b = ((h1 + Math.imul(i, h2)) >>> 0) % bits;
    if ((filter[HEADER + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

/** Two independent 32-bit words of a PRF output (Kirsch–Mitzenmacher double hashing); h2 odd. */
function hashes(t: Uint8Array): [number, number] {
  const h1 = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
  const h2 = (t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24) | 1) >>> 0;
  return [h1, h2];
}
