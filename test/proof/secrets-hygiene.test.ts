/**
 * Secrets hygiene (issue 14 §7), on both dialects: after the authorization matrix, the schema fuzzer and a telecom
 * import and export have run against one app, the captured server logs (pino output), every error body and
 * `/metrics` hold none of the values the run used: personal data (names, CPF/CNPJ, phones, e-mails, addresses,
 * numbers of the imported calls), passwords and provisioning secrets, every bearer token and subject assertion
 * sent or issued, and the master key. The suite keeps the list of what it used and searches each in the forms a
 * leak would take (as sent, lower-cased, digits only).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/http.ts';
import { SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { MATRIX_VALUES, runAttacks, runAuthzMatrix, samplePurposes } from './authz-matrix.ts';
import { runOpenApiFuzz } from './openapi-fuzz.ts';

/** Distinctive values of the import and export flow (two callers and a callee nobody else uses). */
const FLOW = {
  caller: '+5511976543210',
  callee: '+5521987651234',
  otherCaller: '+5531991234567',
} as const;

/** The forms a value may leak in: as used, lower-cased, and its digits when it is a document or a number. */
function formsOf(value: string): string[] {
  const forms = new Set([value, value.toLowerCase()]);
  const digits = value.replace(/\D/g, '');
  if (digits.length >= 8) forms.add(digits);
  return [...forms];
}

/** Every master-key version in the test key file, base64 (as stored) and hex. */
function masterKeys(dir: string): string[] {
  const text = fs.readFileSync(path.join(dir, 'master.key'), 'utf8');
  const keys = [...text.matchAll(/"key"\s*:\s*"([A-Za-z0-9+/=]{40,})"/g)].map((m) => m[1]!);
  return keys.flatMap((k) => [k, Buffer.from(k, 'base64').toString('hex')]);
}

describe.each(DIALECTS)('secrets hygiene after the proof suites (%s)', (dialect) => {
  let t: TestApp;
  const errorBodies: string[] = [];
  const issuedTokens: string[] = [];
  const sentCredentials = new Set<string>();
  let metrics = '';
  let exportBody = '';

  beforeAll(async () => {
    t = await createTestApp(dialect);
    // Every answer passes here: error bodies are kept, tokens issued and credentials sent are remembered.
    const inject = t.app.inject.bind(t.app) as (o: InjectOptions) => Promise<LightMyRequestResponse>;
    (t.app as unknown as { inject: typeof inject }).inject = async (o: InjectOptions) => {
      const res = await inject(o);
      for (const [name, v] of Object.entries(o.headers ?? {})) {
        if (/^(authorization|sigilo-subject)$/i.test(name) && typeof v === 'string') {
          sentCredentials.add(v.replace(/^Bearer\s+/i, ''));
        }
      }
      if (res.statusCode >= 400) errorBodies.push(res.body);
      else if (o.url === '/v1/tokens' && o.method === 'POST') {
        issuedTokens.push(res.json<{ token: string }>().token);
      }
      return res;
    };

    const policy = t.sigilo.policies.policy();
    // The traffic of the matrix is what matters here, not its verdicts (authz-matrix.test.ts judges those): every
    // allowed request, and on SQLite a refused purpose per route and role too (refusals read alike on both).
    const sampled = samplePurposes(policy);
    await runAuthzMatrix(t, {
      sample: (c) => c.expected !== 'deny' || (dialect === 'sqlite' && sampled(c)),
      freshFixtures: false,
    });
    await runAttacks(t);
    await runOpenApiFuzz(t, { runsPerOperation: dialect === 'sqlite' ? 2 : 1, seed: 20261204 });

    // Import and export: a network platform pushes calls of one account, the legal team exports them.
    const account = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        headers: { ...(await t.headers('support_agent', 'contracting')), 'content-type': 'application/json' },
        payload: JSON.stringify({ kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
      })
    ).json<{ id: string }>().id;
    const calls = [FLOW.caller, FLOW.otherCaller].map((caller, i) => ({
      startedAt: `2026-03-0${i + 1}T10:00:00Z`,
      endedAt: `2026-03-0${i + 1}T10:03:00Z`,
      caller,
      callee: FLOW.callee,
    }));
    const imported = await t.app.inject({
      method: 'POST',
      url: `/v1/records/cdr?accountId=${account}`,
      headers: {
        ...(await t.headers('network_platform', 'provisioning')),
        'content-type': 'application/json',
      },
      payload: JSON.stringify(calls),
    });
    expect(imported.statusCode, imported.body).toBe(200);
    // Imported again: every record is a duplicate, and a malformed one is reported by position.
    await t.app.inject({
      method: 'POST',
      url: `/v1/records/cdr?accountId=${account}`,
      headers: {
        ...(await t.headers('network_platform', 'provisioning')),
        'content-type': 'application/json',
      },
      payload: JSON.stringify([...calls, { caller: FLOW.caller }]),
    });
    const exported = await t.app.inject({
      method: 'GET',
      url: `/v1/accounts/${account}/records/cdr/export?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z`,
      headers: await t.headers('legal', 'authority_order'),
    });
    expect(exported.statusCode, exported.body).toBe(200);
    exportBody = exported.body;
    // Refused exports of the same records (wrong role, wrong purpose): their error bodies are checked too.
    for (const [role, purpose] of [
      ['support_agent', 'support'],
      ['admin', 'authority_order'],
    ] as const) {
      await t.app.inject({
        method: 'GET',
        url: `/v1/accounts/${account}/records/cdr/export`,
        headers: await t.headers(role, purpose),
      });
    }
    metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  }, 900_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  /** Everything the run used that must never show up, named for the report. */
  function used(): { name: string; value: string }[] {
    const personal: [string, string][] = [
      ['company name', SAMPLE.companyName],
      ['CNPJ', SAMPLE.cnpj],
      ['person name', SAMPLE.personName],
      ['CPF', SAMPLE.cpf],
      ['phone', SAMPLE.phone],
      ['phone (E.164)', SAMPLE.phoneE164],
      ['e-mail', SAMPLE.email],
      ['street', SAMPLE.address.street],
      ['portal password', SAMPLE.password],
      ['SIP secret', SAMPLE.sipSecret],
      ['matrix company', MATRIX_VALUES.companyName],
      ['matrix person', MATRIX_VALUES.personName],
      ['matrix phone', MATRIX_VALUES.phone],
      ['matrix password', MATRIX_VALUES.password],
      ['matrix secret', MATRIX_VALUES.secret],
      ['matrix rule pattern', MATRIX_VALUES.pattern],
      ['imported caller', FLOW.caller],
      ['imported caller 2', FLOW.otherCaller],
      ['imported callee', FLOW.callee],
    ];
    return [
      ...personal.flatMap(([name, v]) => formsOf(v).map((value) => ({ name, value }))),
      ...[...sentCredentials].map((value) => ({ name: 'credential sent', value })),
      ...issuedTokens.map((value) => ({ name: 'token issued', value })),
      ...masterKeys(t.config.dataDir).map((value) => ({ name: 'master key', value })),
    ];
  }

  /** The names of the used values found in `text`. */
  function leaks(text: string): string[] {
    return used()
      .filter(({ value }) => text.includes(value))
      .map(({ name, value }) => `${name} (${value.length} chars)`);
  }

  it('finds a used value where it legitimately is (the export answer holds the imported numbers)', () => {
    expect(leaks(exportBody)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^imported caller/),
        expect.stringMatching(/^imported caller 2/),
      ]),
    );
  });

  it('ran the suites it claims to have run', () => {
    // PostgreSQL sends the matrix's allowed cases only (~300 since the subject-request, authority-request and
    // guard routes declare their policy questions: their cases were counted as allowed while only roles were
    // judged), plus the fuzz and the CDR traffic.
    expect(t.logs.length).toBeGreaterThan(300);
    expect(errorBodies.length).toBeGreaterThan(300);
    expect(sentCredentials.size).toBeGreaterThanOrEqual(t.sigilo.policies.policy().roles.length);
    expect(issuedTokens.length).toBeGreaterThan(0);
    expect(metrics).toContain('sigilo_');
    expect(masterKeys(t.config.dataDir).length).toBeGreaterThan(0);
  });

  it.each(['logs', 'error bodies', 'metrics'] as const)(
    'the %s hold none of the personal data, secrets, tokens or keys used',
    (where) => {
      const text =
        where === 'logs' ? t.logs.join('\n') : where === 'metrics' ? metrics : errorBodies.join('\n');
      console.info(`hygiene ${where}: ${text.length} characters searched for ${used().length} values`);
      expect(leaks(text)).toEqual([]);
    },
  );
});
