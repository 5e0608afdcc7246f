import { expect, it } from 'vitest';
import { describeHttp, expectError } from '../../../../test/support/http.ts';

describeHttp('token routes (admin)', ({ h }) => {
  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const t = h();
    const admin = await t.headers('admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: admin,
      payload: { role: 'auditor', label: 'auditoria 3', ttlDays: 7 },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json<{
      token: string;
      info: { id: string; role: string; expiresAt: string };
    }>();
    expect(token).toMatch(/^sgl_/);
    expect(info).toMatchObject({
      role: 'auditor',
      label: 'auditoria 3',
      status: 'active',
      createdBy: expect.stringMatching(/^token:/) as string,
    });
    expect(info.expiresAt).toBe('2026-12-03T12:00:00.000Z');

    const me = await t.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ role: 'auditor' });

    const list = await t.app.inject({ url: '/v1/tokens', headers: admin });
    expect(list.json<{ tokens: { id: string }[] }>().tokens.map((x) => x.id)).toContain(info.id);
    expect(list.body).not.toContain(token);

    const revoked = await t.app.inject({ method: 'DELETE', url: `/v1/tokens/${info.id}`, headers: admin });
    expect(revoked.json<{ revokedAt: string | null }>().revokedAt).not.toBeNull();
    expect((await t.app.inject({ url: '/v1/tokens', headers: admin })).body).not.toContain(info.id);
    expect((await t.app.inject({ url: '/v1/tokens?all=true', headers: admin })).body).toContain(info.id);
    expectError(
      await t.app.inject({ method: 'DELETE', url: `/v1/tokens/${info.id}`, headers: admin }),
      409,
      'CONFLICT',
    );
  });

  it('writes token creation to the application log without the token', async () => {
    const t = h();
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: await t.headers('admin'),
      payload: { role: 'auditor', label: 'auditoria externa' },
    });
    const { token, info } = created.json<{ token: string; info: { id: string } }>();
    const logs = t.logs.join('');
    expect(logs).toContain(`"tokenId":"${info.id}"`);
    expect(logs).not.toContain(token);
  });

  it('refuses every other role with 403 ROLE_NOT_ALLOWED (the DPO may only list and decide)', async () => {
    const t = h();
    for (const role of ['support_agent', 'dpo', 'auditor']) {
      const headers = await t.headers(role);
      const list = await t.app.inject({ url: '/v1/tokens', headers });
      if (role === 'dpo') expect(list.statusCode).toBe(200);
      else expectError(list, 403, 'ROLE_NOT_ALLOWED');
      expectError(
        await t.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers,
          payload: { role: 'admin', label: 'x' },
        }),
        403,
        'ROLE_NOT_ALLOWED',
      );
    }
  });

  it('refuses a bad body naming the field, and roles the policy does not declare', async () => {
    const t = h();
    const admin = await t.headers('admin');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: admin,
      payload: { role: 'billing', label: 'x', ttlDays: 9999 },
    });
    expect(expectError(bad, 400, 'VALIDATION_FAILED').details.path).toBe('body.ttlDays');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: admin,
      payload: { role: 'root', label: 'x' },
    });
    expect(expectError(unknown, 400, 'VALIDATION_FAILED').details.path).toBe('role');
    expectError(
      await t.app.inject({
        method: 'DELETE',
        url: '/v1/tokens/0190a5b2-7c1e-7d3a-9f1e-123456789abc',
        headers: admin,
      }),
      404,
      'NOT_FOUND',
    );
  });
});
