/**
 * Project Wycheproof vectors (test/fixtures/crypto, Apache-2.0; see its README) against Sigilo's crypto wrappers.
 * Each block counts the cases it ran so an emptied or renamed vector file cannot pass silently.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../test/support/fixtures.ts';
import { isSigiloError } from '../errors.ts';
import { aesGcmDecrypt, aesGcmEncrypt } from './aead.ts';
import { HKDF_SHA256_MAX_LENGTH, hkdfSha256 } from './hkdf.ts';
import { hmacSha256, verifyHmacSha256 } from './hmac.ts';
import { verifyEd25519 } from './signing.ts';

type Result = 'valid' | 'invalid' | 'acceptable';
interface Suite<G> {
  testGroups: G[];
}
interface AeadGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: {
    tcId: number;
    key: string;
    iv: string;
    aad: string;
    msg: string;
    ct: string;
    tag: string;
    result: Result;
  }[];
}
interface MacGroup {
  tagSize: number;
  tests: { tcId: number; key: string; msg: string; tag: string; result: Result }[];
}
interface HkdfGroup {
  tests: {
    tcId: number;
    ikm: string;
    salt: string;
    info: string;
    size: number;
    okm: string;
    result: Result;
  }[];
}
interface EddsaGroup {
  publicKey: { pk: string };
  tests: { tcId: number; msg: string; sig: string; result: Result }[];
}

function load<G>(file: string): G[] {
  const suite = JSON.parse(readFileSync(fixturePath('crypto', file), 'utf8')) as Suite<G>;
  return suite.testGroups;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function integrityCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isSigiloError(err) ? err.code : `not a SigiloError: ${String(err)}`;
  }
  return 'no error';
}

describe('AES-256-GCM (aes_gcm_test.json)', () => {
  const groups = load<AeadGroup>('aes_gcm_test.json').filter((g) => g.keySize === 256);

  it('decrypts every valid 96-bit-IV case to msg and encrypts msg to ct|tag', () => {
    let ran = 0;
    for (const g of groups.filter((g) => g.ivSize === 96 && g.tagSize === 128)) {
      for (const t of g.tests.filter((t) => t.result === 'valid')) {
        const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
        expect(aesGcmDecrypt(key, iv, hex(t.ct), hex(t.tag), aad).toString('hex'), `tcId ${t.tcId}`).toBe(
          t.msg,
        );
        const { ciphertext, tag } = aesGcmEncrypt(key, iv, msg, aad);
        expect(ciphertext.toString('hex') + tag.toString('hex'), `tcId ${t.tcId}`).toBe(t.ct + t.tag);
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(30);
  });

  it('refuses every invalid case with INTEGRITY_ERROR', () => {
    let ran = 0;
    for (const g of groups) {
      for (const t of g.tests.filter((t) => t.result === 'invalid')) {
        const run = () => aesGcmDecrypt(hex(t.key), hex(t.iv), hex(t.ct), hex(t.tag), hex(t.aad));
        expect(integrityCode(run), `tcId ${t.tcId}`).toBe('INTEGRITY_ERROR');
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(20);
  });

  it('refuses IV lengths other than 96 bits (legal GCM, never written by Sigilo) with INTEGRITY_ERROR', () => {
    let ran = 0;
    for (const g of groups.filter((g) => g.ivSize !== 96)) {
      for (const t of g.tests) {
        const run = () => aesGcmDecrypt(hex(t.key), hex(t.iv), hex(t.ct), hex(t.tag), hex(t.aad));
        expect(integrityCode(run), `tcId ${t.tcId}`).toBe('INTEGRITY_ERROR');
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});

describe('HMAC-SHA-256 (hmac_sha256_test.json)', () => {
  const groups = load<MacGroup>('hmac_sha256_test.json');

  it('matches every valid full-length tag and refuses every invalid one', () => {
    let valid = 0;
    let invalid = 0;
    for (const g of groups.filter((g) => g.tagSize === 256)) {
      for (const t of g.tests) {
        const [key, msg, tag] = [hex(t.key), hex(t.msg), hex(t.tag)];
        if (t.result === 'valid') {
          expect(hmacSha256(key, msg).toString('hex'), `tcId ${t.tcId}`).toBe(t.tag);
          expect(verifyHmacSha256(key, msg, tag), `tcId ${t.tcId}`).toBe(true);
          valid++;
        } else {
          expect(verifyHmacSha256(key, msg, tag), `tcId ${t.tcId}`).toBe(false);
          invalid++;
        }
      }
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  });

  it('refuses truncated 128-bit tags even where Wycheproof calls them valid', () => {
    let ran = 0;
    for (const g of groups.filter((g) => g.tagSize === 128)) {
      for (const t of g.tests) {
        const [key, msg, tag] = [hex(t.key), hex(t.msg), hex(t.tag)];
        // The vector itself is right (a valid one is the tag's prefix) ...
        const prefix = hmacSha256(key, msg).subarray(0, 16).toString('hex');
        expect(prefix === t.tag, `tcId ${t.tcId}`).toBe(t.result === 'valid');
        // ... but Sigilo never accepts a truncated tag.
        expect(verifyHmacSha256(key, msg, tag), `tcId ${t.tcId}`).toBe(false);
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});

describe('HKDF-SHA-256 (hkdf_sha256_test.json)', () => {
  const tests = load<HkdfGroup>('hkdf_sha256_test.json').flatMap((g) => g.tests);

  it('reproduces okm for every valid case', () => {
    let ran = 0;
    for (const t of tests.filter((t) => t.result === 'valid')) {
      expect(hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size).toString('hex'), `tcId ${t.tcId}`).toBe(
        t.okm,
      );
      ran++;
    }
    expect(ran).toBeGreaterThan(50);
  });

  it('refuses output sizes above 255 hash lengths, the only invalid cases', () => {
    const tooLarge = tests.filter((t) => t.size > HKDF_SHA256_MAX_LENGTH);
    expect(tooLarge.length).toBeGreaterThan(0);
    expect(tests.filter((t) => t.result !== 'valid')).toEqual(tooLarge);
    for (const t of tooLarge) {
      expect(() => hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size)).toThrow(RangeError);
    }
  });
});

describe('Ed25519 (ed25519_test.json)', () => {
  const groups = load<EddsaGroup>('ed25519_test.json');

  it('accepts every valid signature and refuses every invalid one', () => {
    const ran = { valid: 0, invalid: 0 };
    for (const g of groups) {
      const pk = hex(g.publicKey.pk);
      for (const t of g.tests) {
        expect(verifyEd25519(pk, hex(t.msg), hex(t.sig)), `tcId ${t.tcId}`).toBe(t.result === 'valid');
        ran[t.result === 'valid' ? 'valid' : 'invalid']++;
      }
    }
    expect(ran.valid).toBeGreaterThan(0);
    expect(ran.invalid).toBeGreaterThan(0);
  });
});
