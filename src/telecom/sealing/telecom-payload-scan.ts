/**
 * Reads chosen fields of each record of a segment payload (a MessagePack array of record arrays, as
 * `encodePayload` writes it) straight from its bytes: the wanted fields are decoded, every other field is skipped
 * without making a value. The hashing worker needs 5 of a CDR's 20 fields (natural key, numbers, username, IP);
 * decoding whole records there made it the slower of the two threads, most of it in garbage collection.
 */

/** A segment payload's records, field by field: `count` records, each visited with only the wanted fields set. */
export interface ScannedPayload {
  count: number;
  /** Visits each record in order; the array passed is reused between records (copy what must outlive the call). */
  readonly each: (visit: (record: unknown[]) => void) => void;
}

/** Scans `bytes` for the fields at the `wanted` indexes of each record. Malformed bytes throw. */
export function scanPayload(bytes: Buffer, wanted: readonly number[]): ScannedPayload {
  const isWanted: boolean[] = [];
  for (const i of wanted) isWanted[i] = true;
  const top = new Reader(bytes as Utf8Buffer, 0);
  const count = top.arrayLength();
  // Every record takes at least one byte: a count beyond that is a corrupt header, not an allocation to make.
  if (count > bytes.length - top.offset) throw new Error('malformed segment payload: record count');
  return {
    count,
    each: (visit) => {
      const r = new Reader(bytes as Utf8Buffer, top.offset);
      const fields: unknown[] = [];
      for (let n = 0; n < count; n++) {
        const len = r.arrayLength();
        fields.length = 0;
        for (let f = 0; f < len; f++) {
          if (isWanted[f]) fields[f] = r.scalar();
          else r.skip();
        }
        visit(fields);
      }
      if (r.offset !== bytes.length) throw new Error('malformed segment payload');
    },
  };
}

/** Node's own UTF-8 decoder on Buffer (what toString('utf8', …) calls, without its argument handling). */
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

// MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md): the formats a record's fields use, and
// the sizes of all the others so that any value can be skipped.
class Reader {
  constructor(
    private readonly b: Utf8Buffer,
    public offset: number,
  ) {}

  arrayLength(): number {
    const t = this.byte();
    if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
    if (t === 0xdc) return this.uint(2);
    if (t === 0xdd) return this.uint(4);
    throw new Error('malformed segment payload: an array was expected');
  }

  /** A string, number, boolean or nil. */
  scalar(): unknown {
    const b = this.b;
    const t = this.byte();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t <= 0xbf) return this.str(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xd9:
        return this.str(this.uint(1));
      case 0xda:
        return this.str(this.uint(2));
      case 0xdb:
        return this.str(this.uint(4));
      case 0xcc:
        return this.uint(1);
      case 0xcd:
        return this.uint(2);
      case 0xce:
        return this.uint(4);
      case 0xcf:
        return Number(b.readBigUInt64BE(this.need(8)));
      case 0xd0:
        return b.readInt8(this.need(1));
      case 0xd1:
        return b.readInt16BE(this.need(2));
      case 0xd2:
        return b.readInt32BE(this.need(4));
      case 0xd3:
        return Number(b.readBigInt64BE(this.need(8)));
      case 0xca:
        return b.readFloatBE(this.need(4));
      case 0xcb:
        return b.readDoubleBE(this.need(8));
      default:
        throw new Error('malformed segment payload: a scalar field was expected');
    }
  }

  /** Moves past one value of any type. */
  skip(): void {
    const t = this.byte();
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return;
    if (t >= 0xa0 && t <= 0xbf) return this.advance(t & 0x1f);
    if (t >= 0x90 && t <= 0x9f) return this.skipMany(t & 0x0f);
    if (t >= 0x80 && t <= 0x8f) return this.skipMany(2 * (t & 0x0f));
    switch (t) {
      case 0xcc:
      case 0xd0:
        return this.advance(1);
      case 0xcd:
      case 0xd1:
        return this.advance(2);
      case 0xce:
      case 0xd2:
      case 0xca:
        return this.advance(4);
      case 0xcf:
      case 0xd3:
      case 0xcb:
        return this.advance(8);
      case 0xd9:
      case 0xc4:
        return this.advance(this.uint(1));
      case 0xda:
      case 0xc5:
        return this.advance(this.uint(2));
      case 0xdb:
      case 0xc6:
        return this.advance(this.uint(4));
      case 0xd4:
        return this.advance(2);
      case 0xd5:
        return this.advance(3);
      case 0xd6:
        return this.advance(5);
      case 0xd7:
        return this.advance(9);
      case 0xd8:
        return this.advance(17);
      case 0xc7:
        return this.advance(this.uint(1) + 1);
      case 0xc8:
        return this.advance(this.uint(2) + 1);
      case 0xc9:
        return this.advance(this.uint(4) + 1);
      case 0xdc:
        return this.skipMany(this.uint(2));
      case 0xdd:
        return this.skipMany(this.uint(4));
      case 0xde:
        return this.skipMany(2 * this.uint(2));
      case 0xdf:
        return this.skipMany(2 * this.uint(4));
      default:
        throw new Error('malformed segment payload: unknown type');
    }
  }

  private skipMany(n: number): void {
    for (let i = 0; i < n; i++) this.skip();
  }

  private byte(): number {
    if (this.offset >= this.b.length) throw new Error('malformed segment payload: truncated');
    return this.b[this.offset++]!;
  }

  private uint(n: 1 | 2 | 4): number {
    return this.b.readUIntBE(this.need(n), n);
  }

  private str(n: number): string {
    const at = this.need(n);
    return this.b.utf8Slice(at, at + n);
  }

  /** The offset of the next `n` bytes, which the reader then moves past. */
  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.b.length) throw new Error('malformed segment payload: truncated');
    this.offset = at + n;
    return at;
  }

  private advance(n: number): void {
    this.need(n);
  }
}
