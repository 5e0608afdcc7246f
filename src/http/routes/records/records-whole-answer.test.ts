/**
 * No personal data outside what masking lets through, in any field (issue 13 §6). The tests read whole answers —
 * the JSON or export text, not named fields — of every records route for the values they pushed: a third party's
 * number, name and IP under partial masking, and, under any masking, the platform's natural keys (which hold both
 * numbers of a call pushed without a platform id).
 */
import { expect, it } from 'vitest';
import { describeHttp } from '../../../../test/support/http.ts';
import type { TestApp } from '../../../../test/support/http.ts';
import { SAMPLE } from '../../../../test/support/sigilo.ts';

const THIRD_PARTY = '+5521998765432';
const DID = '+551130001234';
/** Substrings that must not appear where the third party is masked (the number in any form, name, IPs). */
const MASKED = ['998765432', 'Joana', 'joana', '203.0.113.77'];
const OPAQUE_ID = /^[a-z2-7]{26}$/;

const cdrs = [
  // Inbound from a third party to the customer's DID; platform text repeats the caller's number.
  {
    startedAt: '2026-11-20T12:00:00.000Z',
    endedAt: '2026-11-20T12:01:00.000Z',
    caller: THIRD_PARTY,
    callee: DID,
    callerName: 'Joana Prado Lins',
    direction: 'inbound',
    disposition: 'answered',
    channel: `SIP/${THIRD_PARTY.slice(1)}-00000a1b`,
    context: `from-${THIRD_PARTY.slice(3)}`,
    sourceIp: '203.0.113.77',
  },
  // Outbound from an extension to the third party.
  {
    startedAt: '2026-11-20T13:00:00.000Z',
    endedAt: '2026-11-20T13:02:00.000Z',
    caller: '1101',
    callee: THIRD_PARTY,
    direction: 'outbound',
    disposition: 'answered',
    dstChannel: `SIP/trunk/${THIRD_PARTY}`,
  },
  // The seeded person (their phone) called by the third party: the person's calls route.
  {
    startedAt: '2026-11-20T14:00:00.000Z',
    endedAt: '2026-11-20T14:03:00.000Z',
    caller: THIRD_PARTY,
    callee: SAMPLE.phoneE164,
    direction: 'inbound',
    disposition: 'answered',
  },
];
const connections = [
  { startedAt: '2026-11-20T12:00:00Z', ip: '203.0.113.77', portStart: 1024, username: 'joana' },
];

async function push(t: TestApp, accountId: string): Promise<void> {
  for (const [kind, body] of [
    ['cdr', cdrs],
    ['connection', connections],
  ] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/records/${kind}?accountId=${accountId}`,
      headers: await t.headers('network_platform', 'provisioning'),
      payload: body,
    });
    expect(res.json()).toMatchObject({ stored: body.length });
  }
}

function keysOf(text: string): string[] {
  return [...text.matchAll(/"key":"([^"]*)"/g)].map((m) => m[1]!);
}

describeHttp('whole answers of the records routes', ({ h, seed }) => {
  it('under partial masking hold none of the masked values in any field, and show records by opaque ids', async () => {
    const t = h();
    await push(t, seed().accountId);
    const headers = await t.headers('support_agent', 'support');
    const urls = [
      `/v1/accounts/${seed().accountId}/records/cdr`,
      `/v1/accounts/${seed().accountId}/records/connection`,
      `/v1/people/${seed().personId}/calls`,
    ];
    for (const url of urls) {
      const res = await t.app.inject({ url, headers });
      expect(res.statusCode, res.body).toBe(200);
      for (const value of MASKED) expect(res.body, `${url} holds ${value}`).not.toContain(value);
      const keys = keysOf(res.body);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k).toMatch(OPAQUE_ID);
    }
  });

  it('unmasked (DPO export, authority search) still never show a natural key, and ids are stable', async () => {
    const t = h();
    const history = await t.app.inject({
      url: `/v1/accounts/${seed().accountId}/records/cdr`,
      headers: await t.headers('dpo', 'subject_request'),
    });
    const answers = [history.body];
    for (const format of ['ndjson', 'csv']) {
      const res = await t.app.inject({
        url: `/v1/accounts/${seed().accountId}/records/cdr/export?format=${format}`,
        headers: await t.headers('dpo', 'subject_request'),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain(THIRD_PARTY); // unmasked for the DPO: the check below is not vacuous
      answers.push(res.body);
    }
    const search = await t.app.inject({
      method: 'POST',
      url: '/v1/records/search',
      headers: await t.headers('legal', 'authority_order'),
      payload: { number: THIRD_PARTY, from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' },
    });
    expect(search.statusCode, search.body).toBe(200);
    answers.push(search.body);
    for (const text of answers) {
      expect(text).not.toContain('content:');
      expect(text).not.toContain(`${THIRD_PARTY}|`);
    }
    // The same record has the same id in the DPO's history and in the authority search.
    const historyKeys = keysOf(history.body);
    for (const k of keysOf(search.body)) expect(historyKeys).toContain(k);
    for (const k of historyKeys) expect(k).toMatch(OPAQUE_ID);
  });
});
