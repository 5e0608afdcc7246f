/**
 * Portal password hashing with argon2id. Parameters follow the OWASP Password Storage Cheat Sheet's first
 * argon2id configuration (m = 19 MiB, t = 2, p = 1): strong enough for online guessing and cheap enough in
 * memory that a burst of concurrent logins does not exhaust a small server. Raising them later makes
 * `needsRehash` true for older hashes, so they can be upgraded at the next successful login.
 */
import { argon2id, hash, verify } from 'argon2';

export const PASSWORD_HASH_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const ARGON2_VERSION = 0x13;

// PHC string: $argon2id$v=19$m=19456,p=1,t=2$<salt>$<hash> (parameter order varies between libraries)
const PHC_PATTERN =
  /^\$(argon2(?:id|i|d))\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** An argon2id PHC string for `password` (salt included). */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, { type: argon2id, ...PASSWORD_HASH_PARAMS });
}

/** True when `password` matches `hash`; false for a wrong password or a malformed hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await verify(hash, password);
  } catch {
    // argon2 throws on hashes it cannot parse; for a login that is simply "no match".
    return false;
  }
}

/** True when `hash` is not argon2id or was made with weaker parameters than today's. */
export function needsRehash(hash: string): boolean {
  const m = PHC_PATTERN.exec(hash);
  if (!m) return true;
  const [, type, version, paramList = ''] = m;
  const params = new Map(paramList.split(',').map((kv) => [kv[0], Number(kv.slice(2))] as const));
  const atLeast = (name: string, min: number) => (params.get(name) ?? 0) >= min;
  return !(
    type === 'argon2id' &&
    Number(version) === ARGON2_VERSION &&
    atLeast('m', PASSWORD_HASH_PARAMS.memoryCost) &&
    atLeast('t', PASSWORD_HASH_PARAMS.timeCost) &&
    atLeast('p', PASSWORD_HASH_PARAMS.parallelism)
  );
}
