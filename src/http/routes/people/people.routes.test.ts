import { expect, it } from 'vitest';
import { describeHttp, freshPerson, routeMatrix } from '../../../../test/support/http.ts';
import { SAMPLE } from '../../../../test/support/sigilo.ts';

interface PersonWire {
  id: string;
  name?: string;
  phones?: { id: string; value: string }[];
  emails?: { id: string; value: string }[];
  addresses?: { id: string; address: unknown }[];
  accounts: { accountId: string; relation: string }[];
}

describeHttp('people routes', ({ h, seed }) => {
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/people',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: '/v1/people',
        body: {
          name: SAMPLE.personName,
          phones: [SAMPLE.phone],
          emails: [SAMPLE.email],
          addresses: [SAMPLE.address],
          account: { id: s.accountId, relation: 'contact' },
        },
      }),
      role: 'support_agent',
      purpose: 'contracting',
      status: 201,
      check: async (res, t, s) => {
        const get = await t.app.inject({
          url: `/v1/people/${res.json<{ id: string }>().id}`,
          headers: await t.headers('support_agent', 'support'),
        });
        expect(get.json<PersonWire>().accounts).toEqual([{ accountId: s.accountId, relation: 'contact' }]);
      },
      wrongPurpose: 'billing',
      wrongRole: 'auditor',
      bad: (p) => ({ body: { ...(p.body as object), phones: SAMPLE.phone }, field: 'body.phones' }),
    },
    {
      name: 'GET /v1/people/:personId',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/people/${s.personId}` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res) => {
        const p = res.json<PersonWire>();
        expect(p.name).toBe(SAMPLE.personName);
        expect(p.phones?.map((x) => x.value)).toEqual([SAMPLE.phoneE164]);
        expect(p.emails?.map((x) => x.value)).toEqual([SAMPLE.email.toLowerCase()]);
        expect(p.addresses?.[0]?.address).toMatchObject({ cep: '01310200', state: 'SP' });
      },
      wrongPurpose: 'billing',
      wrongRole: 'auditor',
      bad: () => ({ url: '/v1/people/123', field: 'params.personId' }),
    },
    {
      name: 'POST /v1/people/lookup (phone)',
      method: 'POST',
      prepare: async () => ({ url: '/v1/people/lookup', body: { phone: '11 98765 4321' } }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res, _t, s) => {
        const people = res.json<{ people: PersonWire[] }>().people;
        expect(people.map((p) => p.id)).toContain(s.personId);
      },
      wrongPurpose: 'billing',
      wrongRole: 'auditor',
      // An undeclared key is the caller's text: the answer names the object holding it, never the key.
      bad: () => ({ body: { fax: SAMPLE.phone }, field: 'body' }),
    },
    {
      name: 'PATCH /v1/people/:personId (rename)',
      method: 'PATCH',
      prepare: async (t, s) => ({
        url: `/v1/people/${(await freshPerson(t, s.accountId)).personId}`,
        body: { name: 'João P. Lima' },
      }),
      role: 'support_agent',
      purpose: 'support',
      status: 204,
      wrongPurpose: 'billing',
      wrongRole: 'auditor',
      bad: () => ({ body: { name: '' }, field: 'body.name' }),
    },
    {
      name: 'POST /v1/people/:personId/contacts',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: `/v1/people/${s.personId}/contacts`,
        body: { kind: 'email', value: 'maria@example.org' },
      }),
      role: 'support_agent',
      purpose: 'support',
      status: 201,
      wrongPurpose: 'billing',
      wrongRole: 'billing',
      bad: (p) => ({ body: { ...(p.body as object), kind: 'fax' }, field: 'body.kind' }),
    },
    {
      name: 'DELETE /v1/people/:personId/contacts/:kind/:contactId',
      method: 'DELETE',
      prepare: async (t) => {
        const { personId, phoneId } = await freshPerson(t);
        return { url: `/v1/people/${personId}/contacts/phone/${phoneId}` };
      },
      role: 'dpo',
      purpose: 'subject_request',
      status: 204,
      wrongPurpose: 'legal_obligation',
      wrongRole: 'support_agent',
      bad: (p) => ({ url: p.url.replace('/phone/', '/fax/'), field: 'params.kind' }),
    },
    {
      name: 'POST /v1/people/:personId/addresses',
      method: 'POST',
      prepare: async (_t, s) => ({
        url: `/v1/people/${s.personId}/addresses`,
        body: { address: { ...SAMPLE.address, number: '100' } },
      }),
      role: 'support_agent',
      purpose: 'support',
      status: 201,
      wrongPurpose: 'billing',
      wrongRole: 'auditor',
      bad: () => ({ body: { address: { ...SAMPLE.address, state: 'XX' } }, field: 'body.address.state' }),
    },
  ]);

  it('masks what the policy masks: provisioning sees a partial name and phone and no e-mail', async () => {
    const res = await h().app.inject({
      url: `/v1/people/${seed().personId}`,
      headers: await h().headers('provisioning', 'provisioning'),
    });
    const p = res.json<PersonWire>();
    expect(p.name).not.toBe(SAMPLE.personName);
    expect(p.phones?.[0]?.value).not.toBe(SAMPLE.phoneE164);
    expect(p.emails).toBeUndefined();
    expect(res.body).not.toContain(SAMPLE.email.toLowerCase());
  });

  it('finds people by e-mail, by CNPJ and by CPF through the blind indexes', async () => {
    const t = h();
    const headers = await t.headers('support_agent', 'support');
    const byEmail = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers,
      payload: { email: SAMPLE.email.toUpperCase() },
    });
    expect(byEmail.json<{ people: PersonWire[] }>().people.map((p) => p.id)).toContain(seed().personId);
    const byCnpj = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers,
      payload: { cnpj: SAMPLE.cnpj },
    });
    expect(byCnpj.json<{ people: PersonWire[] }>().people.map((p) => p.id)).toContain(seed().personId);
    const byCpf = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers,
      payload: { cpf: SAMPLE.cpf },
    });
    expect(byCpf.statusCode).toBe(200);
    const wrongKind = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers,
      payload: { cpf: '11222333000181' },
    });
    expect(wrongKind.json<{ error: { code: string } }>().error.code).toBe('INVALID_CPF');
  });

  it('refuses a lookup with two criteria', async () => {
    const res = await h().app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers: await h().headers('support_agent', 'support'),
      payload: { phone: SAMPLE.phone, email: SAMPLE.email },
    });
    expect(res.json<{ error: { code: string; details: { path: string } } }>().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { path: 'body' },
    });
  });
});
