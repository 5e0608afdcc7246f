import { expect } from 'vitest';
import { describeHttp, freshTicket, routeMatrix } from '../../../../test/support/http.ts';

describeHttp('ticket routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/tickets',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: '/v1/tickets',
        body: {
          accountId: s.accountId,
          personId: s.personId,
          channel: 'chat',
          title: 'Portabilidade de número',
          message: 'Quero trazer meu número fixo.',
        },
      }),
      role: 'support_agent',
      purpose: 'support',
      status: 201,
      wrongPurpose: 'contracting',
      wrongRole: 'billing',
      bad: (p) => ({ body: { ...(p.body as object), channel: 'fax' }, field: 'body.channel' }),
    },
    {
      name: 'GET /v1/tickets/:ticketId',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/tickets/${s.ticketId}` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res) => {
        const t = res.json<{ title: string; messages: { author: string; body: string }[] }>();
        expect(t.title).toBe('Ramal 201 sem áudio');
        expect(t.messages[0]).toMatchObject({
          author: 'customer',
          body: 'Cliente relata chamadas sem áudio desde ontem.',
        });
      },
      wrongPurpose: 'contracting',
      wrongRole: 'billing',
      bad: () => ({ url: '/v1/tickets/zzz', field: 'params.ticketId' }),
    },
    {
      name: 'POST /v1/tickets/:ticketId/messages',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: `/v1/tickets/${s.ticketId}/messages`,
        body: { author: 'agent', body: 'Reiniciamos o ramal, pode testar?' },
      }),
      role: 'support_agent',
      purpose: 'support',
      status: 201,
      wrongPurpose: 'contracting',
      wrongRole: 'billing',
      bad: (p) => ({ body: { ...(p.body as object), author: 'bot' }, field: 'body.author' }),
    },
    {
      name: 'POST /v1/tickets/:ticketId/resolve',
      method: 'POST',
      prepare: async (t, s) => ({ url: `/v1/tickets/${await freshTicket(t, s.accountId)}/resolve` }),
      role: 'support_agent',
      purpose: 'support',
      status: 204,
      check: async (_res, t, _s, req) => {
        const get = await t.app.inject({
          url: req.url.replace('/resolve', ''),
          headers: await t.headers('support_agent', 'support'),
        });
        expect(get.json<{ status: string }>().status).toBe('resolved');
      },
      wrongPurpose: 'contracting',
      wrongRole: 'billing',
      bad: () => ({ url: '/v1/tickets/abc/resolve', field: 'params.ticketId' }),
    },
    {
      name: 'GET /v1/accounts/:accountId/tickets',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/accounts/${s.accountId}/tickets` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res, _t, s) => {
        expect(res.json<{ tickets: { id: string }[] }>().tickets.map((t) => t.id)).toContain(s.ticketId);
      },
      wrongPurpose: 'contracting',
      wrongRole: 'billing',
      bad: () => ({ url: '/v1/accounts/abc/tickets', field: 'params.accountId' }),
    },
  ]);
});
