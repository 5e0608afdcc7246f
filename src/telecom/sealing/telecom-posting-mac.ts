/**
 * The MACs of telecom term postings (issue 16): keyed BLAKE3 (16 bytes) under a key derived from the master key,
 * never stored, over a bucket row (kind, day, block, level, bucket, entries), a day's manifest of blocks and a
 * kind's list of days. Whoever can write the database but holds no key cannot edit, move, truncate or drop a
 * posting unnoticed (telecom-postings.ts says where each is checked).
 */
import { timingSafeEqual } from 'node:crypto';
import type { KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { Keyring } from '../../keys/keyring.ts';

const TAG = 16;

function header(tag: string, kind: string, day: string, rest: number): Buffer {
  const text = Buffer.from(`${tag}\u0000${kind}\u0000${day}\u0000`, 'utf8');
  const out = Buffer.allocUnsafe(text.length + rest);
  text.copy(out);
  return out;
}

/** Computes and checks posting MACs under one key ring's postings key. */
export class PostingMac {
  private constructor(private readonly h: KeyedHasher) {}

  /** The MAC hasher of a key ring (derived from the master key; never stored). */
  static async of(keyring: Keyring): Promise<PostingMac> {
    return new PostingMac(await keyring.keyedHasher('telecom-postings-mac/v1'));
  }

  /** MAC of one bucket row: where it belongs (kind, day, block, level, bucket) and its entries. */
  row(kind: string, day: string, block: string, level: number, bucket: number, entries: Uint8Array): Buffer {
    const id = Buffer.from(block, 'utf8');
    const msg = header('row', kind, day, 1 + id.length + 1 + 4 + entries.length);
    let o = msg.length - (1 + id.length + 1 + 4 + entries.length);
    msg[o++] = id.length;
    id.copy(msg, o);
    o += id.length;
    msg[o++] = level;
    msg.writeUInt32BE(bucket, o);
    msg.set(entries, o + 4);
    return this.h.hash(msg);
  }

  /** MAC of one (kind, day)'s manifest of blocks. */
  day(kind: string, day: string, blocks: Uint8Array): Buffer {
    const msg = header('day', kind, day, blocks.length);
    msg.set(blocks, msg.length - blocks.length);
    return this.h.hash(msg);
  }

  /** MAC of a kind's list of days. */
  root(kind: string, days: string): Buffer {
    return this.h.hash(header('root', kind, days, 0));
  }

  /** Whether a stored tag is the one computed (constant time; anything but a 16-byte buffer fails). */
  verify(expected: Buffer, stored: unknown): boolean {
    return Buffer.isBuffer(stored) && stored.length === TAG && timingSafeEqual(expected, stored);
  }
}
