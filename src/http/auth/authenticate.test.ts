import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessLogFor,
  createTestApp,
  expectError,
  seedCustomer,
  type TestApp,
} from '../../../test/support/http.ts';
import { DIALECTS } from '../../../test/support/stores.ts';

describe.each(DIALECTS)('staff token authentication on %s', (dialect) => {
  let h: TestApp;
  beforeAll(async () => {
    h = await createTestApp(dialect, { env: { SIGILO_AUTH_FAILURES_PER_MINUTE: '3' } });
  });
  afterAll(async () => h.cleanup());

  const me = (authorization?: string, remoteAddress = '10.0.0.1') =>
    h.app.inject({ url: '/v1/me', remoteAddress, headers: authorization ? { authorization } : {} });

  it('accepts a valid token and says who it speaks for', async () => {
    const res = await me(`Bearer ${await h.token('support_agent')}`);
    expect(res.json()).toMatchObject({ role: 'support_agent', via: 'token' });
    expect(res.json<{ actor: string }>().actor).toMatch(/^token:/);
  });

  it('answers 401 UNAUTHENTICATED with a WWW-Authenticate challenge when no token is given', async () => {
    const res = await me(undefined, '10.0.0.2');
    expectError(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="sigilo"');
  });

  it('refuses other schemes and unknown tokens', async () => {
    expectError(await me('Basic dXNlcjpwYXNz', '10.0.0.3'), 401, 'UNAUTHENTICATED');
    expectError(await me(`Bearer sgl_${'x'.repeat(43)}`, '10.0.0.3'), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const { token } = await h.tokens.create({
      role: 'billing',
      label: 'one day',
      createdBy: 'test',
      ttlDays: 1,
    });
    expect((await me(`Bearer ${token}`, '10.0.0.4')).statusCode).toBe(200);
    h.clock.advanceDays(2);
    try {
      expectError(await me(`Bearer ${token}`, '10.0.0.4'), 401, 'TOKEN_EXPIRED');
    } finally {
      h.clock.advanceDays(-2);
    }
  });

  it('refuses a token revoked through the admin route at once', async () => {
    const { token, info } = await h.tokens.create({ role: 'billing', label: 'to revoke', createdBy: 'test' });
    expect((await me(`Bearer ${token}`, '10.0.0.5')).statusCode).toBe(200);
    const revoke = await h.app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${info.id}`,
      headers: await h.headers('admin'),
    });
    expect(revoke.json()).toMatchObject({
      id: info.id,
      revokedBy: expect.stringMatching(/^token:/) as string,
    });
    expectError(await me(`Bearer ${token}`, '10.0.0.5'), 401, 'TOKEN_REVOKED');
  });

  it('answers 429 RATE_LIMITED to an address after too many failed authentications, even with a good token', async () => {
    const bad = `Bearer sgl_${'y'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expectError(await me(bad, '10.9.9.9'), 401, 'UNAUTHENTICATED');
    const limited = await me(`Bearer ${await h.token('support_agent')}`, '10.9.9.9');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Other addresses are not affected, and successes do not count.
    for (let i = 0; i < 5; i++)
      expect((await me(`Bearer ${await h.token('support_agent')}`, '10.0.0.6')).statusCode).toBe(200);
  });
});

describe.each(DIALECTS)('OIDC authentication on %s', (dialect) => {
  const issuer = 'https://idp.example.com/realms/sigilo';
  const audience = 'sigilo-api';
  let h: TestApp;
  let dir: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;

  const jwt = (
    claims: Record<string, unknown>,
    options: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? audience)
      .setSubject('8f14e45f-ceea-467f-a1e3-9d1c2b3a4d5e')
      .setIssuedAt(Math.floor(h.clock.now().getTime() / 1000))
      .setExpirationTime(options.exp ?? Math.floor(h.clock.now().getTime() / 1000) + 300)
      .sign(options.key ?? key);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-jwks-'));
    const jwksFile = path.join(dir, 'jwks.json');
    fs.writeFileSync(
      jwksFile,
      JSON.stringify({
        keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }],
      }),
    );
    h = await createTestApp(dialect, {
      env: {
        SIGILO_OIDC_ISSUER: issuer,
        SIGILO_OIDC_AUDIENCE: audience,
        SIGILO_OIDC_JWKS_FILE: jwksFile,
        SIGILO_OIDC_ROLE_CLAIM: 'sigilo_role',
      },
    });
  });
  afterAll(async () => {
    await h.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = (token: string, url = '/v1/me', extra: Record<string, string> = {}) =>
    h.app.inject({ url, headers: { authorization: `Bearer ${token}`, ...extra } });

  it('accepts a JWT signed by the configured key set and takes the role from the claim', async () => {
    const res = await call(await jwt({ sigilo_role: 'support_agent' }));
    expect(res.json()).toMatchObject({
      actor: 'oidc:8f14e45f-ceea-467f-a1e3-9d1c2b3a4d5e',
      role: 'support_agent',
      via: 'oidc',
    });
  });

  it('lets an OIDC user reach personal data through the gate, logged under the OIDC actor', async () => {
    const seed = await seedCustomer(h.sigilo);
    const res = await call(await jwt({ sigilo_role: 'support_agent' }), `/v1/accounts/${seed.accountId}`, {
      'sigilo-purpose': 'support',
    });
    expect(res.statusCode).toBe(200);
    const entries = await h.sigilo.store.db
      .selectFrom('access_log')
      .select('actor')
      .where('request_id', '=', String(res.headers['x-request-id']))
      .execute();
    expect(entries.map((e) => e.actor)).toContain('oidc:8f14e45f-ceea-467f-a1e3-9d1c2b3a4d5e');
  });

  it('rejects a JWT signed by another key, for another audience or issuer, or without a known role', async () => {
    expectError(
      await call(await jwt({ sigilo_role: 'support_agent' }, { key: otherKey })),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await call(await jwt({ sigilo_role: 'support_agent' }, { aud: 'other-api' })),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await call(await jwt({ sigilo_role: 'support_agent' }, { iss: 'https://evil.example' })),
      401,
      'UNAUTHENTICATED',
    );
    expectError(await call(await jwt({ sigilo_role: 'root' })), 401, 'UNAUTHENTICATED');
    expectError(await call(await jwt({})), 401, 'UNAUTHENTICATED');
    expectError(await call('not.a.jwt'), 401, 'UNAUTHENTICATED');
  });

  it('rejects an expired JWT with TOKEN_EXPIRED', async () => {
    const past = Math.floor(h.clock.now().getTime() / 1000) - 3600;
    expectError(await call(await jwt({ sigilo_role: 'support_agent' }, { exp: past })), 401, 'TOKEN_EXPIRED');
  });

  it('rejects a shared-secret (HS256) JWT even when it names a valid role', async () => {
    const forged = await new SignJWT({ sigilo_role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('x')
      .setExpirationTime(Math.floor(h.clock.now().getTime() / 1000) + 300)
      .sign(new TextEncoder().encode('a'.repeat(32)));
    expectError(await call(forged), 401, 'UNAUTHENTICATED');
  });

  it('never takes the server-only role from the identity provider', async () => {
    expectError(await call(await jwt({ sigilo_role: 'system' })), 401, 'UNAUTHENTICATED');
    expect((await call(await jwt({ sigilo_role: 'legal' }))).json()).toMatchObject({ role: 'legal' });
  });

  it('refuses a person who requested a token as admin approving it as DPO (same OIDC subject)', async () => {
    const requested = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${await jwt({ sigilo_role: 'admin' })}` },
      payload: { role: 'billing', label: 'self-approved' },
    });
    expect(requested.statusCode).toBe(202);
    const { info } = requested.json<{ info: { id: string } }>();
    const approve = await h.app.inject({
      method: 'POST',
      url: `/v1/tokens/${info.id}/approve`,
      headers: { authorization: `Bearer ${await jwt({ sigilo_role: 'dpo' })}` },
    });
    expectError(approve, 403, 'SECOND_APPROVER_REQUIRED');
    const log = await accessLogFor(h.sigilo, String(approve.headers['x-request-id']));
    expect(log).toContainEqual(expect.objectContaining({ outcome: 'denied', role: 'dpo' }));
  });

  it('still accepts staff tokens next to OIDC', async () => {
    expect((await call(await h.token('auditor'))).json()).toMatchObject({ role: 'auditor', via: 'token' });
  });
});
