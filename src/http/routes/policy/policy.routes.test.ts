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
});
