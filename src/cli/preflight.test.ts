import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, TOKEN } from '../../test/support/cli.ts';
import { selfSignedCertificate } from '../../test/support/tls.ts';

/**
 * A refused `serve` or `init` leaves the disk exactly as it was: no data directory, key, database or admin token
 * (a token created and never shown would be lost). Each case names what to fix.
 */
describe('serve and init check the whole configuration before creating anything', () => {
  let dir: string;
  let certs: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-preflight-'));
    certs = path.join(dir, 'certs');
    fs.mkdirSync(certs);
    for (const name of ['a', 'b']) selfSignedCertificate(certs, name);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Where each case's data directory lives (its parent exists, it does not). */
  let n = 0;
  const fresh = () => path.join(dir, `data-${++n}`);

  async function refused(env: NodeJS.ProcessEnv, ...argv: string[]) {
    const dataDir = env.SIGILO_DATA_DIR!;
    const before = fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : null;
    const res = await cli({ SIGILO_LOG_LEVEL: 'info', ...env }, ...argv);
    expect(res.code).toBe(1);
    expect(fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : null).toEqual(before);
    expect(res.out).not.toMatch(TOKEN);
    expect(res.err).not.toContain('token.created');
    return res;
  }

  it('plain HTTP off loopback without TLS or --insecure-http: no data directory, no token', async () => {
    const res = await refused({ SIGILO_DATA_DIR: fresh() }, 'serve', '--host', '0.0.0.0', '--port', '0');
    expect(res.err).toContain('refusing to serve plain HTTP on 0.0.0.0');
    expect(res.err).toContain('--insecure-http');
  });

  it('an existing empty data directory stays empty', async () => {
    const dataDir = fresh();
    fs.mkdirSync(dataDir, { mode: 0o700 });
    await refused({ SIGILO_DATA_DIR: dataDir }, 'serve', '--host', '0.0.0.0', '--port', '0');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('TLS files that cannot be read, or that do not belong together, name the variable', async () => {
    const missing = await refused(
      {
        SIGILO_DATA_DIR: fresh(),
        SIGILO_TLS_CERT_FILE: path.join(certs, 'nope.pem'),
        SIGILO_TLS_KEY_FILE: path.join(certs, 'a.key'),
      },
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    );
    expect(missing.err).toContain('CONFIG_INVALID');
    expect(missing.err).toContain(
      `SIGILO_TLS_CERT_FILE: cannot read ${path.join(certs, 'nope.pem')} (ENOENT)`,
    );

    const mismatch = await refused(
      {
        SIGILO_DATA_DIR: fresh(),
        SIGILO_TLS_CERT_FILE: path.join(certs, 'a.pem'),
        SIGILO_TLS_KEY_FILE: path.join(certs, 'b.key'),
      },
      'serve',
      '--port',
      '0',
    );
    expect(mismatch.err).toMatch(/SIGILO_TLS_KEY_FILE: not a usable certificate and private key pair/);
    expect(mismatch.err).not.toContain('PRIVATE KEY');
  });

  it('a port already in use and an address that is not this machine', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const res = await refused({ SIGILO_DATA_DIR: fresh() }, 'serve', '--port', String(port));
      expect(res.err).toContain(`SIGILO_HTTP_PORT: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    const foreign = await refused(
      { SIGILO_DATA_DIR: fresh() },
      'serve',
      '--host',
      '192.0.2.10', // TEST-NET-1: never an address of this machine
      '--insecure-http',
      '--port',
      '0',
    );
    expect(foreign.err).toContain('SIGILO_HTTP_HOST: cannot listen on 192.0.2.10');
  });

  it('a PostgreSQL database that does not answer is NOT_READY, and the URL is not printed', async () => {
    const url = 'postgres://sigilo:s3cret@127.0.0.1:1/sigilo';
    for (const argv of [['serve', '--port', '0'], ['init']]) {
      const res = await refused({ SIGILO_DATA_DIR: fresh(), SIGILO_DATABASE_URL: url }, ...argv);
      expect(res.err).toContain('NOT_READY: cannot reach the PostgreSQL database of SIGILO_DATABASE_URL');
      expect(res.err).not.toContain('s3cret');
    }
    const noCa = await refused(
      { SIGILO_DATA_DIR: fresh(), SIGILO_DATABASE_URL: url, SIGILO_PG_SSLMODE: 'verify-full' },
      'serve',
    );
    expect(noCa.err).toContain('SIGILO_PG_CA_FILE is required with SIGILO_PG_SSLMODE=verify-full');
  });

  it('a bad environment master key, an insecure key file and a data directory that cannot be created', async () => {
    const env = await refused(
      { SIGILO_DATA_DIR: fresh(), SIGILO_KEY_PROVIDER: 'env', SIGILO_MASTER_KEY: 'not-base64-of-32-bytes' },
      'init',
    );
    expect(env.err).toContain('CONFIG_INVALID');

    const keyDir = path.join(dir, 'keys');
    fs.mkdirSync(keyDir, { mode: 0o700 });
    const keyFile = path.join(keyDir, 'master.key');
    fs.writeFileSync(keyFile, '{}', { mode: 0o644 });
    const insecure = await refused(
      { SIGILO_DATA_DIR: fresh(), SIGILO_KEY_FILE: keyFile },
      'serve',
      '--port',
      '0',
    );
    expect(insecure.err).toContain('KEY_FILE_INSECURE');

    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const res = await refused({ SIGILO_DATA_DIR: path.join(blocker, 'data') }, 'init');
    expect(res.err).toContain('CONFIG_INVALID: invalid configuration: SIGILO_DATA_DIR');
    expect(fs.statSync(blocker).isFile()).toBe(true);
  });
});
