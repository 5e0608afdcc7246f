import rateLimit from '@fastify/rate-limit';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { installAuthentication } from '../http/auth/authenticate.ts';
import { installErrorHandlers } from '../http/errors/error-handler.ts';
import { createMetrics } from '../http/metrics.ts';
import { routeServicesOf } from '../http/route-services.ts';
import { StaffTokenService } from '../tokens/staff-token.service.ts';
import { createTestSigilo, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { buildCustomer, type Customer } from '../../test/retention/retention.fixture.ts';
import { retentionRoutes } from './retention.routes.ts';

/** The plugin mounted under /v1 behind the real authentication hook and error handler. */
async function appFor(sigilo: Sigilo, clock: TestClock) {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('errorCode', null);
  installErrorHandlers(app);
  await app.register(rateLimit, { global: false });
  const tokens = new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), clock.now, {
    defaultTtlDays: 30,
    accessLog: sigilo.accessLog.writer,
    labels: sigilo.tokenLabels,
    log: { info: () => undefined },
  });
  await app.register(
    async (v1) => {
      installAuthentication(v1, {
        tokens,
        oidc: null,
        subjectAssertions: null,
        isSubjectBound: () => false,
        policy: () => sigilo.policies.policy(),
        metrics: createMetrics({ processMetrics: false }),
        failuresPerMinute: 1000,
      });
      await v1.register(retentionRoutes, { services: routeServicesOf(sigilo) });
    },
    { prefix: '/v1' },
  );
  await app.ready();
  const auth = async (role: string) => ({
    authorization: `Bearer ${(await tokens.create({ role, label: role, createdBy: 'test' })).token}`,
  });
  return { app, auth };
}

describe.each(DIALECTS)('retention routes on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup(): Promise<
    { sigilo: Sigilo; clock: TestClock; c: Customer } & Awaited<ReturnType<typeof appFor>>
  > {
    const t = await createTestSigilo(dialect);
    const c = await buildCustomer(t.sigilo, t.clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: '2027-06-30',
    });
    const a = await appFor(t.sigilo, t.clock);
    cleanup = async () => {
      await a.app.close();
      await t.cleanup();
    };
    return { sigilo: t.sigilo, clock: t.clock, c, ...a };
  }

  it('previews, holds and certifies through HTTP, each for the roles allowed', async () => {
    const { app, auth, c, clock, sigilo } = await setup();
    clock.set('2029-02-01T00:00:00.000Z');

    const preview = await app.inject({
      method: 'GET',
      url: '/v1/retention/preview',
      headers: await auth('dpo'),
    });
    expect(preview.statusCode).toBe(200);
    const lines = preview.json<{
      targets: { target: string; due: { items: number }; nextExpiry: string | null }[];
    }>().targets;
    expect(lines.find((l) => l.target === 'core.tickets')).toMatchObject({ due: { items: 1 } });
    expect(lines.find((l) => l.target === 'core.contracts')?.nextExpiry).toBe('2032-07-01T03:00:00.000Z');
    const denied = await app.inject({
      method: 'GET',
      url: '/v1/retention/preview',
      headers: await auth('support_agent'),
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { code: 'ROLE_NOT_ALLOWED' } });

    const legal = await auth('legal');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: legal,
      payload: {
        kind: 'preservation',
        scope: { kind: 'account', id: c.accountId },
        categories: ['support_ticket'],
        reason: 'Requerimento cautelar',
        authorityRequestRef: 'IP 77/2029',
      },
    });
    expect(created.statusCode).toBe(201);
    const hold = created.json<{ id: string; status: string; expiresAt: string }>();
    expect(hold).toMatchObject({ status: 'active', expiresAt: '2029-04-02T00:00:00.000Z' });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: legal,
      payload: {
        kind: 'preservation',
        scope: { kind: 'account', id: c.accountId },
        categories: [],
        reason: 'x',
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/holds',
          headers: await auth('auditor'),
          payload: {
            kind: 'other',
            scope: { kind: 'account', id: c.accountId },
            categories: ['contract'],
            reason: 'x',
          },
        })
      ).statusCode,
    ).toBe(403);
    const list = await app.inject({
      method: 'GET',
      url: '/v1/holds?status=active',
      headers: await auth('auditor'),
    });
    expect(list.json<{ holds: { id: string }[] }>().holds.map((h) => h.id)).toEqual([hold.id]);

    // The held ticket stays; the rest of what expired goes, with a certificate that verifies over HTTP.
    const report = await sigilo.retention.run();
    expect(report.targets.find((t) => t.target === 'core.tickets')).toMatchObject({ items: 0, held: 1 });
    const released = await app.inject({
      method: 'POST',
      url: `/v1/holds/${hold.id}/release`,
      headers: legal,
      payload: { reason: 'Pedido judicial indeferido' },
    });
    expect(released.json()).toMatchObject({ status: 'released' });
    const detail = await app.inject({ method: 'GET', url: `/v1/holds/${hold.id}`, headers: legal });
    expect(detail.json<{ history: { kind: string }[] }>().history.map((h) => h.kind)).toEqual([
      'created',
      'released',
    ]);
    await sigilo.retention.run();

    const auditor = await auth('auditor');
    const certs = await app.inject({ method: 'GET', url: '/v1/retention/certificates', headers: auditor });
    const ids = certs.json<{ certificates: { id: string }[] }>().certificates.map((x) => x.id);
    expect(ids).toHaveLength(2);
    const one = await app.inject({
      method: 'GET',
      url: `/v1/retention/certificates/${ids[0]}`,
      headers: auditor,
    });
    expect(one.json()).toMatchObject({ algorithm: 'Ed25519', body: { type: 'sigilo.deletion-certificate' } });
    const verified = await app.inject({
      method: 'GET',
      url: `/v1/retention/certificates/${ids[0]}/verify`,
      headers: auditor,
    });
    expect(verified.json()).toEqual({ ok: true });
    const missing = await app.inject({
      method: 'GET',
      url: '/v1/retention/certificates/nope',
      headers: auditor,
    });
    expect(missing.statusCode).toBe(404);
  });
});
