/**
 * Master key from the environment, for deployments where a secret manager (Vault, AWS/GCP secret stores,
 * Kubernetes secrets) injects it. Sigilo cannot create or delete secrets there, so rotation happens in the
 * secret manager: publish the new key as SIGILO_MASTER_KEY with a higher SIGILO_MASTER_KEY_VERSION, keep the
 * old one as SIGILO_MASTER_KEY_PREVIOUS (+ _VERSION) while data keys are rewrapped, then remove it.
 */
import { SigiloError } from '../errors.ts';
import { KEY_BYTES } from '../crypto/aead.ts';
import type { KeyProvider } from './key-provider.ts';

type Env = Record<string, string | undefined>;

const ROTATION_HINT =
  'the environment key provider cannot rotate keys itself: publish the new key as SIGILO_MASTER_KEY with a ' +
  'higher SIGILO_MASTER_KEY_VERSION, keep the old one as SIGILO_MASTER_KEY_PREVIOUS and ' +
  'SIGILO_MASTER_KEY_PREVIOUS_VERSION while data keys are rewrapped, then remove it from the secret manager';

function parseKey(env: Env, name: string): Buffer {
  const value = env[name]?.trim() ?? '';
  const key = Buffer.from(value, 'base64');
  // Buffer.from ignores junk characters, so also require the value to be exactly the key's encoding.
  if (key.length !== KEY_BYTES || key.toString('base64') !== value) {
    key.fill(0);
    throw new SigiloError(
      'CONFIG_INVALID',
      `${name} must be the base64 encoding of ${KEY_BYTES} random bytes`,
      {
        name,
      },
    );
  }
  return key;
}

function parseVersion(env: Env, name: string, fallback: number): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9]\d{0,8}$/.test(value)) {
    throw new SigiloError('CONFIG_INVALID', `${name} must be a positive integer`, { name });
  }
  return Number(value);
}

/** Reads the master key from SIGILO_MASTER_KEY (base64 of 32 bytes) and SIGILO_MASTER_KEY_VERSION (default 1). */
export class EnvKeyProvider implements KeyProvider {
  readonly kind = 'env';
  readonly #keys: Map<number, Buffer>;
  readonly #current: number;

  private constructor(keys: Map<number, Buffer>, current: number) {
    this.#keys = keys;
    this.#current = current;
  }

  /** Builds the provider from `env` (default `process.env`); a missing or malformed key is CONFIG_INVALID. */
  static fromEnv(env: Env = process.env): EnvKeyProvider {
    if (!env.SIGILO_MASTER_KEY) {
      throw new SigiloError('CONFIG_INVALID', 'SIGILO_MASTER_KEY is not set', { name: 'SIGILO_MASTER_KEY' });
    }
    const current = parseVersion(env, 'SIGILO_MASTER_KEY_VERSION', 1);
    const keys = new Map([[current, parseKey(env, 'SIGILO_MASTER_KEY')]]);
    if (env.SIGILO_MASTER_KEY_PREVIOUS) {
      const previous = parseVersion(env, 'SIGILO_MASTER_KEY_PREVIOUS_VERSION', current - 1);
      if (previous < 1 || previous >= current) {
        throw new SigiloError(
          'CONFIG_INVALID',
          'SIGILO_MASTER_KEY_PREVIOUS_VERSION must be lower than SIGILO_MASTER_KEY_VERSION',
          { name: 'SIGILO_MASTER_KEY_PREVIOUS_VERSION' },
        );
      }
      keys.set(previous, parseKey(env, 'SIGILO_MASTER_KEY_PREVIOUS'));
    }
    return new EnvKeyProvider(keys, current);
  }

  currentVersion(): number {
    return this.#current;
  }

  getKek(version: number): Buffer {
    const key = this.#keys.get(version);
    if (!key) throw new SigiloError('KEY_NOT_FOUND', 'master key version is not available', { version });
    return Buffer.from(key); // a copy: a caller that zeroes it must not zero the master key
  }

  versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  addVersion(): Promise<number> {
    return Promise.reject(new SigiloError('CONFIG_INVALID', ROTATION_HINT));
  }

  retireVersion(_version: number): Promise<void> {
    return Promise.reject(new SigiloError('CONFIG_INVALID', ROTATION_HINT));
  }
}
