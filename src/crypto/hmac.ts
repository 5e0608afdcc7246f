import { createHmac, timingSafeEqual } from 'node:crypto';

/** Length of an HMAC-SHA-256 tag; shorter (truncated) tags are never accepted. */
export const HMAC_SHA256_BYTES = 32;

/** HMAC-SHA-256 of `msg` (strings are UTF-8). */
export function hmacSha256(key: Buffer, msg: Buffer | string): Buffer {
  return createHmac('sha256', key).update(msg).digest();
}

/** Constant-time check of a full 32-byte HMAC-SHA-256 tag; truncated or over-long tags are refused. */
export function verifyHmacSha256(key: Buffer, msg: Buffer | string, tag: Buffer): boolean {
  // The length is public (always 32), so rejecting other lengths early leaks nothing.
  if (tag.length !== HMAC_SHA256_BYTES) return false;
  return timingSafeEqual(hmacSha256(key, msg), tag);
}
