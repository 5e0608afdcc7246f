import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSigilo, testClock, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { isSigiloError } from '../errors.ts';
import { StaffTokenService } from './staff-token.service.ts';

describe.each(DIALECTS)('staff tokens on %s', (dialect) => {
  let service: StaffTokenService;
  let clock: TestClock;
  let cleanup: () => Promise<void>;
  let sigilo: Awaited<ReturnType<typeof createTestSigilo>>['sigilo'];
  const logged: Record<string, unknown>[] = [];

  beforeAll(async () => {
    clock = testClock();
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    sigilo = t.sigilo;
    service = new StaffTokenService(t.sigilo.store, () => t.sigilo.policies.policy(), clock.now, {
      defaultTtlDays: 30,
      accessLog: t.sigilo.accessLog.writer,
      labels: t.sigilo.tokenLabels,
      log: { info: (obj) => logged.push(obj) },
    });
  });
  afterAll(async () => cleanup());

  it('creates a sgl_ token with 256 random bits that authenticates as its role, and stores only a hash', async () => {
    const { token, info } = await service.create({
      role: 'support_agent',
      label: 'desk 1',
      createdBy: 'cli',
    });
    expect(token).toMatch(/^sgl_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(info.expiresAt).toBe('2026-12-26T12:00:00.000Z');
    const who = await service.authenticate(token);
    expect(who).toMatchObject({ actor: `token:${info.id}`, role: 'support_agent' });
    expect(JSON.stringify(await service.list())).not.toContain(token);
    expect(JSON.stringify(logged)).not.toContain(token);
    expect(logged.at(-1)).toMatchObject({ event: 'token.created', tokenId: info.id });
  });

  it('refuses roles the policy does not declare and bad expiries', async () => {
    await expect(service.create({ role: 'root', label: 'x', createdBy: 'cli' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { path: 'role' },
    });
    await expect(
      service.create({ role: 'admin', label: 'x', createdBy: 'cli', ttlDays: 0 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { path: 'ttlDays' } });
  });

  it('expires tokens after their time-to-live', async () => {
    const { token } = await service.create({ role: 'billing', label: 'short', createdBy: 'cli', ttlDays: 1 });
    clock.advanceDays(1);
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    clock.advanceDays(-1);
    expect((await service.authenticate(token)).role).toBe('billing');
  });

  it('revokes at once, lists revoked tokens only on request, and refuses a second revocation', async () => {
    const { token, info } = await service.create({ role: 'auditor', label: 'audit', createdBy: 'cli' });
    const revoked = await service.revoke(info.id, 'token:admin');
    expect(revoked.revokedBy).toBe('token:admin');
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    expect((await service.list()).map((t) => t.id)).not.toContain(info.id);
    expect((await service.list({ includeInactive: true })).map((t) => t.id)).toContain(info.id);
    await expect(service.revoke(info.id, 'x')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(service.revoke('0190a5b2-7c1e-7d3a-9f1e-123456789abc', 'x')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('rejects unknown and malformed tokens alike', async () => {
    for (const t of ['sgl_' + 'A'.repeat(43), 'nope', '']) {
      const err: unknown = await service.authenticate(t).catch((e: unknown) => e);
      expect(isSigiloError(err, 'UNAUTHENTICATED')).toBe(true);
    }
  });

  const entriesOf = (requestId: string) =>
    sigilo.store.db
      .selectFrom('access_log')
      .select(['actor', 'role', 'operation', 'outcome', 'reason', 'subject_id'])
      .where('request_id', '=', requestId)
      .execute();

  it('logs a CLI issuance in the access log, without the token or its label', async () => {
    const { token, info } = await service.create({
      role: 'legal',
      label: 'Dra. Fulana',
      createdBy: 'cli',
      requestId: 'cli:issue-1',
    });
    const entries = await entriesOf('cli:issue-1');
    expect(entries).toEqual([
      {
        actor: 'cli',
        role: 'system',
        operation: 'token.issue',
        outcome: 'allowed',
        reason: `token ${info.id} role legal`,
        subject_id: null,
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(token);
    expect(JSON.stringify(entries)).not.toContain('Fulana');
  });

  it('refuses the requester deciding on its own request, even holding the DPO role', async () => {
    const alice = { actor: 'oidc:alice', role: 'admin', requestId: 'r-alice-1' };
    const { info } = await service.request({ role: 'billing', label: 'financeiro 2' }, alice);
    for (const decide of [service.approve.bind(service), service.reject.bind(service)]) {
      await expect(decide(info.id, { ...alice, role: 'dpo', requestId: 'r-alice-2' })).rejects.toMatchObject({
        code: 'SECOND_APPROVER_REQUIRED',
      });
    }
    expect((await entriesOf('r-alice-2')).map((e) => [e.operation, e.outcome])).toEqual([
      ['token.approve', 'denied'],
      ['token.reject', 'denied'],
    ]);
    const bob = { actor: 'oidc:bob', role: 'dpo', requestId: 'r-bob' };
    expect((await service.approve(info.id, bob)).status).toBe('active');
  });

  it('refuses at authentication a token minted over HTTP for a role that needed approval it never had', async () => {
    // What an administrator could mint before issue 13 §3: created over HTTP, active, never approved.
    const { token, info } = await service.create({ role: 'system', label: 'old', createdBy: 'cli' });
    await sigilo.store.db
      .updateTable('staff_tokens')
      .set({ issued_via: 'http', created_by: 'token:some-admin' })
      .where('id', '=', info.id)
      .execute();
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_NOT_APPROVED' });
  });

  it('refuses over HTTP the roles only the server or the identity provider may produce', async () => {
    const admin = { actor: 'token:admin', role: 'admin', requestId: 'r-refused' };
    for (const [role, issuance] of [
      ['system', 'server'],
      ['dpo', 'identity_provider'],
    ] as const) {
      await expect(service.request({ role, label: 'x' }, admin)).rejects.toMatchObject({
        code: 'ROLE_NOT_ISSUABLE',
        details: { role, issuance },
      });
    }
    // A DPO is no more able to obtain a system token than an administrator.
    await expect(
      service.request({ role: 'system', label: 'x' }, { ...admin, role: 'dpo' }),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ISSUABLE' });
    expect(await entriesOf('r-refused')).toHaveLength(3);
  });
  describe('the token cache', () => {
    let ms = 0;
    const cached = (): StaffTokenService =>
      new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), clock.now, {
        defaultTtlDays: 30,
        accessLog: sigilo.accessLog.writer,
        labels: sigilo.tokenLabels,
        cacheMs: 1000,
        monotonicMs: () => ms,
      });

    it('a revocation through the same instance is refused at once, warm cache or not', async () => {
      const here = cached();
      const { token, info } = await here.create({ role: 'billing', label: 'cache 1', createdBy: 'cli' });
      expect((await here.authenticate(token)).role).toBe('billing'); // now cached
      await here.revoke(info.id, 'cli');
      await expect(here.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    });

    it('a revocation on another instance is refused within the cache time, and the checks still run on a hit', async () => {
      const a = cached();
      const b = cached();
      const { token, info } = await a.create({ role: 'billing', label: 'cache 2', createdBy: 'cli' });
      expect((await a.authenticate(token)).role).toBe('billing');
      await b.revoke(info.id, 'cli');
      ms += 999; // within the bound a's cached row still answers (the documented window)
      expect((await a.authenticate(token)).role).toBe('billing');
      ms += 2;
      await expect(a.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
      // Expiry is checked on every request, cached row or not.
      const { token: t2 } = await a.create({
        role: 'billing',
        label: 'cache 3',
        createdBy: 'cli',
        ttlDays: 1,
      });
      expect((await a.authenticate(t2)).role).toBe('billing');
      clock.advanceDays(2);
      await expect(a.authenticate(t2)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('without a cache time every request reads the token', async () => {
      const { token, info } = await service.create({ role: 'billing', label: 'cache 4', createdBy: 'cli' });
      expect((await service.authenticate(token)).role).toBe('billing');
      await cached().revoke(info.id, 'cli');
      await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    });
  });
});
