import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { seal } from '../crypto/aead.ts';
import { randomBytes } from '../crypto/random.ts';
import { EnvKeyProvider } from './env.provider.ts';
import { unwrapKey, wrapKey } from './key-provider.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isSigiloError(err) ? err.code : `not a SigiloError: ${String(err)}`;
  }
  return 'no error';
}

describe('wrapKey / unwrapKey', () => {
  const kek = randomBytes(32);
  const dek = randomBytes(32);
  const aad = Buffer.from('dek|subject-1|v1|kek2');

  it('round-trips a data key', () => {
    expect(unwrapKey(kek, wrapKey(kek, dek, aad), aad).equals(dek)).toBe(true);
  });

  it('refuses another KEK, another binding or altered bytes with INTEGRITY_ERROR', () => {
    const wrapped = wrapKey(kek, dek, aad);
    expect(codeOf(() => unwrapKey(randomBytes(32), wrapped, aad))).toBe('INTEGRITY_ERROR');
    expect(codeOf(() => unwrapKey(kek, wrapped, Buffer.from('dek|subject-2|v1|kek2')))).toBe(
      'INTEGRITY_ERROR',
    );
    const tampered = Buffer.from(wrapped);
    tampered[20] = tampered[20]! ^ 1;
    expect(codeOf(() => unwrapKey(kek, tampered, aad))).toBe('INTEGRITY_ERROR');
  });

  it('does not accept a plain data ciphertext made with the KEK as a wrapped key', () => {
    expect(codeOf(() => unwrapKey(kek, seal(kek, dek, aad), aad))).toBe('INTEGRITY_ERROR');
  });
});

describe('EnvKeyProvider', () => {
  const key = randomBytes(32);
  const b64 = key.toString('base64');

  it('reads the key and its version from the environment', () => {
    const p = EnvKeyProvider.fromEnv({ SIGILO_MASTER_KEY: b64, SIGILO_MASTER_KEY_VERSION: '3' });
    expect(p.kind).toBe('env');
    expect(p.currentVersion()).toBe(3);
    expect(p.versions()).toEqual([3]);
    expect(p.getKek(3).equals(key)).toBe(true);
    expect(codeOf(() => p.getKek(2))).toBe('KEY_NOT_FOUND');
    expect(EnvKeyProvider.fromEnv({ SIGILO_MASTER_KEY: b64 }).currentVersion()).toBe(1);
  });

  it('keeps the previous key available during a rotation', () => {
    const old = randomBytes(32);
    const p = EnvKeyProvider.fromEnv({
      SIGILO_MASTER_KEY: b64,
      SIGILO_MASTER_KEY_VERSION: '2',
      SIGILO_MASTER_KEY_PREVIOUS: old.toString('base64'),
    });
    expect(p.versions()).toEqual([1, 2]);
    expect(p.getKek(1).equals(old)).toBe(true);
  });

  it('refuses missing or malformed keys with CONFIG_INVALID, without echoing the value', () => {
    const bad = [
      {},
      { SIGILO_MASTER_KEY: randomBytes(16).toString('base64') },
      { SIGILO_MASTER_KEY: `${b64}!!` },
      { SIGILO_MASTER_KEY: b64, SIGILO_MASTER_KEY_VERSION: '0' },
      { SIGILO_MASTER_KEY: b64, SIGILO_MASTER_KEY_VERSION: 'two' },
      { SIGILO_MASTER_KEY: b64, SIGILO_MASTER_KEY_PREVIOUS: b64 }, // no version below 1
    ];
    for (const env of bad) {
      try {
        EnvKeyProvider.fromEnv(env);
        expect.unreachable(JSON.stringify(Object.keys(env)));
      } catch (err) {
        expect(isSigiloError(err, 'CONFIG_INVALID')).toBe(true);
        expect(JSON.stringify(err) + (err as Error).message).not.toContain(b64.slice(0, 20));
      }
    }
  });

  it('does not let a caller damage the master key through the returned buffer', () => {
    const p = EnvKeyProvider.fromEnv({ SIGILO_MASTER_KEY: b64 });
    p.getKek(1).fill(0);
    expect(p.getKek(1).equals(key)).toBe(true);
  });

  it('explains that rotation happens in the secret manager', async () => {
    const p = EnvKeyProvider.fromEnv({ SIGILO_MASTER_KEY: b64 });
    await expect(p.addVersion()).rejects.toThrow(/secret manager/);
    await expect(p.retireVersion(1)).rejects.toThrow(/secret manager/);
  });
});
