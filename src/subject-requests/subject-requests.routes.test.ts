import { afterEach, describe, expect, it } from 'vitest';
import {
  accessLogFor,
  createTestApp,
  expectError,
  seedCustomer,
  type TestApp,
} from '../../test/support/http.ts';
import { DIALECTS } from '../../test/support/stores.ts';

describe.each(DIALECTS)('/v1/subject-requests on %s', (dialect) => {
  let h: TestApp | undefined;
  afterEach(async () => h?.cleanup());

  it('runs a request from intake to a streamed export, refusing release before verification', async () => {
    h = await createTestApp(dialect);
    const seed = await seedCustomer(h.sigilo);
    const dpo = await h.headers('dpo', 'subject_request');
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/subject-requests',
      headers: dpo,
      payload: { subjectId: seed.personId, type: 'access_complete', channel: 'email' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const r = created.json<{ id: string; state: string; dueAt: string }>();
    expect(r.state).toBe('received');

    const early = await h.app.inject({
      method: 'GET',
      url: `/v1/subject-requests/${r.id}/export`,
      headers: dpo,
    });
    expectError(early, 403, 'IDENTITY_NOT_VERIFIED');
    expect(await accessLogFor(h.sigilo, String(early.headers['x-request-id']))).toContainEqual(
      expect.objectContaining({ outcome: 'denied', role: 'dpo' }),
    );

    const bad = await h.app.inject({
      method: 'POST',
      url: `/v1/subject-requests/${r.id}/verification`,
      headers: dpo,
      payload: { method: 'phone_number', number: '+5511987654321' },
    });
    expectError(bad, 400, 'VALIDATION_FAILED');

    const verified = await h.app.inject({
      method: 'POST',
      url: `/v1/subject-requests/${r.id}/verification`,
      headers: dpo,
      payload: { method: 'document_check', documentKind: 'rg', reference: 'DPO-2026/0001' },
    });
    expect(verified.statusCode, verified.body).toBe(200);

    const exported = await h.app.inject({
      method: 'GET',
      url: `/v1/subject-requests/${r.id}/export`,
      headers: dpo,
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/json');
    const doc = exported.json<{
      format: string;
      subject: { id: string };
      sections: Record<string, unknown[]>;
    }>();
    expect(doc).toMatchObject({ format: 'sigilo.subject-export', subject: { id: seed.personId } });
    expect(doc.sections.phones).toHaveLength(1);

    const one = await h.app.inject({ method: 'GET', url: `/v1/subject-requests/${r.id}`, headers: dpo });
    expect(one.json<{ request: { state: string }; history: { kind: string }[] }>()).toMatchObject({
      request: { state: 'answered' },
      history: [{ kind: 'received' }, { kind: 'identity_verified' }, { kind: 'answered' }],
    });
  });

  it('lists overdue requests, keeps the portal to its own subject, and refuses other roles and a missing purpose', async () => {
    h = await createTestApp(dialect);
    const seed = await seedCustomer(h.sigilo);
    const dpo = await h.headers('dpo', 'subject_request');
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/subject-requests',
      headers: dpo,
      payload: { subjectId: seed.accountId, type: 'confirmation', channel: 'phone' },
    });
    const id = created.json<{ id: string }>().id;
    h.clock.advanceDays(1);
    const overdue = await h.app.inject({
      method: 'GET',
      url: '/v1/subject-requests?due=overdue',
      headers: dpo,
    });
    expect(overdue.json<{ requests: { id: string; due: string }[] }>().requests).toEqual([
      expect.objectContaining({ id, due: 'overdue' }),
    ]);
    const badQuery = await h.app.inject({
      method: 'GET',
      url: '/v1/subject-requests?due=tomorrow',
      headers: dpo,
    });
    expectError(badQuery, 400, 'VALIDATION_FAILED');

    const agent = await h.app.inject({
      method: 'GET',
      url: '/v1/subject-requests',
      headers: await h.headers('support_agent', 'subject_request'),
    });
    expectError(agent, 403, 'ROLE_NOT_ALLOWED');
    // The portal follows the request of the subject it acts for; for anyone else the request does not exist.
    const portalAs = async (subject: string) =>
      h!.app.inject({
        method: 'GET',
        url: `/v1/subject-requests/${id}`,
        headers: {
          ...(await h!.headers('subject_portal', 'subject_request')),
          'sigilo-subject': await h!.subjectAssertion(subject),
        },
      });
    expect((await portalAs(seed.accountId)).statusCode).toBe(200);
    expectError(await portalAs(seed.personId), 404, 'NOT_FOUND');
    const portalStart = await h.app.inject({
      method: 'POST',
      url: `/v1/subject-requests/${id}/start`,
      headers: {
        ...(await h.headers('subject_portal', 'subject_request')),
        'sigilo-subject': await h.subjectAssertion(seed.accountId),
      },
    });
    expectError(portalStart, 403, 'ROLE_NOT_ALLOWED');
    const noPurpose = await h.app.inject({
      method: 'POST',
      url: '/v1/subject-requests',
      headers: await h.headers('dpo'),
      payload: { subjectId: seed.accountId, type: 'confirmation', channel: 'phone' },
    });
    expectError(noPurpose, 400, 'PURPOSE_REQUIRED');
  });
});
