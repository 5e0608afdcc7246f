import { describe, expect, it } from 'vitest';
import { PASSWORD_HASH_PARAMS, hashPassword, needsRehash, verifyPassword } from './password.ts';

describe('password hashing', () => {
  it('hashes with argon2id at the documented parameters and a random salt', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    const { memoryCost: m, timeCost: t, parallelism: p } = PASSWORD_HASH_PARAMS;
    expect(a).toMatch(/^\$argon2id\$v=19\$/);
    expect(a.split('$')[3]!.split(',').sort()).toEqual([`m=${m}`, `p=${p}`, `t=${t}`]);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(needsRehash(a)).toBe(false);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('Senha-Forte-2024');
    expect(await verifyPassword(hash, 'Senha-Forte-2024')).toBe(true);
    expect(await verifyPassword(hash, 'senha-forte-2024')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('answers false, not an exception, for a malformed hash', async () => {
    for (const bad of [
      '',
      'plaintext',
      '$argon2id$v=19$m=19456,t=2,p=1$$',
      '$2b$10$abcdefghijklmnopqrstuv',
    ]) {
      expect(await verifyPassword(bad, 'x'), bad).toBe(false);
    }
  });

  it('asks for a rehash of weaker, older-type or unreadable hashes only', () => {
    const tail = '$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    expect(needsRehash(`$argon2id$v=19$m=19456,t=2,p=1${tail}`)).toBe(false);
    expect(needsRehash(`$argon2id$v=19$m=65536,p=4,t=3${tail}`)).toBe(false);
    expect(needsRehash(`$argon2id$v=19$m=19456,p=1${tail}`)).toBe(true);
    expect(needsRehash(`$argon2id$v=19$m=4096,t=2,p=1${tail}`)).toBe(true);
    expect(needsRehash(`$argon2id$v=19$m=19456,t=1,p=1${tail}`)).toBe(true);
    expect(needsRehash(`$argon2i$v=19$m=19456,t=2,p=1${tail}`)).toBe(true);
    expect(needsRehash(`$argon2id$v=16$m=19456,t=2,p=1${tail}`)).toBe(true);
    expect(needsRehash('not a hash')).toBe(true);
  });
});
