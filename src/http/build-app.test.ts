import { expect, it, vi } from 'vitest';
import { describeHttp, expectError } from '../../test/support/http.ts';
import { SAMPLE } from '../../test/support/sigilo.ts';

describeHttp('the HTTP app', ({ h, seed }) => {
  it('answers health, readiness and Prometheus metrics without credentials', async () => {
    const t = h();
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await t.app.inject({
      url: `/v1/accounts/${seed().accountId}`,
      headers: await t.headers('support_agent', 'support'),
    });
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain(
      'sigilo_http_requests_total{method="GET",route="/v1/accounts/:accountId",status="200"}',
    );
    expect(metrics.body).toMatch(
      /sigilo_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/accounts\/:accountId"/,
    );
    expect(metrics.body).toMatch(/sigilo_gate_decisions_total\{outcome="allowed"\} [1-9]/);
    expect(metrics.body).not.toContain(seed().accountId);
  });

  it('answers 503 NOT_READY when the database does not answer', async () => {
    const t = h();
    const spy = vi.spyOn(t.sigilo.store.db, 'getExecutor').mockImplementation(() => {
      throw new Error('connection refused');
    });
    try {
      expectError(await t.app.inject({ url: '/readyz' }), 503, 'NOT_READY');
    } finally {
      spy.mockRestore();
    }
  });

  it('serves interactive docs and the OpenAPI 3.1 document', async () => {
    const t = h();
    const docs = await t.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    const spec = (await t.app.inject({ url: '/docs/json' })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/v1/people/lookup');
  });

  it('sets security headers, no-store and a request id; HSTS only over TLS', async () => {
    const res = await h().app.inject({ url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a well-formed client request id and replaces anything else', async () => {
    const t = h();
    expect(
      (await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })).headers[
        'x-request-id'
      ],
    ).toBe('abc-123');
    const sneaky = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': `cpf ${SAMPLE.cpf}` } });
    expect(sneaky.headers['x-request-id']).not.toContain(SAMPLE.cpf);
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND', async () => {
    expectError(await h().app.inject({ url: '/v2/anything' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('refuses a body that is not JSON without quoting it back', async () => {
    const t = h();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers: { ...(await t.headers('support_agent', 'support')), 'content-type': 'application/json' },
      payload: `{"phone": ${SAMPLE.phone}`,
    });
    expect(expectError(res, 400, 'VALIDATION_FAILED').details.path).toBe('body');
    expect(res.body).not.toContain('98765');
    expect(t.logs.join('')).not.toContain('98765');
  });

  it('refuses other content types with 415 and oversized bodies with 413', async () => {
    const t = h();
    const headers = await t.headers('support_agent', 'support');
    const xml = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers: { ...headers, 'content-type': 'application/xml' },
      payload: '<phone/>',
    });
    expectError(xml, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup',
      headers,
      payload: { phone: 'x'.repeat(t.config.http.bodyLimitBytes) },
    });
    expectError(huge, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses bad URLs and bodies in the error shape without echoing them (the router and parsers)', async () => {
    const t = h();
    const headers = await t.headers('support_agent', 'support');
    const mark = 'zz8kq3';
    const cases = [
      { url: `/v1/people/${mark}%zz`, status: 400, code: 'MALFORMED_REQUEST' },
      { url: `/v1/people/${mark}%c0%af`, status: 400, code: 'MALFORMED_REQUEST' },
      { url: `/v1/people/${mark}${'a'.repeat(200)}`, status: 414, code: 'URI_TOO_LONG' },
      { url: `/healthz?${mark}=${'a'.repeat(9000)}`, status: 414, code: 'URI_TOO_LONG' },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ url: c.url, headers });
      expect(expectError(res, c.status, c.code).details).toEqual({ path: 'url' });
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.body).not.toContain(mark);
    }
    const post = (payload: Buffer | string, type = 'application/json') =>
      t.app.inject({
        method: 'POST',
        url: '/v1/people/lookup',
        headers: { ...headers, 'content-type': type },
        payload,
      });
    // "é" in latin1 is the lone byte 0xE9: not UTF-8.
    const latin1 = Buffer.from(`{"phone": "${SAMPLE.phone} ${mark}é"}`, 'latin1');
    const bad = await post(latin1);
    expect(expectError(bad, 400, 'VALIDATION_FAILED')).toMatchObject({
      message: 'body is not valid UTF-8',
      details: { path: 'body' },
    });
    expect(bad.body).not.toContain(mark);
    expectError(
      await post(JSON.stringify({ phone: SAMPLE.phone }), 'application/json; charset=latin1'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await post(SAMPLE.phone, 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // A BOM and an explicit utf-8 charset are fine.
    const ok = await post(
      `\ufeff${JSON.stringify({ phone: SAMPLE.phone })}`,
      'application/json; charset=UTF-8',
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(t.logs.join('')).not.toContain(mark);
  });

  it('turns an unexpected error into 500 INTERNAL_ERROR with the request id and nothing else', async () => {
    const t = h();
    const spy = vi
      .spyOn(t.sigilo.services.accounts, 'get')
      .mockRejectedValue(new Error(`boom for ${SAMPLE.personName}`));
    try {
      const res = await t.app.inject({
        url: `/v1/accounts/${seed().accountId}`,
        headers: await t.headers('support_agent', 'support'),
      });
      const error = expectError(res, 500, 'INTERNAL_ERROR');
      expect(error).toEqual({
        code: 'INTERNAL_ERROR',
        message: 'internal error',
        details: { requestId: res.headers['x-request-id'] },
      });
      expect(res.body).not.toContain(SAMPLE.personName);
      const logged = t.logs.filter((l) => l.includes(String(res.headers['x-request-id'])));
      expect(logged.join('')).toContain('"level":50');
      expect(logged.join('')).not.toContain(SAMPLE.personName);
    } finally {
      spy.mockRestore();
    }
  });

  it('logs one line per request with route pattern, status and latency, never the URL, body or token', async () => {
    const t = h();
    const token = await t.token('support_agent');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/people/lookup?note=x',
      headers: { authorization: `Bearer ${token}`, 'sigilo-purpose': 'support' },
      payload: { phone: SAMPLE.phone },
    });
    const line = t.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === res.headers['x-request-id']);
    expect(line).toMatchObject({
      msg: 'request completed',
      method: 'POST',
      route: '/v1/people/lookup',
      status: 200,
      role: 'support_agent',
    });
    expect(typeof line?.latencyMs).toBe('number');
    const all = t.logs.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain('note=x');
  });
});
