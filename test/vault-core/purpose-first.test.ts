/**
 * Routes whose services ask their policy question before any lookup (issue 14, the matrix's last round): under a
 * purpose the policy does not grant for them, a list is refused rather than answered, and a guessed id is refused
 * exactly like a real one (never a 404 that tells them apart), each refusal in the access log.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';
import { accessLogFor, describeHttp, expectError, type TestApp } from '../support/http.ts';

async function call(
  h: TestApp,
  role: string,
  purpose: string,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
) {
  const res = await h.app.inject({
    method,
    url,
    headers: {
      ...(await h.headers(role, purpose)),
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
  return res;
}

async function expectRefusedAndLogged(h: TestApp, res: Awaited<ReturnType<typeof call>>): Promise<void> {
  expectError(res, 403, 'PURPOSE_NOT_ALLOWED');
  const log = await accessLogFor(h.sigilo, String(res.headers['x-request-id']));
  expect(log.map((e) => e.outcome)).toContain('denied');
}

describeHttp('purpose asked before any lookup', ({ h, seed }) => {
  it('authority requests: a legal user lists and opens them only under authority_order', async () => {
    const created = await call(h(), 'legal', 'authority_order', 'POST', '/v1/authority-requests', cdrOrder());
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;

    await expectRefusedAndLogged(h(), await call(h(), 'legal', 'support', 'GET', '/v1/authority-requests'));
    await expectRefusedAndLogged(
      h(),
      await call(h(), 'legal', 'support', 'GET', `/v1/authority-requests/${id}`),
    );
    await expectRefusedAndLogged(
      h(),
      await call(h(), 'legal', 'support', 'GET', `/v1/authority-requests/${randomUUID()}`),
    );
    await expectRefusedAndLogged(
      h(),
      await call(h(), 'legal', 'legal_obligation', 'POST', '/v1/authority-requests', cdrOrder()),
    );

    const listed = await call(h(), 'legal', 'authority_order', 'GET', '/v1/authority-requests');
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ requests: { id: string }[] }>().requests.map((r) => r.id)).toContain(id);
  });

  it('subject requests: the DPO lists and opens them only under subject_request', async () => {
    const created = await call(h(), 'dpo', 'subject_request', 'POST', '/v1/subject-requests', {
      subjectId: seed().personId,
      type: 'access_complete',
      channel: 'email',
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;

    await expectRefusedAndLogged(h(), await call(h(), 'dpo', 'billing', 'GET', '/v1/subject-requests'));
    await expectRefusedAndLogged(h(), await call(h(), 'dpo', 'billing', 'GET', `/v1/subject-requests/${id}`));
    await expectRefusedAndLogged(
      h(),
      await call(h(), 'dpo', 'billing', 'GET', `/v1/subject-requests/${randomUUID()}`),
    );

    const listed = await call(h(), 'dpo', 'subject_request', 'GET', '/v1/subject-requests');
    expect(listed.statusCode).toBe(200);
  });

  it('guard decisions: a guessed id under a wrong purpose is refused, not answered 404', async () => {
    for (const decision of ['approve', 'redact', 'delete']) {
      await expectRefusedAndLogged(
        h(),
        await call(
          h(),
          'dpo',
          'billing',
          'POST',
          `/v1/guard/quarantine/ticket_message/${randomUUID()}/${decision}`,
        ),
      );
    }
    const allowed = await call(
      h(),
      'dpo',
      'subject_request',
      'POST',
      `/v1/guard/quarantine/ticket_message/${randomUUID()}/approve`,
    );
    expectError(allowed, 404, 'NOT_FOUND');
  });
});
