/**
 * Link format v2 of the access log: keyed BLAKE3 (hash-wasm), about a third of the CPU of HMAC-SHA-256, whose two
 * native SHA-256 calls per entry cost ~1.1 µs each in call overhead (docs/security.md, "Verification speed").
 *
 *   hash(n) = BLAKE3-keyed(K2(v), "sigilo/access-log-link/v2|" || v || "|" || hash(n-1) || canonical(n))
 *   K2(v)   = HMAC-SHA-256(log key v, "sigilo/access-log-link/v2")
 *
 * K2 is derived from the log key roots the keyring already keeps, so a log-key rotation keeps every older entry
 * verifiable and no key is added. The format label is both in the key derivation and in what is hashed, so a v2
 * link can never verify as a v1 one nor the reverse; the verifier also refuses a v1 entry after a v2 one.
 */
import { createHmac } from 'node:crypto';
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { canonicalEntry, type AccessLogEntry } from './access-log.entry.ts';

const LABEL = 'sigilo/access-log-link/v2';

/** A v2 link computer bound to one log-key version; synchronous once created, one call at a time. */
export interface LinkV2 {
  /** The link from the previous link (bytes) and the entry's canonical form. */
  buffer(prevHash: Buffer, canonical: string): Buffer;
  /** The same link from the previous link as hex, as lower-case hex (the verifier reads links as hex). */
  hex(prevHex: string, canonical: string): string;
}

/** The BLAKE3 key of log-key version `keyVersion`'s v2 links. */
export function linkKeyV2(logKey: Buffer): Buffer {
  return createHmac('sha256', logKey).update(LABEL).digest();
}

export async function createLinkV2(logKey: Buffer, keyVersion: number): Promise<LinkV2> {
  const h: IHasher = await createBLAKE3(256, linkKeyV2(logKey));
  const prefix = Buffer.from(`${LABEL}|${keyVersion}|`, 'latin1');
  let buf = Buffer.alloc(16 * 1024);
  prefix.copy(buf, 0);
  const input = (prevBytes: number, canonical: string): Buffer => {
    const n = prefix.length + prevBytes + Buffer.byteLength(canonical);
    if (n > buf.length) {
      buf = Buffer.alloc(Math.max(n, buf.length * 2));
      prefix.copy(buf, 0);
    }
    buf.write(canonical, prefix.length + prevBytes, 'utf8');
    return buf.subarray(0, n);
  };
  const run = (bytes: Buffer): string => {
    h.init();
    h.update(bytes);
    return h.digest('hex');
  };
  return {
    buffer(prevHash, canonical) {
      const bytes = input(prevHash.length, canonical);
      prevHash.copy(buf, prefix.length);
      return Buffer.from(run(bytes), 'hex');
    },
    hex(prevHex, canonical) {
      const prevBytes = Buffer.byteLength(prevHex, 'hex');
      const bytes = input(prevBytes, canonical);
      buf.write(prevHex, prefix.length, 'hex');
      return run(bytes);
    },
  };
}

/** The v2 link computers of the given log-key versions that exist. */
export async function linkV2Hashers(
  logKey: (version: number) => Buffer | null,
  versions: Iterable<number>,
): Promise<Map<number, LinkV2>> {
  const out = new Map<number, LinkV2>();
  for (const v of versions) {
    const key = v === 0 ? null : logKey(v);
    if (key) out.set(v, await createLinkV2(key, v));
  }
  return out;
}

/** One v2 link, for the writer's tests and tools (the writer keeps a `LinkV2` per version). */
export async function keyedChainHashV2(
  key: Buffer,
  keyVersion: number,
  prevHash: Buffer,
  seq: number,
  e: AccessLogEntry,
): Promise<Buffer> {
  return (await createLinkV2(key, keyVersion)).buffer(prevHash, canonicalEntry(seq, e));
}
