import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSigilo, testClock, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { isSigiloError } from '../errors.ts';
import { StaffTokenService } from './staff-token.service.ts';

describe.each(DIALECTS)('staff tokens on %s', (dialect) => {
  let service: StaffTokenService;
  let clock: TestClock;
  let cleanup: () => Promise<void>;
  const logged: Record<string, unknown>[] = [];

  beforeAll(async () => {
    clock = testClock();
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    service = new StaffTokenService(t.sigilo.store, () => t.sigilo.policies.policy(), clock.now, {
      defaultTtlDays: 30,
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
});
