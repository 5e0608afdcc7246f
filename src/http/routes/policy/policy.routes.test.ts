import { expect, it } from 'vitest';
import { describeHttp, expectError } from '../../../../test/support/http.ts';

describeHttp('policy routes', ({ h }) => {
  it('serves the policy in force to any authenticated role', async () => {
    const t = h();
    const res = await t.app.inject({ url: '/v1/policy', headers: await t.headers('auditor') });
    const body = res.json<{ version: number; document: { purposes: { id: string }[] } }>();
    expect(body.version).toBe(1);
    expect(body.document.purposes.map((p) => p.id)).toContain('support');
    expectError(await t.app.inject({ url: '/v1/policy' }), 401, 'UNAUTHENTICATED');
  });

  it('serves the Portuguese text, in Markdown or HTML, without credentials', async () => {
    const t = h();
    const md = await t.app.inject({ url: '/v1/policy/text' });
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).toContain('Não coletamos "dados sensíveis"');
    const html = await t.app.inject({ url: '/v1/policy/text?format=html' });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toMatch(/<h1|<h2/);
    const bad = await t.app.inject({ url: '/v1/policy/text?format=pdf' });
    expect(expectError(bad, 400, 'VALIDATION_FAILED').details.path).toBe('querystring.format');
  });

  it('serves the policy in force and its history publicly, as Markdown and HTML in one document', async () => {
    const res = await h().app.inject({ url: '/v1/public/policy' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      version: number;
      markdown: string;
      html: string;
      history: { version: number }[];
    }>();
    expect(body.version).toBe(h().sigilo.policies.policy().version);
    expect(body.markdown).toContain('Não coletamos "dados sensíveis"');
    expect(body.html).toMatch(/<h2/);
    expect(body.history[0]?.version).toBe(body.version);
  });

  it('diffs two published versions, in paths and in Portuguese, and says when the newer loosens', async () => {
    const t = h();
    const current = t.sigilo.policies.policy();
    const next = structuredClone(current) as typeof current & { version: number };
    next.version = current.version + 1;
    const rule = next.retention.find((r) => r.category === 'support_recording')!;
    rule.rule = { kind: 'after', anchor: 'record_created', period: 'P3Y' };
    await t.sigilo.policies.publish(next, 'test-dpo');
    const res = await t.app.inject({
      url: `/v1/policy/versions/${current.version}/diff/${next.version}`,
      headers: await t.headers('auditor'),
    });
    expect(res.statusCode, res.body).toBe(200);
    const diff = res.json<{ loosening: boolean; changes: { path: string }[]; text: string[] }>();
    expect(diff.loosening).toBe(true);
    expect(diff.changes.map((c) => c.path)).toContain('retention.support_recording.rule.period');
    expect(diff.text).toContainEqual(
      expect.stringMatching(/^Retenção de Gravações dos atendimentos: .+ para 3 anos/),
    );
    const versions = await t.app.inject({ url: '/v1/policy/versions', headers: await t.headers('auditor') });
    expect(versions.json<{ versions: { version: number }[] }>().versions.map((v) => v.version)).toEqual([
      next.version,
      current.version,
    ]);
    const missing = await t.app.inject({
      url: `/v1/policy/versions/1/diff/99`,
      headers: await t.headers('auditor'),
    });
    expectError(missing, 404, 'POLICY_NOT_FOUND');
  });

  it('publishes a stricter version at once, and holds a loosening one for a second DPO', async () => {
    const t = h();
    const dpo = async () => ({ authorization: `Bearer ${await t.token('dpo')}` });
    const other = (await t.tokens.create({ role: 'dpo', label: 'second dpo', createdBy: 'test' })).token;

    const stricter = structuredClone(t.sigilo.policies.policy()) as ReturnType<
      typeof t.sigilo.policies.policy
    > & {
      version: number;
    };
    stricter.version += 1;
    stricter.detectors.fields['note.body'] = 'reject';
    const published = await t.app.inject({
      method: 'POST',
      url: '/v1/policy/versions',
      headers: await dpo(),
      payload: { document: stricter },
    });
    expect(published.statusCode, published.body).toBe(201);
    expect(published.json()).toMatchObject({
      version: stricter.version,
      status: 'published',
      loosening: false,
    });
    expect(t.sigilo.policies.policy().version).toBe(stricter.version);

    const looser = structuredClone(stricter);
    looser.version += 1;
    looser.retention.find((r) => r.category === 'support_recording')!.rule = {
      kind: 'after',
      anchor: 'record_created',
      period: 'P5Y',
    };
    const pending = await t.app.inject({
      method: 'POST',
      url: '/v1/policy/versions',
      headers: await dpo(),
      payload: { document: looser },
    });
    expect(pending.statusCode, pending.body).toBe(202);
    const body = pending.json<{ status: string; loosening: boolean; text: string[] }>();
    expect(body).toMatchObject({ status: 'pending_approval', loosening: true });
    expect(body.text[0]).toMatch(/segundo encarregado/);
    expect(t.sigilo.policies.policy().version).toBe(stricter.version);

    const self = await t.app.inject({
      method: 'POST',
      url: `/v1/policy/versions/${looser.version}/approve`,
      headers: await dpo(),
    });
    expectError(self, 403, 'SECOND_APPROVAL_REQUIRED');
    const approved = await t.app.inject({
      method: 'POST',
      url: `/v1/policy/versions/${looser.version}/approve`,
      headers: { authorization: `Bearer ${other}` },
    });
    expect(approved.statusCode, approved.body).toBe(201);
    expect(t.sigilo.policies.policy().version).toBe(looser.version);
    const history = await t.sigilo.policies.list();
    expect(history.at(-1)?.publishedBy).toMatch(/^token:.+; approved by token:/);

    const support = await t.app.inject({
      method: 'POST',
      url: '/v1/policy/versions',
      headers: await t.headers('support_agent'),
      payload: { document: looser },
    });
    expectError(support, 403, 'ROLE_NOT_ALLOWED');
  });
});
