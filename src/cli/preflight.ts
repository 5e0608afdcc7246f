/**
 * Checks the whole configuration before `serve` or `init` creates anything (data directory, master key, database,
 * first admin token): a refused start leaves the disk as it was. Each failure names the variable to change.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { sql } from 'kysely';
import { openConfiguredStore, openKeyProvider } from '../app.ts';
import type { SigiloConfig } from '../config/config.ts';
import { assertCreatableDirectory, assertPrivateDirectory, errnoOf } from '../config/private-files.ts';
import { SigiloError } from '../errors.ts';
import { createOidcVerifier } from '../http/auth/oidc.ts';
import { assertListenAllowed } from '../http/server.ts';

const codeOf = (err: unknown): string => errnoOf(err) ?? 'error';

function invalid(variable: string, problem: string): SigiloError {
  return new SigiloError('CONFIG_INVALID', `invalid configuration: ${variable}: ${problem}`, {
    issues: [{ variable, problem }],
  });
}

/** DATA_DIR_INSECURE when group or others may write the data directory or the key file's directory. */
export function assertPrivateDirectories(config: SigiloConfig): void {
  assertPrivateDirectory(config.dataDir, 'the data directory', 'SIGILO_DATA_DIR');
  if (config.keys.provider === 'local-file') {
    assertPrivateDirectory(path.dirname(config.keys.file), 'the master key directory', 'SIGILO_KEY_FILE');
  }
}

/** The directories Sigilo will write: private when they exist, creatable when they do not. */
function checkDirectories(config: SigiloConfig): void {
  assertPrivateDirectories(config);
  assertCreatableDirectory(config.dataDir, 'SIGILO_DATA_DIR');
  if (config.keys.provider === 'local-file') {
    assertCreatableDirectory(path.dirname(config.keys.file), 'SIGILO_KEY_FILE');
  }
  if (config.recordings.store.kind === 'filesystem') {
    assertCreatableDirectory(config.recordings.store.dir, 'SIGILO_RECORDINGS_DIR');
  }
}

/** An existing key file must be private and parse; the environment provider must hold a valid key. */
async function checkKeys(config: SigiloConfig): Promise<void> {
  if (config.keys.provider === 'local-file' && !fs.existsSync(config.keys.file)) return;
  await openKeyProvider(config);
}

/** PostgreSQL must answer (with the configured TLS); SQLite needs only its directory. */
async function checkDatabase(config: SigiloConfig): Promise<void> {
  if (config.store.kind !== 'postgres') return;
  if (config.store.caFile) {
    try {
      fs.accessSync(config.store.caFile, fs.constants.R_OK);
    } catch (err) {
      throw invalid('SIGILO_PG_CA_FILE', `cannot read ${config.store.caFile} (${codeOf(err)})`);
    }
  }
  const store = openConfiguredStore(config);
  try {
    await sql`select 1`.execute(store.db);
  } catch (err) {
    // The URL can hold a password and a driver message can quote it: only the error code is shown.
    throw new SigiloError(
      'NOT_READY',
      `cannot reach the PostgreSQL database of SIGILO_DATABASE_URL (${codeOf(err)}); nothing was created`,
      { variable: 'SIGILO_DATABASE_URL', reason: codeOf(err) },
    );
  } finally {
    await store.close().catch(() => undefined);
  }
}

function readTlsFile(file: string, variable: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw invalid(variable, `cannot read ${file} (${codeOf(err)})`);
  }
}

/** The certificate and key must be readable and belong together. */
function checkTls(http: SigiloConfig['http']): void {
  if (!http.tls) return;
  const cert = readTlsFile(http.tls.certFile, 'SIGILO_TLS_CERT_FILE');
  const key = readTlsFile(http.tls.keyFile, 'SIGILO_TLS_KEY_FILE');
  try {
    tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    // OpenSSL's code says what is wrong (no PEM, key mismatch) without quoting the key.
    throw invalid('SIGILO_TLS_KEY_FILE', `not a usable certificate and private key pair (${codeOf(err)})`);
  } finally {
    key.fill(0);
  }
}

/** Binds the address once and lets go, so a busy port or a foreign address is refused before anything exists. */
function checkListen(http: SigiloConfig['http']): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => {
      const code = codeOf(err);
      if (code === 'EADDRINUSE') {
        reject(invalid('SIGILO_HTTP_PORT', `port ${http.port} on ${http.host} is already in use`));
      } else if (code === 'EACCES') {
        reject(invalid('SIGILO_HTTP_PORT', `not allowed to listen on port ${http.port} (${code})`));
      } else {
        reject(invalid('SIGILO_HTTP_HOST', `cannot listen on ${http.host} (${code})`));
      }
    });
    probe.listen({ host: http.host, port: http.port, exclusive: true }, () => {
      probe.close(() => resolve());
    });
  });
}

/**
 * Validates everything `init` (storage, keys, database, identity provider) and, with `serve`, the HTTP listener
 * need; creates nothing. Throws the first problem found.
 */
export async function preflight(config: SigiloConfig, options: { serve: boolean }): Promise<void> {
  if (options.serve) {
    assertListenAllowed(config.http);
    checkTls(config.http);
  }
  checkDirectories(config);
  await checkKeys(config);
  if (config.oidc)
    createOidcVerifier(
      config.oidc,
      () => true,
      () => new Date(),
    );
  await checkDatabase(config);
  if (options.serve) await checkListen(config.http);
}
