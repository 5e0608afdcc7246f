/**
 * Security events are access-log entries (issue 13 §2): refusals before the gate (authentication, role,
 * validation), token issuance and revocation, policy publication and the auditor's reads — floods summarised,
 * and never a credential or a value the client sent.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainedEntry } from '../../src/access-log/access-log.entry.ts';
import { createTestApp, type TestApp } from '../support/http.ts';
import { DIALECTS } from '../support/stores.ts';
import { logEntries } from '../support/vault.ts';

describe.each(DIALECTS)('security events in the access log on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => t.cleanup());

  /** Entries appended while `work` ran. */
  async function during(work: () => Promise<unknown>): Promise<ChainedEntry[]> {
    const before = (await logEntries(t.sigilo)).length;
    await work();
    return (await logEntries(t.sigilo)).slice(before);
  }
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('authentication failures: missing, garbage, expired and revoked tokens, a bad JWT', async () => {
    const garbage = `sgl_${'A'.repeat(43)}`;
    const expiring = (
      await t.tokens.create({ role: 'auditor', label: 'expiring', createdBy: 'test', ttlDays: 1 })
    ).token;
    const revoked = await t.tokens.create({ role: 'auditor', label: 'revoked', createdBy: 'test' });
    await t.tokens.revoke(revoked.info.id, 'test');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const entries = await during(async () => {
      expect((await get('/v1/me')).statusCode).toBe(401);
      expect((await get('/v1/me', { authorization: `Bearer ${garbage}` })).statusCode).toBe(401);
      expect((await get('/v1/me', { authorization: `Bearer ${revoked.token}` })).statusCode).toBe(401);
      expect((await get('/v1/me', { authorization: `Bearer ${jwt}` })).statusCode).toBe(401);
      expect((await get('/v1/me', { authorization: 'Basic c2VjcmV0LWJhc2lj' })).statusCode).toBe(401);
      t.clock.advanceDays(2);
      expect((await get('/v1/me', { authorization: `Bearer ${expiring}` })).statusCode).toBe(401);
      t.clock.advanceDays(-2);
    });
    expect(entries.map((e) => [e.operation, e.outcome, e.actor, e.reason?.split(':')[0]])).toEqual([
      ['auth.refused', 'denied', 'anonymous', 'UNAUTHENTICATED'],
      ['auth.refused', 'denied', 'anonymous', 'UNAUTHENTICATED'],
      ['auth.refused', 'denied', 'anonymous', 'TOKEN_REVOKED'],
      ['auth.refused', 'denied', 'anonymous', 'UNAUTHENTICATED'],
      ['auth.refused', 'denied', 'anonymous', 'UNAUTHENTICATED'],
      ['auth.refused', 'denied', 'anonymous', 'TOKEN_EXPIRED'],
    ]);
    expect(entries[1]!.reason).toMatch(/^UNAUTHENTICATED: staff token sha256:[0-9a-f]{12} on GET \/v1\/me$/);
    expect(entries[3]!.reason).toBe('UNAUTHENTICATED: bearer JWT on GET /v1/me');
    expect(entries[4]!.reason).toBe('UNAUTHENTICATED: malformed Authorization header on GET /v1/me');
    // No credential and no stored token hash is in the log; a staff token is named by a 12-digit hash prefix.
    const text = JSON.stringify(entries);
    const stored = createHash('sha256').update(revoked.token).digest('hex');
    for (const secret of [
      garbage,
      expiring,
      revoked.token,
      jwt,
      garbage.slice(4),
      'c2VjcmV0LWJhc2lj',
      stored,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(entries[2]!.reason).toContain(`sha256:${stored.slice(0, 12)} `);
    expect(await t.sigilo.accessLog.verify()).toMatchObject({ ok: true });
  });

  it('a flood of refusals is one entry, then one summary entry per interval', async () => {
    const entries = await during(async () => {
      for (let i = 0; i < 30; i++) {
        await get('/v1/tokens', { authorization: `Bearer sgl_${String(i).padStart(43, 'x')}` });
      }
      await t.sigilo.accessLog.security.flush();
    });
    expect(entries.map((e) => e.operation)).toEqual(['auth.refused', 'auth.refused']);
    expect(entries[1]!.reason).toMatch(/summary: 29 more in the last 60 s/);
    expect(entries[1]!.requestId).toBe('summary');
  });

  it('a role refusal names the token and the route, not the request', async () => {
    const headers = await t.headers('support_agent');
    const entries = await during(async () => {
      const res = await get('/v1/audit/log', headers);
      expect(res.statusCode).toBe(403);
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      operation: 'role.refused',
      outcome: 'denied',
      role: 'support_agent',
      actor: expect.stringMatching(/^token:[0-9a-f-]{36}$/) as unknown,
      reason: 'ROLE_NOT_ALLOWED on GET /v1/audit/log',
    });
  });

  it('a request refused by validation before the gate, without the value sent', async () => {
    const headers = {
      ...(await t.headers('support_agent', 'contracting')),
      'content-type': 'application/json',
    };
    const entries = await during(async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/people',
        headers,
        payload: { name: 'Joana Secreta da Silva', phones: [12345], nickname: 'Jo' },
      });
      expect(res.statusCode).toBe(400);
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      operation: 'request.refused',
      outcome: 'denied',
      role: 'support_agent',
      reason: expect.stringMatching(/^VALIDATION_FAILED \(body[.\w[\]]*\) on POST \/v1\/people$/) as unknown,
    });
    expect(JSON.stringify(entries)).not.toMatch(/Joana|Secreta|12345|"Jo"/);
  });

  it('token creation and revocation, with the token id and role, never the token', async () => {
    const admin = await t.headers('admin');
    let token = '';
    let id = '';
    const entries = await during(async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: { role: 'auditor', label: 'auditoria externa' },
      });
      expect(res.statusCode).toBe(201);
      ({ token } = res.json<{ token: string }>());
      id = res.json<{ info: { id: string } }>().info.id;
      expect(
        (await t.app.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: admin })).statusCode,
      ).toBe(200);
    });
    expect(entries.map((e) => [e.operation, e.role, e.reason])).toEqual([
      ['token.issue', 'admin', `token ${id} role auditor`],
      ['token.revoke', 'admin', `token ${id} role auditor`],
    ]);
    expect(JSON.stringify(entries)).not.toContain(token);
  });

  it('policy publication', async () => {
    const next = { ...t.sigilo.policies.policy(), version: t.sigilo.policies.policy().version + 1 };
    const entries = await during(() =>
      t.sigilo.policies.publish(next, 'dpo-1', { role: 'dpo', requestId: 'req-p' }),
    );
    expect(entries).toEqual([
      expect.objectContaining({
        operation: 'policy.publish',
        actor: 'dpo-1',
        role: 'dpo',
        reason: `version ${next.version}`,
        requestId: 'req-p',
        policyVersion: next.version,
      }),
    ]);
  });

  it("the auditor's reads of the log and its verifications", async () => {
    const auditor = await t.headers('auditor');
    const entries = await during(async () => {
      expect((await get('/v1/audit/log?limit=5', auditor)).statusCode).toBe(200);
      expect((await get('/v1/audit/verify', auditor)).json()).toMatchObject({ ok: true });
    });
    expect(entries.map((e) => [e.operation, e.role, e.outcome])).toEqual([
      ['audit.read_log', 'auditor', 'allowed'],
      ['audit.verify', 'auditor', 'allowed'],
    ]);
    expect(entries[0]!.reason).toBe('entries after seq 0, 5 read');
  });
});
