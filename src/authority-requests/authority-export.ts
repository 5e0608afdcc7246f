/**
 * The answer package of an authority request (docs/authority-export.md): data files, cover letter, a manifest of
 * SHA-256 digests signed with Sigilo's Ed25519 key and carrying the structured request id of ETSI TS 102 657
 * (country, authorised organisation, request number), packed as a tar and encrypted with age (X25519 recipient or
 * scrypt passphrase). Verification needs neither the database nor any Sigilo key but the published public key.
 * Nothing in this file touches the database.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Decrypter, Encrypter } from 'age-encryption';
import tar from 'tar-stream';
import { SigiloError } from '../errors.ts';
import { verifyEd25519 } from '../crypto/signing.ts';

export const EXPORT_FORMAT = 'sigilo-authority-export/1';
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
/** Domain separation: the bytes signed are this prefix followed by manifest.json exactly as stored. */
const SIGNED_PREFIX = Buffer.from('sigilo/authority-export/v1\n');
const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');

/** TS 102 657 RequestID: CountryCode, AuthorisedOrganisationID, RequestNumber. */
export interface StructuredRequestId {
  countryCode: string;
  authorisedOrganisationId: string;
  requestNumber: string;
}

export interface Manifest {
  format: typeof EXPORT_FORMAT;
  requestId: StructuredRequestId;
  /** Sigilo's own id of the request. */
  sigiloRequestId: string;
  createdAt: string;
  signingKey: { algorithm: 'Ed25519'; publicKey: string };
  files: { path: string; bytes: number; sha256: string }[];
}

/** Signs with Sigilo's Ed25519 key (the key ring). */
export interface ExportSigner {
  readonly signingPublicKey: Buffer;
  sign(message: Buffer): Buffer;
}

/** Whom the package is encrypted for. */
export type ExportRecipient = { recipient: string } | { passphrase: string; scryptWorkFactor?: number };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Adds the signed manifest to `files` (path → bytes); returns the manifest. */
export function signPackage(
  files: Map<string, Buffer>,
  meta: { requestId: StructuredRequestId; sigiloRequestId: string; createdAt: string },
  signer: ExportSigner,
): Manifest {
  const manifest: Manifest = {
    format: EXPORT_FORMAT,
    requestId: meta.requestId,
    sigiloRequestId: meta.sigiloRequestId,
    createdAt: meta.createdAt,
    signingKey: { algorithm: 'Ed25519', publicKey: signer.signingPublicKey.toString('base64') },
    files: [...files]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, bytes]) => ({ path: p, bytes: bytes.length, sha256: sha256(bytes) })),
  };
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  files.set(MANIFEST, body);
  files.set(
    SIGNATURE,
    Buffer.from(`${signer.sign(Buffer.concat([SIGNED_PREFIX, body])).toString('base64')}\n`),
  );
  return manifest;
}

/** The files as one tar (fixed times and modes, sorted names). */
export async function packTar(files: Map<string, Buffer>, mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, body] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    pack.entry({ name, size: body.length, mode: 0o644, mtime }, body);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Encrypts the tar with age for the recipient (an `age1…` X25519 key) or a passphrase (scrypt). */
export async function encryptPackage(plain: Buffer, to: ExportRecipient): Promise<Buffer> {
  const e = new Encrypter();
  if ('recipient' in to) {
    if (!/^age1[02-9ac-hj-np-z]{58}$/.test(to.recipient)) {
      throw new SigiloError('VALIDATION_FAILED', 'the recipient must be an age X25519 public key (age1…)', {
        path: 'recipient',
      });
    }
    e.addRecipient(to.recipient);
  } else {
    if (to.passphrase.length < 12) {
      throw new SigiloError('VALIDATION_FAILED', 'a passphrase needs at least 12 characters', {
        path: 'passphrase',
      });
    }
    e.setPassphrase(to.passphrase);
    if (to.scryptWorkFactor) e.setScryptWorkFactor(to.scryptWorkFactor);
  }
  return Buffer.from(await e.encrypt(plain));
}

/** Reads a package as files: an age-encrypted tar (needs `identity` or `passphrase`), a plain tar, or a directory. */
export async function openPackage(
  location: string,
  keys: { identity?: string; passphrase?: string } = {},
): Promise<Map<string, Buffer>> {
  const stat = fs.statSync(location);
  if (stat.isDirectory()) return readDirectory(location);
  let bytes = fs.readFileSync(location);
  if (bytes.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC)) {
    if (!keys.identity && !keys.passphrase) {
      throw new SigiloError(
        'EXPORT_UNREADABLE',
        'the package is encrypted: give the identity or the passphrase',
        {
          path: 'package',
        },
      );
    }
    const d = new Decrypter();
    if (keys.identity) d.addIdentity(keys.identity.trim());
    if (keys.passphrase) d.addPassphrase(keys.passphrase);
    try {
      bytes = Buffer.from(await d.decrypt(bytes));
    } catch {
      // Wrong key, wrong passphrase or altered ciphertext: age authenticates every chunk and the header.
      throw new SigiloError(
        'EXPORT_UNREADABLE',
        'the package cannot be decrypted with this key, or it was altered',
        {
          path: 'package',
        },
      );
    }
  }
  return untar(bytes);
}

async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', () =>
      reject(new SigiloError('EXPORT_UNREADABLE', 'the package is not a tar archive', { path: 'package' })),
    );
  });
  Readable.from([bytes]).pipe(extract);
  await done;
  return files;
}

function readDirectory(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile())
        files.set(path.relative(root, full).split(path.sep).join('/'), fs.readFileSync(full));
    }
  };
  walk(root);
  return files;
}

/** What verification found. */
export interface ExportVerification {
  ok: boolean;
  signature: 'valid' | 'invalid' | 'missing';
  /** Whether the manifest's key is the published one (null when no published key was given). */
  publishedKey: boolean | null;
  requestId: StructuredRequestId | null;
  altered: string[];
  missing: string[];
  added: string[];
  problems: string[];
}

/** Checks the signed manifest against the files; `publicKey` is the published key (else the manifest's own). */
export function verifyPackage(files: Map<string, Buffer>, publicKey?: Buffer): ExportVerification {
  const report: ExportVerification = {
    ok: false,
    signature: 'missing',
    publishedKey: null,
    requestId: null,
    altered: [],
    missing: [],
    added: [],
    problems: [],
  };
  const body = files.get(MANIFEST);
  const sig = files.get(SIGNATURE);
  if (!body) {
    report.missing.push(MANIFEST);
    report.problems.push('no manifest: nothing can be verified');
    return report;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(body.toString('utf8')) as Manifest;
    if (manifest.format !== EXPORT_FORMAT || !Array.isArray(manifest.files)) throw new Error('format');
  } catch {
    report.problems.push('the manifest is not a Sigilo export manifest');
    return report;
  }
  report.requestId = manifest.requestId ?? null;
  const manifestKey = Buffer.from(manifest.signingKey?.publicKey ?? '', 'base64');
  const key = publicKey ?? manifestKey;
  if (publicKey) report.publishedKey = publicKey.equals(manifestKey);
  if (!sig) report.missing.push(SIGNATURE);
  else {
    const ok = verifyEd25519(
      key,
      Buffer.concat([SIGNED_PREFIX, body]),
      Buffer.from(sig.toString('utf8').trim(), 'base64'),
    );
    report.signature = ok ? 'valid' : 'invalid';
    if (!ok)
      report.problems.push(
        'the manifest signature does not verify: the manifest was altered or signed by another key',
      );
  }
  if (!publicKey)
    report.problems.push(
      'no published key given: the signature was checked against the key the manifest names',
    );
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const bytes = files.get(f.path);
    if (!bytes) report.missing.push(f.path);
    else if (bytes.length !== f.bytes || sha256(bytes) !== f.sha256) report.altered.push(f.path);
  }
  for (const name of files.keys()) {
    if (name !== MANIFEST && name !== SIGNATURE && !listed.has(name)) report.added.push(name);
  }
  report.ok =
    report.signature === 'valid' &&
    report.publishedKey !== false &&
    report.altered.length === 0 &&
    report.missing.length === 0 &&
    report.added.length === 0;
  return report;
}
