/**
 * A compact set of 16-byte keyed hashes (open addressing over a Uint32Array): the natural keys of an account's
 * records of one day, held in memory by the ingest path so that idempotency costs a probe, not a B-tree insert.
 * 16 bytes per slot and at most three quarters of the slots used (linear probing stays short on random keys); a
 * JS Set of strings would take 50–60 bytes per key on the V8 heap. The keys are uniformly random (PRF output), so
 * their first word is the hash.
 */
const KEY_WORDS = 4;
const MIN_SLOTS = 1024;

export class KeySet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;
  /** The all-zero key marks an empty slot; it is tracked apart (probability 2^-128, but exact all the same). */
  private hasZero = false;

  constructor(expected = 0) {
    let n = MIN_SLOTS;
    while (n * 3 < expected * 4) n *= 2;
    this.slots = new Uint32Array(n * KEY_WORDS);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count + (this.hasZero ? 1 : 0);
  }

  /** Bytes held (for the cache's memory bound). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds the 16-byte key at `buf[offset..offset+16]`; false when it was already there. */
  add(buf: Uint8Array, offset = 0): boolean {
    const w0 = word(buf, offset);
    const w1 = word(buf, offset + 4);
    const w2 = word(buf, offset + 8);
    const w3 = word(buf, offset + 12);
    if ((w0 | w1 | w2 | w3) === 0) {
      const had = this.hasZero;
      this.hasZero = true;
      return !had;
    }
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    return this.put(w0, w1, w2, w3);
  }

  /** Whether the 16-byte key at `buf[offset..]` is in the set. */
  has(buf: Uint8Array, offset = 0): boolean {
    const w0 = word(buf, offset);
    const w1 = word(buf, offset + 4);
    const w2 = word(buf, offset + 8);
    const w3 = word(buf, offset + 12);
    if ((w0 | w1 | w2 | w3) === 0) return this.hasZero;
    return this.occupied(this.find(w0, w1, w2, w3));
  }

  private put(w0: number, w1: number, w2: number, w3: number): boolean {
    const p = this.find(w0, w1, w2, w3);
    if (this.occupied(p)) return false;
    const s = this.slots;
    s[p] = w0;
    s[p + 1] = w1;
    s[p + 2] = w2;
    s[p + 3] = w3;
    this.count++;
    return true;
  }

  private occupied(p: number): boolean {
    const s = this.slots;
    return (s[p]! | s[p + 1]! | s[p + 2]! | s[p + 3]!) !== 0;
  }

  /** The slot holding the (non-zero) key, or the empty slot where it would go (linear probing). */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.slots;
    for (let i = w0 & this.mask; ; i = (i + 1) & this.mask) {
      const p = i * KEY_WORDS;
      const a = s[p]!;
      const b = s[p + 1]!;
      const c = s[p + 2]!;
      const d = s[p + 3]!;
      if ((a | b | c | d) === 0 || (a === w0 && b === w1 && c === w2 && d === w3)) return p;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.slots.length / KEY_WORDS - 1;
    this.count = 0;
    for (let p = 0; p < old.length; p += KEY_WORDS) {
      if ((old[p]! | old[p + 1]! | old[p + 2]! | old[p + 3]!) !== 0)
        this.put(old[p]!, old[p + 1]!, old[p + 2]!, old[p + 3]!);
    }
  }
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
