/**
 * Duties are the policy's, not the code's: publishing a version that moves a duty from one role to another moves
 * who may call the routes and the services that need it, with nothing else changed (issue 12 §3). Over both
 * dialects, through the real app (authentication hook, routes, services) and the real publication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Duty, Policy } from '../../src/policy/index.ts';
import { rolesWithDuty } from '../../src/policy/index.ts';
import { accessLogFor, createTestApp, expectError, seedCustomer, type TestApp } from '../support/http.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';

/** The policy in force as the next version, with `duty` taken from `from` and given to `to`. */
function moved(policy: Policy, moves: { duty: Duty; from: string; to: string }[]): Policy {
  const doc = structuredClone(policy);
  doc.version += 1;
  for (const { duty, from, to } of moves) {
    doc.dutyGrants = doc.dutyGrants
      .map((g) => (g.role === from ? { ...g, duties: g.duties.filter((d) => d !== duty) } : g))
      .filter((g) => g.duties.length > 0);
    doc.dutyGrants.push({ role: to, duties: [duty] });
  }
  return doc;
}

describe.each(DIALECTS)('duty grants on %s', (dialect) => {
  let h: TestApp;
  let accountId: string;
  beforeAll(async () => {
    h = await createTestApp(dialect);
    ({ accountId } = await seedCustomer(h.sigilo));
  });
  afterAll(() => h.cleanup());

  const listHolds = async (role: string) =>
    h.app.inject({ method: 'GET', url: '/v1/holds', headers: await h.headers(role) });
  const createHold = async (role: string) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: await h.headers(role),
      payload: {
        kind: 'litigation',
        scope: { kind: 'account', id: accountId },
        categories: ['contract'],
        reason: 'Ação judicial em curso',
      },
    });

  it('a duty moved to another role in a new policy version moves who may use its routes and services', async () => {
    // The seed: auditors read holds, billing does not; only legal creates them.
    expect((await listHolds('auditor')).statusCode).toBe(200);
    expectError(await listHolds('billing'), 403, 'ROLE_NOT_ALLOWED');
    expect((await createHold('legal')).statusCode).toBe(201);
    expectError(await createHold('dpo'), 403, 'ROLE_NOT_ALLOWED');
    await expect(h.sigilo.retention.holds.list(ctx('billing', null))).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
    });

    await h.sigilo.policies.publish(
      moved(h.sigilo.policies.policy(), [
        { duty: 'legal_hold.read', from: 'auditor', to: 'billing' },
        { duty: 'legal_hold.write', from: 'legal', to: 'dpo' },
      ]),
      'dpo-test',
    );
    const policy = h.sigilo.policies.policy();
    expect(rolesWithDuty(policy, 'legal_hold.read')).toEqual(['billing', 'dpo', 'legal']);
    expect(rolesWithDuty(policy, 'legal_hold.write')).toEqual(['dpo']);

    // The same tokens, the next request: the route follows the policy in force.
    expect((await listHolds('billing')).statusCode).toBe(200);
    const refused = await listHolds('auditor');
    expectError(refused, 403, 'ROLE_NOT_ALLOWED');
    expect(await accessLogFor(h.sigilo, refused.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ outcome: 'denied', role: 'auditor' }),
    ]);
    expect((await createHold('dpo')).statusCode).toBe(201);
    expectError(await createHold('legal'), 403, 'ROLE_NOT_ALLOWED');

    // And so does the service the CLI calls, without the route in front of it.
    expect(await h.sigilo.retention.holds.list(ctx('billing', null))).toHaveLength(2);
    await expect(h.sigilo.retention.holds.list(ctx('auditor', null))).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
      message: "role 'auditor' may not read legal holds",
    });
  });

  it('a duty taken from the DPO stops token approvals, in the route and in the service', async () => {
    const requested = await h.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: await h.headers('admin'),
      payload: { role: 'billing', label: 'financeiro 2' },
    });
    expect(requested.statusCode).toBe(202);
    const tokenId = requested.json<{ info: { id: string } }>().info.id;

    await h.sigilo.policies.publish(
      moved(h.sigilo.policies.policy(), [{ duty: 'token.decide', from: 'dpo', to: 'legal' }]),
      'dpo-test',
    );
    const approve = async (role: string) =>
      h.app.inject({ method: 'POST', url: `/v1/tokens/${tokenId}/approve`, headers: await h.headers(role) });
    expectError(await approve('dpo'), 403, 'ROLE_NOT_ALLOWED');
    await expect(
      h.tokens.approve(tokenId, { actor: 'dpo-1', role: 'dpo', requestId: 'cli-test' }),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    const approved = await approve('legal');
    expect(approved.statusCode).toBe(200);
    expect(approved.json<{ status: string }>().status).toBe('active');
  });
});

describe.each(DIALECTS)('a version published before duties, on %s', (dialect) => {
  it('is enforced with the role lists the code held: the stored document is not rewritten', async () => {
    const t = await createTestSigilo(dialect);
    try {
      // Version 1 as Sigilo stored it before policies had duties.
      const row = await t.sigilo.store.db
        .selectFrom('policy_versions')
        .select('document')
        .where('version', '=', 1)
        .executeTakeFirstOrThrow();
      const { duties: _d, dutyGrants: _g, ...old } = JSON.parse(row.document) as Policy;
      await t.sigilo.store.db
        .updateTable('policy_versions')
        .set({ document: JSON.stringify(old) })
        .where('version', '=', 1)
        .execute();

      const reopened = await t.reopen();
      const policy = reopened.policies.policy();
      expect(rolesWithDuty(policy, 'legal_hold.read')).toEqual(['dpo', 'legal', 'auditor']);
      expect(rolesWithDuty(policy, 'token.decide')).toEqual(['dpo']);
      expect(await reopened.retention.holds.list(ctx('auditor', null))).toEqual([]);
      await expect(reopened.retention.holds.list(ctx('billing', null))).rejects.toMatchObject({
        code: 'ROLE_NOT_ALLOWED',
      });
      // The preview refuses before it starts (it throws, as it did).
      expect(() => reopened.retention.preview(ctx('support_agent', null))).toThrow(
        /may not preview retention/,
      );
    } finally {
      await t.cleanup();
    }
  });
});
