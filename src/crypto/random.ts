import { randomBytes as cryptoRandomBytes } from 'node:crypto';

/** `n` bytes from the operating system's CSPRNG. */
export function randomBytes(n: number): Buffer {
  return cryptoRandomBytes(n);
}

/** A random URL-safe token (base64url, no padding) carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return cryptoRandomBytes(bytes).toString('base64url');
}
