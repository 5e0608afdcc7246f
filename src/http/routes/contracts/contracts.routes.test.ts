import { expect } from 'vitest';
import { describeHttp, freshContract, routeMatrix } from '../../../../test/support/http.ts';

describeHttp('contract routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/contracts',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: '/v1/contracts',
        body: { accountId: s.accountId, product: 'Tronco SIP', plan: '60 canais', startedOn: '2026-04-01' },
      }),
      role: 'support_agent',
      purpose: 'contracting',
      status: 201,
      wrongPurpose: 'support',
      wrongRole: 'provisioning',
      bad: (p) => ({ body: { ...(p.body as object), startedOn: '2026-13-01' }, field: 'body.startedOn' }),
    },
    {
      name: 'GET /v1/contracts/:contractId',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/contracts/${s.contractId}` }),
      role: 'billing',
      purpose: 'billing',
      status: 200,
      check: (res, _t, s) => {
        expect(res.json()).toMatchObject({
          id: s.contractId,
          accountId: s.accountId,
          status: 'active',
          startedOn: '2026-01-10',
          endedOn: null,
          terms: { product: 'SIP trunk 30 canais' },
        });
      },
      wrongPurpose: 'support',
      wrongRole: 'provisioning',
      bad: () => ({ url: '/v1/contracts/x', field: 'params.contractId' }),
    },
    {
      name: 'PATCH /v1/contracts/:contractId (amend)',
      method: 'PATCH',
      prepare: async (t, s) => ({
        url: `/v1/contracts/${await freshContract(t, s.accountId)}`,
        body: { plan: 'Plus' },
      }),
      role: 'billing',
      purpose: 'contracting',
      status: 204,
      check: async (res, t, _s, req) => {
        expect(res.body).toBe('');
        const get = await t.app.inject({ url: req.url, headers: await t.headers('billing', 'billing') });
        expect(get.json<{ terms: { plan: string } }>().terms.plan).toBe('Plus');
      },
      wrongPurpose: 'provisioning',
      wrongRole: 'auditor',
      bad: () => ({ body: { price: 10 }, field: 'body' }),
    },
    {
      name: 'POST /v1/contracts/:contractId/terminate',
      method: 'POST',
      prepare: async (t, s) => ({
        url: `/v1/contracts/${await freshContract(t, s.accountId)}/terminate`,
        body: { endedOn: '2026-10-31', reason: 'cliente migrou de operadora' },
      }),
      role: 'support_agent',
      purpose: 'contracting',
      status: 204,
      check: async (_res, t, _s, req) => {
        const id = req.url.split('/')[3]!;
        const history = await t.app.inject({
          url: `/v1/contracts/${id}/history`,
          headers: await t.headers('support_agent', 'support'),
        });
        expect(history.json<{ events: { kind: string }[] }>().events.map((e) => e.kind)).toEqual([
          'signed',
          'terminated',
        ]);
      },
      wrongPurpose: 'support',
      wrongRole: 'auditor',
      bad: (p) => ({ body: { ...(p.body as object), endedOn: 'yesterday' }, field: 'body.endedOn' }),
    },
    {
      name: 'GET /v1/contracts/:contractId/history',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/contracts/${s.contractId}/history` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res) => {
        expect(res.json<{ events: { kind: string }[] }>().events.map((e) => e.kind)).toContain('signed');
      },
      wrongPurpose: 'provisioning',
      wrongRole: 'auditor',
      bad: () => ({ url: '/v1/contracts/1/history', field: 'params.contractId' }),
    },
    {
      name: 'GET /v1/accounts/:accountId/contracts',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/accounts/${s.accountId}/contracts` }),
      role: 'billing',
      purpose: 'billing',
      status: 200,
      check: (res, _t, s) => {
        expect(res.json<{ contracts: { id: string }[] }>().contracts.map((c) => c.id)).toContain(
          s.contractId,
        );
      },
      wrongPurpose: 'provisioning',
      wrongRole: 'auditor',
      bad: () => ({ url: '/v1/accounts/abc/contracts', field: 'params.accountId' }),
    },
  ]);
});
