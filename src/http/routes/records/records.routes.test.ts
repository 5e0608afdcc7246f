import { expect, it } from 'vitest';
import { describeHttp, routeMatrix } from '../../../../test/support/http.ts';
import { generateOpenApi } from '../../openapi.ts';

const cdr = (i: number, extra: Record<string, unknown> = {}) => ({
  platformId: `pbx-1:${i}`,
  startedAt: `2026-11-20T12:0${i % 10}:00.000Z`,
  answeredAt: `2026-11-20T12:0${i % 10}:05.000Z`,
  endedAt: `2026-11-20T12:0${i % 10}:45.000Z`,
  caller: '1101',
  callee: '011987654321',
  direction: 'outbound',
  disposition: 'answered',
  ...extra,
});

describeHttp('telecom record routes', ({ h, seed }) => {
  let pushed = 0;
  routeMatrix(h, seed, [
    {
      name: 'POST /v1/records/:kind',
      method: 'POST',
      // Fresh platform ids per request: a repeated batch would be counted as duplicates.
      prepare: async (_t, s) => ({
        url: `/v1/records/cdr?accountId=${s.accountId}`,
        body: [cdr(++pushed * 10), cdr(pushed * 10 + 1)].map((c, j) => ({
          ...c,
          platformId: `p${pushed}-${j}`,
        })),
      }),
      role: 'network_platform',
      purpose: 'provisioning',
      status: 200,
      check: (res) => expect(res.json()).toMatchObject({ read: 2, stored: 2, duplicates: 0, rejected: 0 }),
      wrongPurpose: 'support',
      wrongRole: 'support_agent',
      bad: () => ({ body: { records: [] }, field: 'body' }),
    },
    {
      name: 'GET /v1/accounts/:accountId/records/:kind',
      method: 'GET',
      prepare: async (_t, s) => ({ url: `/v1/accounts/${s.accountId}/records/cdr` }),
      role: 'support_agent',
      purpose: 'support',
      status: 200,
      check: (res) => {
        const records = res.json<{ records: { callee: string }[] }>().records;
        expect(records.length).toBeGreaterThan(0);
        // A third party's number, partially masked for support.
        for (const r of records) expect(r.callee).not.toBe('+5511987654321');
      },
      wrongPurpose: 'contracting',
      wrongRole: 'network_platform',
      bad: (p) => ({ url: `${p.url}?limit=0`, field: 'querystring.limit' }),
    },
    {
      name: 'POST /v1/records/search',
      method: 'POST',
      prepare: async () => ({
        url: '/v1/records/search',
        body: { number: '+5511987654321', from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' },
      }),
      role: 'legal',
      purpose: 'authority_order',
      status: 200,
      check: (res) => {
        const records = res.json<{ records: { callee: string }[] }>().records;
        expect(records.length).toBeGreaterThan(0);
        for (const r of records) expect(r.callee).toBe('+5511987654321');
      },
      wrongPurpose: 'support',
      wrongRole: 'support_agent',
      bad: (p) => ({ body: { ...(p.body as object), number: '1' }, field: 'body.number' }),
    },
  ]);

  it('streams NDJSON, reports bad lines by position and stores the rest, each CDR to the account it names', async () => {
    const t = h();
    const lines = [
      JSON.stringify({ ...cdr(1), platformId: 'nd-1', accountId: seed().accountId }),
      '{"startedAt": "ontem"}',
      JSON.stringify({ ...cdr(2), platformId: 'nd-2', accountId: seed().accountId }),
      JSON.stringify({ ...cdr(3), platformId: 'nd-3' }), // no account and no rule
    ];
    const send = async () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/records/cdr',
        headers: {
          ...(await t.headers('network_platform', 'provisioning')),
          'content-type': 'application/x-ndjson',
        },
        payload: `${lines.join('\n')}\n`,
      });
    const res = await send();
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json<{
      stored: number;
      rejected: number;
      errors: { line: number; reason: string }[];
    }>();
    expect(report).toMatchObject({ stored: 2, rejected: 2 });
    expect(report.errors.map((e) => e.line).sort()).toEqual([2, 4]);
    // Sent again: nothing new.
    const again = await send();
    expect(again.json()).toMatchObject({ stored: 0, duplicates: 2, rejected: 2 });
  });

  it('stores the good records of a JSON batch and reports each bad one by position and field', async () => {
    const t = h();
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/records/connection?accountId=${seed().accountId}`,
      headers: await t.headers('network_platform', 'provisioning'),
      payload: [
        { sessionId: 'js-1', startedAt: '2026-03-01T10:00:00Z', ip: '200.160.2.3', portStart: 1024 },
        { sessionId: 'js-2', startedAt: '2026-03-01T10:00:00Z', ip: '200.160.2.3', portStart: 70_000 },
        { sessionId: 'js-3', startedAt: '2026-03-01T10:00:00-03:00', ip: '2001:db8::7' },
        { startedAt: '2026-03-01T10:00:00Z' },
        { sessionId: 'js-5', startedAt: '2026-03-01T10:00:00Z', ip: '200.160.2.3', caller: '1101' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      read: 5,
      stored: 2,
      duplicates: 0,
      rejected: 3,
      errors: [
        { line: 2, reason: 'portStart: must be <= 65535' },
        { line: 4, reason: 'ip: is required' },
        { line: 5, reason: 'record: unrecognized key "caller"' },
      ],
    });
  });

  it("documents each kind's record shape in OpenAPI, which the ingester checks records against", async () => {
    const doc = JSON.parse(await generateOpenApi(h().app)) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: unknown }> } } }>;
    };
    const batch = doc.paths['/v1/records/{kind}']?.post?.requestBody?.content['application/json']?.schema as {
      items: { anyOf: { title: string; required: string[]; properties: Record<string, unknown> }[] };
    };
    expect(batch.items.anyOf.map((s) => s.title)).toEqual([
      'CDR (kind cdr)',
      'Connection record (kind connection)',
      'Access record (kind access)',
      'Traffic aggregate (kind traffic)',
    ]);
    expect(batch.items.anyOf[0]!.required).toEqual(['startedAt', 'endedAt', 'caller', 'callee']);
    expect(batch.items.anyOf[1]!.properties.portStart).toMatchObject({ minimum: 0, maximum: 65535 });
  });
});
