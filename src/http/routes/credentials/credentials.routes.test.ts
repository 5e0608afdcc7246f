import { expect, it } from 'vitest';
import { describeHttp, routeMatrix, type TestApp } from '../../../../test/support/http.ts';
import { ctx, SAMPLE } from '../../../../test/support/sigilo.ts';

// One stored password and one provisioning secret per app: argon2 is slow, so it is hashed once.
const stored = new WeakMap<TestApp, Promise<string>>();
function storeCredentials(h: TestApp, personId: string): Promise<string> {
  let p = stored.get(h);
  if (!p) {
    p = h.sigilo.gate.run(ctx('provisioning', 'provisioning'), async (s) => {
      await h.sigilo.services.credentials.setPortalPassword(s, personId, SAMPLE.password);
      return h.sigilo.services.credentials.storeProvisioningSecret(
        s,
        personId,
        'SIP ramal 201',
        SAMPLE.sipSecret,
      );
    });
    stored.set(h, p);
  }
  return p;
}

describeHttp('credential routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'PUT /v1/people/:personId/portal-password',
      method: 'PUT',
      prepare: async (_t, s) => ({
        url: `/v1/people/${s.personId}/portal-password`,
        body: { password: SAMPLE.password },
      }),
      role: 'subject_portal',
      purpose: 'provisioning',
      status: 204,
      wrongPurpose: 'subject_request',
      wrongRole: 'support_agent',
      bad: () => ({ body: { password: 12345678901234 }, field: 'body.password' }),
    },
    {
      name: 'POST /v1/people/:personId/portal-password/verify',
      method: 'POST',
      prepare: async (t, s) => {
        await storeCredentials(t, s.personId);
        return {
          url: `/v1/people/${s.personId}/portal-password/verify`,
          body: { password: SAMPLE.password },
        };
      },
      role: 'subject_portal',
      purpose: 'provisioning',
      status: 200,
      check: async (res, t, s) => {
        expect(res.json()).toEqual({ match: true });
        const wrong = await t.app.inject({
          method: 'POST',
          url: `/v1/people/${s.personId}/portal-password/verify`,
          headers: await t.headers('subject_portal', 'provisioning'),
          payload: { password: 'not the password at all' },
        });
        expect(wrong.json()).toEqual({ match: false });
      },
      wrongPurpose: 'subject_request',
      wrongRole: 'provisioning',
      bad: () => ({ body: {}, field: 'body.password' }),
    },
    {
      name: 'POST /v1/people/:personId/provisioning-secrets',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: `/v1/people/${s.personId}/provisioning-secrets`,
        body: { label: 'API key do PABX', secret: 'k-8f7e6d5c4b3a' },
      }),
      role: 'provisioning',
      purpose: 'provisioning',
      status: 201,
      wrongPurpose: 'support',
      wrongRole: 'support_agent',
      bad: (p) => ({ body: { ...(p.body as object), label: '' }, field: 'body.label' }),
    },
    {
      name: 'POST /v1/credentials/:credentialId/reveal',
      method: 'POST',
      prepare: async (t, s) => ({ url: `/v1/credentials/${await storeCredentials(t, s.personId)}/reveal` }),
      role: 'provisioning',
      purpose: 'provisioning',
      status: 200,
      check: (res) => {
        expect(res.json()).toMatchObject({ label: 'SIP ramal 201', secret: SAMPLE.sipSecret });
      },
      wrongPurpose: 'support',
      wrongRole: 'support_agent',
      bad: () => ({ url: '/v1/credentials/nope/reveal', field: 'params.credentialId' }),
    },
    {
      name: 'GET /v1/people/:personId/credentials',
      method: 'GET',
      prepare: async (t, s) => {
        await storeCredentials(t, s.personId);
        return { url: `/v1/people/${s.personId}/credentials` };
      },
      role: 'provisioning',
      purpose: 'provisioning',
      status: 200,
      check: (res) => {
        const list = res.json<{ credentials: { kind: string; label: string }[] }>().credentials;
        expect(list).toContainEqual(
          expect.objectContaining({ kind: 'provisioning_secret', label: 'SIP ramal 201' }),
        );
        expect(res.body).not.toContain(SAMPLE.sipSecret);
      },
      wrongPurpose: 'support',
      wrongRole: 'support_agent',
      bad: () => ({ url: '/v1/people/1/credentials', field: 'params.personId' }),
    },
  ]);

  it('never returns a password hash: the portal password shows up in a listing only by kind and label', async () => {
    const t = h();
    await storeCredentials(t, seed().personId);
    const res = await t.app.inject({
      url: `/v1/people/${seed().personId}/credentials`,
      headers: await t.headers('subject_portal', 'provisioning'),
    });
    // subject_portal may read authentication_secret (verify) but not provisioning_secret: the list is refused.
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('argon2');
  });
});
