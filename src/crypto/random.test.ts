import { describe, expect, it } from 'vitest';
import { randomBytes, randomToken } from './random.ts';

describe('random', () => {
  it('returns the requested number of bytes, different each time', () => {
    expect(randomBytes(32).length).toBe(32);
    expect(randomBytes(32).equals(randomBytes(32))).toBe(false);
  });

  it('makes URL-safe tokens carrying the requested entropy', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url').length).toBe(32);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken()).not.toBe(token);
  });
});
