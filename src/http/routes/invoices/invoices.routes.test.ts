import { expect } from 'vitest';
import { describeHttp, routeMatrix } from '../../../../test/support/http.ts';

describeHttp('invoice routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/invoices',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: '/v1/invoices',
        body: {
          contractId: s.contractId,
          issuedOn: '2026-03-01',
          amountCents: 45_000,
          dueDate: '2026-03-10',
        },
      }),
      role: 'billing',
      purpose: 'billing',
      status: 201,
      wrongPurpose: 'contracting',
      wrongRole: 'support_agent',
      bad: (p) => ({ body: { ...(p.body as object), amountCents: '450.00' }, field: 'body.amountCents' }),
    },
    {
      name: 'POST /v1/invoices/:invoiceId/payment',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: `/v1/invoices/${s.invoiceId}/payment`,
        body: { paidDate: '2026-02-09' },
      }),
      role: 'billing',
      purpose: 'billing',
      status: 204,
      wrongPurpose: 'contracting',
      wrongRole: 'support_agent',
      bad: () => ({ body: { paidDate: 'amanhã' }, field: 'body.paidDate' }),
    },
    {
      name: 'GET /v1/accounts/:accountId/invoices',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/accounts/${s.accountId}/invoices` }),
      role: 'billing',
      purpose: 'billing',
      status: 200,
      check: (res, _t, s) => {
        const invoice = res
          .json<{ invoices: { id: string; details: { amountCents: number; dueDate: string } }[] }>()
          .invoices.find((i) => i.id === s.invoiceId);
        expect(invoice?.details).toMatchObject({ amountCents: 12_990, dueDate: '2026-02-10' });
      },
      wrongPurpose: 'contracting',
      wrongRole: 'provisioning',
      bad: () => ({ url: '/v1/accounts/0/invoices', field: 'params.accountId' }),
    },
  ]);
});
