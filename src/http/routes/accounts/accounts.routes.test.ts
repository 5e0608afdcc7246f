import { expect, it } from 'vitest';
import { describeHttp, expectError, routeMatrix } from '../../../../test/support/http.ts';
import { SAMPLE } from '../../../../test/support/sigilo.ts';

describeHttp('account routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/accounts',
      method: 'POST',
      prepare: async () => ({
        url: '/v1/accounts',
        body: { kind: 'individual', name: SAMPLE.personName, taxId: SAMPLE.cpf },
      }),
      role: 'support_agent',
      purpose: 'contracting',
      status: 201,
      check: async (res, t) => {
        const { id } = res.json<{ id: string }>();
        const get = await t.app.inject({
          url: `/v1/accounts/${id}`,
          headers: await t.headers('support_agent', 'contracting'),
        });
        expect(get.json()).toMatchObject({ id, kind: 'individual', name: SAMPLE.personName });
        expect(get.json<{ provenance: { source: string } }>().provenance.source).toBe('contracting');
      },
      wrongPurpose: 'support',
      wrongRole: 'auditor',
      bad: (p) => ({ body: { ...(p.body as object), taxId: 52998224725 }, field: 'body.taxId' }),
    },
    {
      name: 'GET /v1/accounts/:accountId',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/accounts/${s.accountId}` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res) => {
        // Support reads the name in full and the CNPJ partially masked, as the policy says.
        expect(res.json()).toMatchObject({ kind: 'company', name: SAMPLE.companyName, status: 'active' });
        const taxId = res.json<{ taxId: string }>().taxId;
        expect(taxId).toMatch(/\*/);
        expect(taxId).not.toBe(SAMPLE.cnpj);
      },
      wrongPurpose: 'provisioning',
      wrongRole: 'auditor',
      bad: () => ({ url: '/v1/accounts/not-a-uuid', field: 'params.accountId' }),
    },
    {
      name: 'POST /v1/accounts/lookup',
      method: 'POST',
      prepare: async () => ({ url: '/v1/accounts/lookup', body: { taxId: '11222333000181' } }),
      role: 'billing',
      purpose: 'billing',
      status: 200,
      check: (res, _t, s) => {
        const accounts = res.json<{ accounts: { id: string; taxId: string }[] }>().accounts;
        expect(accounts.map((a) => a.id)).toContain(s.accountId);
        expect(accounts.find((a) => a.id === s.accountId)?.taxId).toBe('11222333000181');
      },
      wrongPurpose: 'support',
      wrongRole: 'provisioning',
      bad: () => ({ body: { taxId: SAMPLE.cnpj, name: 'x' }, field: 'body' }),
    },
  ]);

  it('answers 404 NOT_FOUND for an account that does not exist', async () => {
    const res = await h().app.inject({
      url: '/v1/accounts/0190a5b2-7c1e-7d3a-9f1e-123456789abc',
      headers: await h().headers('support_agent', 'support'),
    });
    expectError(res, 404, 'NOT_FOUND');
  });

  it('refuses an invalid CNPJ with INVALID_CNPJ naming the field, without echoing it', async () => {
    const res = await h().app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: await h().headers('support_agent', 'contracting'),
      payload: { kind: 'company', name: SAMPLE.companyName, taxId: '11.222.333/0001-82' },
    });
    const error = expectError(res, 400, 'INVALID_CNPJ');
    expect(error.details.path).toBe('account.taxId');
    expect(res.body).not.toContain('11.222.333');
  });
});
