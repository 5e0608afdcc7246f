import { expect, it } from 'vitest';
import { accessLogFor, describeHttp, expectError } from '../../test/support/http.ts';

describeHttp('incident routes', ({ h }) => {
  const body = {
    knownAt: '2026-11-24T15:00:00.000Z',
    description: 'Notebook de um atendente com exportação de contatos furtado.',
    categories: ['name', 'phone'],
    affectedSubjects: 40,
    risks: 'Contato indevido por telefone.',
  };

  it('records, lists, reads, communicates and drafts for the DPO, each request in the access log', async () => {
    const t = h();
    const headers = await t.headers('dpo', 'legal_obligation');
    const created = await t.app.inject({ method: 'POST', url: '/v1/incidents', headers, payload: body });
    expect(created.statusCode, created.body).toBe(201);
    const incident = created.json<{ id: string; communicationDueDate: string; affectedSubjects: number }>();
    expect(incident).toMatchObject({ communicationDueDate: '2026-11-27', affectedSubjects: 40 });
    expect(
      (await accessLogFor(t.sigilo, created.headers['x-request-id'] as string)).map((e) => e.outcome),
    ).toContain('allowed');

    const list = await t.app.inject({ url: '/v1/incidents', headers });
    expect(list.statusCode, list.body).toBe(200);
    const listed = list.json<{ incidents: Record<string, unknown>[] }>().incidents;
    expect(listed.map((i) => i.id)).toContain(incident.id);
    expect(listed[0]).not.toHaveProperty('description');

    const one = await t.app.inject({ url: `/v1/incidents/${incident.id}`, headers });
    expect(one.json<{ description: string }>().description).toBe(body.description);

    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/incidents/${incident.id}/communications`,
      headers,
      payload: { to: 'anpd' },
    });
    expect(sent.statusCode, sent.body).toBe(200);

    const drafts = await t.app.inject({ url: `/v1/incidents/${incident.id}/drafts`, headers });
    expect(drafts.statusCode, drafts.body).toBe(200);
    const d = drafts.json<{ anpd: { text: string }; subjects: { text: string } }>();
    expect(d.anpd.text).toContain('40 titulares');
    expect(d.subjects.text).toContain('Contato indevido por telefone.');

    const affected = await t.app.inject({ url: '/v1/incidents/affected?kekVersion=1', headers });
    expect(affected.json<{ subjects: number }>().subjects).toBeGreaterThanOrEqual(2);
  });

  it('refuses other roles, and a missing purpose in the access log', async () => {
    const t = h();
    expectError(
      await t.app.inject({ url: '/v1/incidents', headers: await t.headers('support_agent', 'support') }),
      403,
      'ROLE_NOT_ALLOWED',
    );
    const res = await t.app.inject({ url: '/v1/incidents', headers: await t.headers('dpo', null) });
    expectError(res, 400, 'PURPOSE_REQUIRED');
    expect((await accessLogFor(t.sigilo, res.headers['x-request-id'] as string))[0]?.outcome).toBe('denied');
  });

  it('refuses a category the policy does not declare', async () => {
    const t = h();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/incidents',
      headers: await t.headers('dpo', 'legal_obligation'),
      payload: { ...body, categories: ['nonsense'] },
    });
    expectError(res, 400, 'CATEGORY_NOT_DECLARED');
  });
});
