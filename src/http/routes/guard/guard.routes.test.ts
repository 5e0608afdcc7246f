/** The sensitive-data guard through the ticket API: reject, redact and quarantine with the DPO's review queue. */
import { expect, it } from 'vitest';
import {
  accessLogFor,
  describeHttp,
  expectError,
  freshTicket,
  type TestApp,
} from '../../../../test/support/http.ts';

const CPF = '111.444.777-35';
const PHONE = '(11) 98765-4321';

async function post(h: TestApp, url: string, body: unknown, role = 'support_agent', purpose = 'support') {
  return h.app.inject({
    method: 'POST',
    url,
    headers: await h.headers(role, purpose),
    payload: body as object,
  });
}
async function ticket(h: TestApp, id: string) {
  const res = await h.app.inject({
    url: `/v1/tickets/${id}`,
    headers: await h.headers('support_agent', 'support'),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    title: string;
    titleQuarantined: boolean;
    messages: { id: string; body: string; quarantined: boolean }[];
  }>();
}
const countTickets = async (h: TestApp) =>
  Number(
    (
      await h.sigilo.store.db
        .selectFrom('tickets')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

// The default policy: ticket.subject → reject, ticket_message.body → redact.
describeHttp('guard with the default policy', ({ h, seed }) => {
  it('rejects a title with a CPF: 422 naming the field and class, never the text, and stores nothing', async () => {
    const before = await countTickets(h());
    const res = await post(h(), '/v1/tickets', {
      accountId: seed().accountId,
      channel: 'chat',
      title: `Troca de titular CPF ${CPF}`,
      message: 'Quero trocar a titularidade.',
    });
    const error = expectError(res, 422, 'SENSITIVE_DATA_DETECTED');
    expect(error.details).toEqual({ path: 'ticket.title', classes: ['cpf'] });
    expect(res.body).not.toContain('111.444');
    expect(h().logs.join('\n')).not.toContain('111.444');
    expect(await countTickets(h())).toBe(before);
  });

  it('redacts a message: the stored text has marks where the phone and the health condition were', async () => {
    const ticketId = await freshTicket(h(), seed().accountId);
    const res = await post(h(), `/v1/tickets/${ticketId}/messages`, {
      author: 'customer',
      body: `Estou internada, liguem no ${PHONE} por favor`,
    });
    expect(res.statusCode, res.body).toBe(201);
    const [message] = (await ticket(h(), ticketId)).messages;
    expect(message).toMatchObject({
      body: 'Estou [removido: saúde], liguem no [removido: telefone] por favor',
      quarantined: false,
    });
  });

  it('lets text without findings through unchanged, telecom fault words included', async () => {
    const ticketId = await freshTicket(h(), seed().accountId);
    const body = 'A linha está doente, morreu a conexão e a queda é a cada 5 minutos.';
    expect(
      (await post(h(), `/v1/tickets/${ticketId}/messages`, { author: 'customer', body })).statusCode,
    ).toBe(201);
    expect((await ticket(h(), ticketId)).messages[0]?.body).toBe(body);
  });

  it('refuses a justification header with personal data (the access log cannot be redacted)', async () => {
    const res = await h().app.inject({
      url: `/v1/tickets/${seed().ticketId}`,
      headers: {
        ...(await h().headers('support_agent', 'support')),
        'sigilo-justification': `cliente ligou do ${PHONE}`,
      },
    });
    const error = expectError(res, 422, 'SENSITIVE_DATA_DETECTED');
    expect(error.details).toEqual({ path: 'headers.sigilo-justification', classes: ['phone'] });
  });
});

// A policy version that holds messages for the DPO, except phones, which are only redacted.
describeHttp('guard quarantine', ({ h, seed }) => {
  const publishQuarantine = async (t: TestApp): Promise<void> => {
    const current = t.sigilo.policies.policy();
    if (current.detectors.fields['ticket_message.body'] === 'quarantine') return;
    const next = structuredClone(current) as typeof current & { version: number };
    next.version = current.version + 1;
    next.detectors.fields['ticket_message.body'] = 'quarantine';
    next.detectors.classes['ticket_message.body'] = { phone: 'redact' };
    await t.sigilo.policies.publish(next, 'test-dpo');
  };
  const held = async (body: string) => {
    await publishQuarantine(h());
    const ticketId = await freshTicket(h(), seed().accountId);
    const res = await post(h(), `/v1/tickets/${ticketId}/messages`, { author: 'customer', body });
    expect(res.statusCode, res.body).toBe(201);
    return { ticketId, messageId: res.json<{ id: string }>().id };
  };
  const dpo = async (method: 'GET' | 'POST', url: string) =>
    h().app.inject({ method, url, headers: await h().headers('dpo', 'subject_request') });

  it('holds a message for review: the agent sees a placeholder, the DPO queue lists ids and classes', async () => {
    const { ticketId, messageId } = await held('Sou diabético e evangélico, não liguem no domingo');
    expect((await ticket(h(), ticketId)).messages[0]).toMatchObject({
      id: messageId,
      body: '[em revisão pelo encarregado de dados]',
      quarantined: true,
    });
    const list = await dpo('GET', '/v1/guard/quarantine');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json<{ items: unknown[] }>().items).toContainEqual(
      expect.objectContaining({
        kind: 'ticket_message',
        id: messageId,
        ticketId,
        classes: ['health', 'religion'],
      }),
    );
    expect(list.body).not.toContain('diabético');
  });

  it('redacts only, without holding, when every class found is set to redact', async () => {
    const { ticketId } = await held(`me liguem no ${PHONE}`);
    expect((await ticket(h(), ticketId)).messages[0]).toMatchObject({
      body: 'me liguem no [removido: telefone]',
      quarantined: false,
    });
  });

  it('approve releases the text as written, and the decision is in the access log', async () => {
    const { ticketId, messageId } = await held('Estou com depressão e não consigo pagar');
    const res = await dpo('POST', `/v1/guard/quarantine/ticket_message/${messageId}/approve`);
    expect(res.statusCode, res.body).toBe(204);
    expect((await ticket(h(), ticketId)).messages[0]).toMatchObject({
      body: 'Estou com depressão e não consigo pagar',
      quarantined: false,
    });
    expect(await accessLogFor(h().sigilo, String(res.headers['x-request-id']))).toContainEqual(
      expect.objectContaining({ outcome: 'allowed', role: 'dpo', purpose: 'subject_request' }),
    );
    // Once decided it is no longer in the queue, and cannot be decided again.
    expectError(
      await dpo('POST', `/v1/guard/quarantine/ticket_message/${messageId}/approve`),
      404,
      'NOT_FOUND',
    );
  });

  it('redact replaces the findings in the held text', async () => {
    const { ticketId, messageId } = await held(`Estou grávida, CPF ${CPF}`);
    expect((await dpo('POST', `/v1/guard/quarantine/ticket_message/${messageId}/redact`)).statusCode).toBe(
      204,
    );
    expect((await ticket(h(), ticketId)).messages[0]?.body).toBe(
      'Estou [removido: saúde], CPF [removido: CPF]',
    );
  });

  it('delete removes the held message', async () => {
    const { ticketId, messageId } = await held('Sou sindicalizado, cadê o desconto?');
    const res = await dpo('POST', `/v1/guard/quarantine/ticket_message/${messageId}/delete`);
    expect(res.statusCode, res.body).toBe(204);
    expect((await ticket(h(), ticketId)).messages).toEqual([]);
    expect(await accessLogFor(h().sigilo, String(res.headers['x-request-id']))).toContainEqual(
      expect.objectContaining({ outcome: 'allowed', role: 'dpo' }),
    );
  });

  it('is the DPO role only', async () => {
    const res = await h().app.inject({
      url: '/v1/guard/quarantine',
      headers: await h().headers('support_agent', 'support'),
    });
    expectError(res, 403, 'ROLE_NOT_ALLOWED');
  });
});
