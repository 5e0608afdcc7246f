/**
 * A full scenario over HTTP with the application log captured: afterwards the log must hold none of the
 * names, phones, e-mails, CPFs/CNPJs, addresses, messages, passwords, secrets or tokens the scenario used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/http.ts';
import { SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';

const digits = (s: string) => s.replace(/\D/g, '');

describe.each(DIALECTS)('logs of a full scenario on %s', (dialect) => {
  let h: TestApp;
  const used: string[] = [];
  beforeAll(async () => {
    h = await createTestApp(dialect);
  });
  afterAll(async () => h.cleanup());

  it('contain no personal data, password, secret or token', async () => {
    let portalToken: string | null = null;
    let actingFor: string | null = null;
    const call = async (
      method: string,
      url: string,
      token: string,
      purpose: string | null,
      payload?: unknown,
    ) => {
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(purpose ? { 'sigilo-purpose': purpose } : {}),
          // The portal acts for the scenario's person, named by the portal's signed assertion.
          ...(token === portalToken && actingFor
            ? { 'sigilo-subject': await h.subjectAssertion(actingFor) }
            : {}),
        },
        ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      });
      return res;
    };
    const admin = await h.token('admin');
    const dpo = await h.token('dpo');
    // Roles that reach personal data are requested by the admin and approved by the DPO (a second person).
    const mint = async (role: string) => {
      const res = await call('POST', '/v1/tokens', admin, null, { role, label: `scenario ${role}` });
      const { token, info } = res.json<{ token: string; info: { id: string; status: string } }>();
      if (info.status === 'pending') {
        expect((await call('POST', `/v1/tokens/${info.id}/approve`, dpo, null)).statusCode).toBe(200);
      }
      used.push(token);
      return token;
    };
    used.push(admin, dpo);
    const support = await mint('support_agent');
    const billing = await mint('billing');
    const provisioning = await mint('provisioning');
    const portal = await mint('subject_portal');
    portalToken = portal;

    const account = (
      await call('POST', '/v1/accounts', support, 'contracting', {
        kind: 'company',
        name: SAMPLE.companyName,
        taxId: SAMPLE.cnpj,
      })
    ).json<{ id: string }>().id;
    const person = (
      await call('POST', '/v1/people', support, 'contracting', {
        name: SAMPLE.personName,
        phones: [SAMPLE.phone],
        emails: [SAMPLE.email],
        addresses: [SAMPLE.address],
        account: { id: account, relation: 'owner' },
      })
    ).json<{ id: string }>().id;
    actingFor = person;
    const individual = await call('POST', '/v1/accounts', support, 'contracting', {
      kind: 'individual',
      name: 'Carlos Alberto Nóbrega',
      taxId: SAMPLE.cpf,
    });
    expect(individual.statusCode).toBe(201);

    expect(
      (await call('POST', '/v1/people/lookup', support, 'support', { phone: SAMPLE.phone })).statusCode,
    ).toBe(200);
    expect(
      (await call('POST', '/v1/people/lookup', support, 'support', { email: SAMPLE.email })).statusCode,
    ).toBe(200);
    expect(
      (await call('POST', '/v1/people/lookup', support, 'support', { cpf: SAMPLE.cpf })).statusCode,
    ).toBe(200);
    expect(
      (await call('POST', '/v1/accounts/lookup', billing, 'billing', { taxId: SAMPLE.cnpj })).statusCode,
    ).toBe(200);
    expect(
      (
        await call('POST', `/v1/people/${person}/contacts`, support, 'support', {
          kind: 'ip',
          value: SAMPLE.ip,
        })
      ).statusCode,
    ).toBe(201);
    // Refusals and mistakes carrying personal data must not leak either.
    expect((await call('POST', '/v1/people/lookup', support, null, { phone: SAMPLE.phone })).statusCode).toBe(
      400,
    );
    expect(
      (await call('POST', '/v1/people/lookup', billing, 'support', { email: SAMPLE.email })).statusCode,
    ).toBe(403);
    expect(
      (
        await call('POST', '/v1/accounts', support, 'contracting', {
          kind: 'company',
          name: SAMPLE.companyName,
          taxId: '11.222.333/0001-99',
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call('POST', '/v1/people', support, 'contracting', {
          name: SAMPLE.personName,
          phones: ['+55 11 1234'],
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call('POST', '/v1/people', support, 'contracting', {
          name: SAMPLE.personName,
          emails: [SAMPLE.email],
          shoe: SAMPLE.cpf,
        })
      ).statusCode,
    ).toBe(400);
    const broken = await h.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers: {
        authorization: `Bearer ${support}`,
        'sigilo-purpose': 'support',
        'content-type': 'application/json',
      },
      payload: `{"email": ${SAMPLE.email}}`,
    });
    expect(broken.statusCode).toBe(400);

    const contract = (
      await call('POST', '/v1/contracts', support, 'contracting', {
        accountId: account,
        product: 'Tronco SIP',
        startedOn: '2026-01-05',
      })
    ).json<{ id: string }>().id;
    const invoice = (
      await call('POST', '/v1/invoices', billing, 'billing', {
        contractId: contract,
        issuedOn: '2026-02-01',
        amountCents: 9_990,
        dueDate: '2026-02-10',
      })
    ).json<{ id: string }>().id;
    expect(
      (await call('POST', `/v1/invoices/${invoice}/payment`, billing, 'billing', { paidDate: '2026-02-08' }))
        .statusCode,
    ).toBe(204);
    const message = 'Meu CPF é 529.982.247-25 e o ramal não toca';
    const ticket = (
      await call('POST', '/v1/tickets', support, 'support', {
        accountId: account,
        personId: person,
        channel: 'phone',
        title: 'Ramal mudo',
        message,
      })
    ).json<{ id: string }>().id;
    expect((await call('GET', `/v1/tickets/${ticket}`, support, 'support')).statusCode).toBe(200);

    expect(
      (
        await call('PUT', `/v1/people/${person}/portal-password`, portal, 'provisioning', {
          password: SAMPLE.password,
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await call('POST', `/v1/people/${person}/portal-password/verify`, portal, 'provisioning', {
          password: SAMPLE.password,
        })
      ).json(),
    ).toEqual({ match: true });
    expect(
      (
        await call('PUT', `/v1/people/${person}/portal-password`, portal, 'provisioning', {
          password: 'short',
        })
      ).statusCode,
    ).toBe(400);
    const secret = (
      await call('POST', `/v1/people/${person}/provisioning-secrets`, provisioning, 'provisioning', {
        label: 'SIP 201',
        secret: SAMPLE.sipSecret,
      })
    ).json<{ id: string }>().id;
    expect(
      (await call('POST', `/v1/credentials/${secret}/reveal`, provisioning, 'provisioning')).json(),
    ).toMatchObject({ secret: SAMPLE.sipSecret });
    const revoked = await call('GET', '/v1/tokens', admin, null);
    expect(revoked.statusCode).toBe(200);
    expect((await call('GET', '/v1/me', `sgl_${'z'.repeat(43)}`, null)).statusCode).toBe(401);

    const logs = h.logs.join('\n');
    expect(logs).toContain('request completed');
    const secrets = [
      SAMPLE.companyName,
      SAMPLE.personName,
      'Carlos Alberto',
      SAMPLE.phone,
      SAMPLE.phoneE164,
      digits(SAMPLE.phone),
      SAMPLE.email,
      SAMPLE.email.toLowerCase(),
      SAMPLE.cpf,
      digits(SAMPLE.cpf),
      SAMPLE.cnpj,
      digits(SAMPLE.cnpj),
      '11.222.333/0001-99',
      SAMPLE.ip,
      SAMPLE.address.street,
      digits(SAMPLE.address.cep),
      message,
      'ramal não toca',
      SAMPLE.password,
      SAMPLE.sipSecret,
      ...used,
    ];
    for (const s of secrets) expect(logs, `the log contains ${s.slice(0, 6)}…`).not.toContain(s);
  });
});
