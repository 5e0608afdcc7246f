/**
 * Issue 13 §3: the admin role must not reach personal data, directly or by minting a token of a role that can.
 * Each attack is tried through HTTP as an administrator would, on both dialects.
 */
import { expect, it } from 'vitest';
import { issuanceOf } from '../../../policy/policy.evaluate.ts';
import { accessLogFor, describeHttp, expectError, type TestApp } from '../../../../test/support/http.ts';
import { SAMPLE } from '../../../../test/support/sigilo.ts';

interface Created {
  token: string;
  info: { id: string; role: string; status: string; expiresAt: string; decidedBy: string | null };
}

describeHttp('token issuance cannot escalate privileges', ({ h, seed }) => {
  const create = async (role: string, asRole = 'admin') =>
    h().app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: await h().headers(asRole),
      payload: { role, label: `attack ${role}` },
    });
  const decide = async (id: string, decision: 'approve' | 'reject', asRole = 'dpo') =>
    h().app.inject({
      method: 'POST',
      url: `/v1/tokens/${id}/${decision}`,
      headers: await h().headers(asRole),
    });
  const readPerson = (token: string, purpose: string) =>
    h().app.inject({
      url: `/v1/people/${seed().personId}`,
      headers: { authorization: `Bearer ${token}`, 'sigilo-purpose': purpose },
    });
  const logOf = (t: TestApp, res: { headers: Record<string, unknown> }) =>
    accessLogFor(t.sigilo, String(res.headers['x-request-id']));

  it('an admin cannot mint a system or legal token and read unmasked personal data with it', async () => {
    for (const [role, purpose] of [
      ['system', 'legal_obligation'],
      ['legal', 'legal_obligation'],
    ] as const) {
      const res = await create(role);
      const token = res.json<{ token?: string }>().token;
      if (token) expect((await readPerson(token, purpose)).body).not.toContain(SAMPLE.personName);
      expectError(res, 403, 'ROLE_NOT_ISSUABLE');
      expect(await logOf(h(), res)).toContainEqual(
        expect.objectContaining({ outcome: 'denied', role: 'admin' }),
      );
    }
  });

  it('a token of a personal-data role stays pending, and useless, until a DPO approves it', async () => {
    const t = h();
    const res = await create('support_agent');
    expect(res.statusCode).toBe(202);
    const { token, info } = res.json<Created>();
    expect(info.status).toBe('pending');
    expectError(await readPerson(token, 'support'), 401, 'TOKEN_NOT_APPROVED');
    expect(await logOf(t, res)).toContainEqual(
      expect.objectContaining({
        outcome: 'allowed',
        role: 'admin',
        reason: `token ${info.id} role support_agent`,
      }),
    );

    // The DPO sees the request among pending approvals; the admin who asked cannot approve it.
    const pending = await t.app.inject({ url: '/v1/tokens?status=pending', headers: await t.headers('dpo') });
    expect(pending.json<{ tokens: { id: string; status: string }[] }>().tokens).toContainEqual(
      expect.objectContaining({ id: info.id, status: 'pending' }),
    );
    expect(pending.body).not.toContain(token);
    expectError(await decide(info.id, 'approve', 'admin'), 403, 'ROLE_NOT_ALLOWED');
    expectError(await readPerson(token, 'support'), 401, 'TOKEN_NOT_APPROVED');

    t.clock.advanceDays(2);
    try {
      const approved = await decide(info.id, 'approve');
      expect(approved.statusCode, approved.body).toBe(200);
      const after = approved.json<Created['info']>();
      expect(after).toMatchObject({
        status: 'active',
        decidedBy: expect.stringMatching(/^token:/) as string,
      });
      // The validity asked for (30 days by default) starts at approval.
      expect(Date.parse(after.expiresAt) - t.clock.now().getTime()).toBe(30 * 86_400_000);
      expect(await logOf(t, approved)).toContainEqual(
        expect.objectContaining({
          outcome: 'allowed',
          role: 'dpo',
          reason: `token ${info.id} role support_agent`,
        }),
      );
      const read = await readPerson(token, 'support');
      expect(read.statusCode).toBe(200);
      expect(read.json<{ name: string }>().name).toBe(SAMPLE.personName);
      expectError(await decide(info.id, 'approve'), 409, 'CONFLICT');
    } finally {
      t.clock.advanceDays(-2);
    }
  });

  it('a rejected request never works, and the refusal is logged', async () => {
    const t = h();
    const { token, info } = (await create('billing')).json<Created>();
    const rejected = await decide(info.id, 'reject');
    expect(rejected.json<Created['info']>()).toMatchObject({ status: 'rejected' });
    expect(await logOf(t, rejected)).toContainEqual(
      expect.objectContaining({ outcome: 'allowed', role: 'dpo', reason: `token ${info.id} role billing` }),
    );
    expectError(await readPerson(token, 'billing'), 401, 'TOKEN_NOT_APPROVED');
    expectError(await decide(info.id, 'approve'), 409, 'CONFLICT');
    const listed = await t.app.inject({ url: '/v1/tokens', headers: await t.headers('admin') });
    expect(listed.body).not.toContain(info.id);
  });

  it('revoking is logged, and a revoked request cannot be approved', async () => {
    const t = h();
    const { info } = (await create('provisioning')).json<Created>();
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${info.id}`,
      headers: await t.headers('admin'),
    });
    expect(revoked.statusCode).toBe(200);
    expect(await logOf(t, revoked)).toContainEqual(
      expect.objectContaining({
        outcome: 'allowed',
        role: 'admin',
        reason: `token ${info.id} role provisioning`,
      }),
    );
    expectError(await decide(info.id, 'approve'), 409, 'CONFLICT');
  });

  it('the DPO cannot issue system (or any) token, and no other role can', async () => {
    const t = h();
    for (const role of t.sigilo.policies.policy().roles.map((r) => r.id)) {
      if (role === 'admin') continue;
      expectError(await create('system', role), 403, 'ROLE_NOT_ALLOWED');
      expectError(await create(role, role), 403, 'ROLE_NOT_ALLOWED');
    }
  });

  it('an admin never gets at once a token stronger than itself: every role of the policy, tried', async () => {
    const t = h();
    const policy = t.sigilo.policies.policy();
    const personal = new Set(policy.categories.filter((c) => c.personal).map((c) => c.id));
    for (const { id: role } of policy.roles) {
      const res = await create(role);
      const reachesPersonal = policy.grants.some(
        (g) => g.role === role && g.categories.some((c) => personal.has(c)),
      );
      if (res.statusCode === 201) {
        expect(reachesPersonal, `admin issued ${role} alone`).toBe(false);
        expect(issuanceOf(policy, role)).toBe('admin');
      } else if (res.statusCode === 202) {
        expect(issuanceOf(policy, role)).toBe('dpo_approval');
      } else {
        expectError(res, 403, 'ROLE_NOT_ISSUABLE');
      }
    }
  });
});
