import fs from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomer } from '../../test/support/http.ts';
import { createTestSigilo, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { selfSignedCertificate } from '../../test/support/tls.ts';
import { loadConfig } from '../config/config.ts';
import { isSigiloError } from '../errors.ts';
import { StaffTokenService } from '../tokens/staff-token.service.ts';
import { createLogger } from './logger.ts';
import { assertListenAllowed, isLoopback, startServer, type RunningServer } from './server.ts';

describe('isLoopback', () => {
  it('knows loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.10', 'sigilo.example.com', '::ffff:10.0.0.1'])
      expect(isLoopback(h)).toBe(false);
  });
});

describe('the plain-HTTP rule', () => {
  const http = (env: Record<string, string>) => loadConfig({ SIGILO_DATA_DIR: os.tmpdir(), ...env }).http;

  it('refuses a non-loopback address over plain HTTP, saying why and how to fix it', () => {
    let err: unknown;
    try {
      assertListenAllowed(http({ SIGILO_HTTP_HOST: '0.0.0.0' }));
    } catch (e) {
      err = e;
    }
    expect(isSigiloError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(
      /refusing to serve plain HTTP on 0\.0\.0\.0: personal data .* unencrypted/,
    );
    expect((err as Error).message).toContain('--insecure-http');
  });

  it('allows loopback, TLS, or an explicit --insecure-http', () => {
    expect(() => assertListenAllowed(http({}))).not.toThrow();
    expect(() =>
      assertListenAllowed(http({ SIGILO_HTTP_HOST: '0.0.0.0', SIGILO_INSECURE_HTTP: 'true' })),
    ).not.toThrow();
    expect(() =>
      assertListenAllowed(
        http({ SIGILO_HTTP_HOST: '0.0.0.0', SIGILO_TLS_CERT_FILE: 'c.pem', SIGILO_TLS_KEY_FILE: 'k.pem' }),
      ),
    ).not.toThrow();
  });
});

describe.each(DIALECTS)('a real listener on %s', (dialect) => {
  let t: Awaited<ReturnType<typeof createTestSigilo>>;
  let certDir: string;
  let tls: { certFile: string; keyFile: string };
  let cert: Buffer;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-tls-'));
    tls = selfSignedCertificate(certDir);
    cert = fs.readFileSync(tls.certFile);
  });
  afterAll(async () => {
    await server?.close();
    await t.cleanup();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('refuses to start on a non-loopback address over plain HTTP', async () => {
    const config = loadConfig({ SIGILO_DATA_DIR: t.dir, SIGILO_HTTP_HOST: '0.0.0.0', SIGILO_HTTP_PORT: '0' });
    await expect(startServer(t.sigilo, config, { logger: createLogger('silent') })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('serves HTTPS (TLS 1.2+) with HSTS, and answers a purpose-bound lookup over it', async () => {
    const config = loadConfig({
      SIGILO_DATA_DIR: t.dir,
      SIGILO_HTTP_HOST: '127.0.0.1',
      SIGILO_HTTP_PORT: '0',
      SIGILO_TLS_CERT_FILE: tls.certFile,
      SIGILO_TLS_KEY_FILE: tls.keyFile,
    });
    const tokens = new StaffTokenService(t.sigilo.store, () => t.sigilo.policies.policy(), t.sigilo.now, {
      defaultTtlDays: 1,
      accessLog: t.sigilo.accessLog.writer,
      labels: t.sigilo.tokenLabels,
    });
    server = await startServer(t.sigilo, config, {
      logger: createLogger('silent'),
      tokens,
      processMetrics: false,
    });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.docsUrl).toBe(`${server.url}/docs`);
    await seedCustomer(t.sigilo);
    const { token } = await tokens.create({ role: 'support_agent', label: 'tls test', createdBy: 'test' });

    const res = await request(`${server.url}/v1/people/lookup`, {
      method: 'POST',
      ca: cert,
      headers: {
        authorization: `Bearer ${token}`,
        'sigilo-purpose': 'support',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ phone: SAMPLE.phone }),
    });
    expect(res.status).toBe(200);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(res.protocol);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect((JSON.parse(res.body) as { people: unknown[] }).people).toHaveLength(1);

    // A client limited to TLS 1.1 cannot connect.
    await expect(
      request(`${server.url}/healthz`, {
        method: 'GET',
        ca: cert,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      }),
    ).rejects.toThrow();
  });
});

function request(
  url: string,
  options: https.RequestOptions & { body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
