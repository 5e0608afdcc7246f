/**
 * Issue 13 §4: a `subject_portal` token read another customer's record and found anyone by phone. The portal now
 * acts for the one subject named by its signed assertion; everything of anyone else answers exactly as a record
 * that does not exist. Tried on both dialects, over every route of openapi.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSubjectBound } from '../../src/policy/policy.evaluate.ts';
import { createTestApp, expectError, seedCustomer, type TestApp } from '../support/http.ts';
import { ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';

const ISSUER = 'https://portal.example.com.br';
const OTHER = {
  companyName: 'Beta Voz Comunicações ME',
  cnpj: '07.195.358/0001-66',
  personName: 'João Pereira Lima',
  phone: '+55 21 99876-5432',
  phoneE164: '+5521998765432',
  email: 'joao.lima@example.org',
  password: 'outra senha bem comprida 42',
};

type Seed = Awaited<ReturnType<typeof seedCustomer>>;

/** A second customer, with values of its own, that the portal acting for the first must never reach. */
async function seedOther(h: TestApp): Promise<Seed & { credentialId: string }> {
  const { gate, services } = h.sigilo;
  const base = await gate.run(ctx('support_agent', 'contracting'), async (s) => {
    const accountId = await services.accounts.create(s, {
      kind: 'company',
      name: OTHER.companyName,
      taxId: OTHER.cnpj,
    });
    const personId = await services.people.create(s, {
      name: OTHER.personName,
      phones: [OTHER.phone],
      emails: [OTHER.email],
      account: { id: accountId, relation: 'owner' },
    });
    const contractId = await services.contracts.create(s, {
      accountId,
      product: 'PABX em nuvem',
      startedOn: '2026-02-01',
    });
    return { accountId, personId, contractId };
  });
  const invoiceId = await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.create(s, {
      contractId: base.contractId,
      issuedOn: '2026-03-01',
      amountCents: 4_990,
      dueDate: '2026-03-10',
    }),
  );
  const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
    services.tickets.open(s, {
      accountId: base.accountId,
      personId: base.personId,
      channel: 'email',
      title: 'Portabilidade do número',
    }),
  );
  const credentialId = await gate.run(ctx('provisioning', 'provisioning'), (s) =>
    services.credentials.storeProvisioningSecret(s, base.personId, 'ramal-9', 'sip-outro-segredo-77'),
  );
  return { ...base, invoiceId, ticketId, credentialId };
}

describe.each(DIALECTS)('the subject portal acts for one subject on %s', (dialect) => {
  let h: TestApp;
  let mine: Seed;
  let other: Seed & { credentialId: string };
  let key: CryptoKey;
  let strangerKey: CryptoKey;
  let dir: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA');
    key = pair.privateKey;
    strangerKey = (await generateKeyPair('EdDSA')).privateKey;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-portal-'));
    const jwksFile = path.join(dir, 'portal-jwks.json');
    fs.writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), alg: 'EdDSA' }] }),
    );
    h = await createTestApp(dialect, {
      env: { SIGILO_PORTAL_ISSUER: ISSUER, SIGILO_PORTAL_JWKS_FILE: jwksFile },
    });
    mine = await seedCustomer(h.sigilo);
    other = await seedOther(h);
  });
  afterAll(async () => {
    await h.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const nowSeconds = () => Math.floor(h.clock.now().getTime() / 1000);
  const assertion = (
    subject: string,
    options: { key?: CryptoKey; aud?: string; iat?: number; exp?: number } = {},
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(ISSUER)
      .setAudience(options.aud ?? 'sigilo')
      .setSubject(subject)
      .setIssuedAt(options.iat ?? nowSeconds())
      .setExpirationTime(options.exp ?? nowSeconds() + 120)
      .sign(options.key ?? key);

  /** A portal request acting for `subject` (the first customer's person unless said otherwise). */
  const portal = async (
    method: string,
    url: string,
    options: { purpose?: string; body?: unknown; subject?: string; assertion?: string | null } = {},
  ): Promise<LightMyRequestResponse> => {
    const signed =
      options.assertion === undefined ? await assertion(options.subject ?? mine.personId) : options.assertion;
    return h.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${await h.token('subject_portal')}`,
        'sigilo-purpose': options.purpose ?? 'subject_request',
        ...(signed ? { 'sigilo-subject': signed } : {}),
      },
      ...(options.body !== undefined ? { payload: options.body as Record<string, unknown> } : {}),
    });
  };

  /** Everything of the other customer that must never appear in an answer to the portal. */
  const otherValues = () => [
    OTHER.companyName,
    OTHER.personName,
    OTHER.phoneE164,
    OTHER.email,
    '07195358000166',
    other.accountId,
    other.personId,
    other.contractId,
    other.invoiceId,
    other.ticketId,
    other.credentialId,
  ];
  const expectNothingOfOther = (res: LightMyRequestResponse, what: string) => {
    for (const v of otherValues()) expect(res.body, `${what} revealed ${v}`).not.toContain(v);
  };

  it('reads its own subject, and needs a valid, fresh assertion from the portal to do so', async () => {
    const own = await portal('GET', `/v1/people/${mine.personId}`);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json<{ name: string }>().name).toBe(SAMPLE.personName);

    const url = `/v1/people/${mine.personId}`;
    expectError(await portal('GET', url, { assertion: null }), 401, 'UNAUTHENTICATED');
    expectError(
      await portal('GET', url, { assertion: await assertion(mine.personId, { key: strangerKey }) }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await portal('GET', url, { assertion: await assertion(mine.personId, { aud: 'other' }) }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await portal('GET', url, {
        assertion: await assertion(mine.personId, { iat: nowSeconds() - 3600, exp: nowSeconds() + 60 }),
      }),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await portal('GET', url, { assertion: await assertion('maria@example.com') }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it("answers another customer's record exactly as one that does not exist", async () => {
    const theirs = await portal('GET', `/v1/people/${other.personId}`);
    const nobody = await portal('GET', `/v1/people/${randomUUID()}`);
    expect(theirs.statusCode).toBe(404);
    expect([theirs.statusCode, theirs.body]).toEqual([nobody.statusCode, nobody.body]);
    expectNothingOfOther(theirs, 'GET person');
  });

  it("finds nobody by another customer's phone, e-mail or CNPJ, as for values nobody has", async () => {
    for (const [url, theirs, nobodys] of [
      ['/v1/people/lookup', { phone: OTHER.phone }, { phone: '+55 31 99123-4567' }],
      ['/v1/people/lookup', { email: OTHER.email }, { email: 'ninguem@example.net' }],
      ['/v1/accounts/lookup', { taxId: OTHER.cnpj }, { taxId: '08.807.432/0001-10' }],
    ] as const) {
      const a = await portal('POST', url, { body: theirs });
      const b = await portal('POST', url, { body: nobodys });
      expect([a.statusCode, a.body], `${url} ${JSON.stringify(theirs)}`).toEqual([b.statusCode, b.body]);
      expectNothingOfOther(a, url);
    }
    // Its own phone still finds its own subject.
    const own = await portal('POST', '/v1/people/lookup', { body: { phone: SAMPLE.phone } });
    expect(own.json<{ people: { id: string }[] }>().people.map((p) => p.id)).toEqual([mine.personId]);
  });

  it("cannot change another customer's data: writes answer as for a record that does not exist", async () => {
    for (const [method, suffix, body, purpose] of [
      ['PATCH', '', { name: 'Nome Trocado' }, 'subject_request'],
      ['POST', '/contacts', { kind: 'email', value: 'invasor@example.net' }, 'subject_request'],
      ['PUT', '/portal-password', { password: 'uma senha nova e longa 1' }, 'provisioning'],
      ['POST', '/portal-password/verify', { password: OTHER.password }, 'provisioning'],
    ] as const) {
      const a = await portal(method, `/v1/people/${other.personId}${suffix}`, { body, purpose });
      const b = await portal(method, `/v1/people/${randomUUID()}${suffix}`, { body, purpose });
      expect([a.statusCode, a.body], `${method} ${suffix}`).toEqual([b.statusCode, b.body]);
    }
    const read = await h.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      h.sigilo.services.people.get(s, other.personId),
    );
    expect(read.name).toBe(OTHER.personName);
    expect(read.emails?.map((e) => e.value)).toEqual([OTHER.email]);
  });

  /** A value for each path parameter: the other customer's id, or a guess; new parameters must be added here. */
  const paramValue = (name: string, enumValues: string[] | undefined, guess: boolean): string => {
    if (enumValues) return enumValues[0]!;
    const ids: Record<string, string> = {
      accountId: other.accountId,
      personId: other.personId,
      contractId: other.contractId,
      invoiceId: other.invoiceId,
      ticketId: other.ticketId,
      credentialId: other.credentialId,
    };
    if (guess || !(name in ids)) return randomUUID();
    return ids[name]!;
  };

  it('reaches nothing of another customer on any route of openapi.json, with guessed ids or theirs', async () => {
    const doc = JSON.parse(fs.readFileSync(path.resolve('openapi.json'), 'utf8')) as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string; schema?: { enum?: string[] } }[] }>
      >;
    };
    const policy = h.sigilo.policies.policy();
    expect(isSubjectBound(policy, 'subject_portal')).toBe(true);
    const purposes = [
      ...new Set(policy.grants.filter((g) => g.role === 'subject_portal').map((g) => g.purpose)),
    ];
    const known = new Set(['accountId', 'personId', 'contractId', 'invoiceId', 'ticketId', 'credentialId']);
    let tried = 0;
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const params = (op.parameters ?? []).filter((p) => p.in === 'path');
        const fill = (guess: boolean) =>
          route.replace(/\{(\w+)\}/g, (_m, name: string) => {
            const p = params.find((x) => x.name === name);
            return paramValue(name, p?.schema?.enum, guess);
          });
        for (const purpose of purposes) {
          const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined;
          const theirs = await portal(method.toUpperCase(), fill(false), { purpose, body });
          expect(theirs.statusCode, `${method} ${route}`).not.toBe(500);
          expectNothingOfOther(theirs, `${method.toUpperCase()} ${route} (${purpose})`);
          if (params.some((p) => known.has(p.name))) {
            const guessed = await portal(method.toUpperCase(), fill(true), { purpose, body });
            expect([theirs.statusCode, theirs.body], `${method.toUpperCase()} ${route} (${purpose})`).toEqual(
              [guessed.statusCode, guessed.body],
            );
          }
          tried += 1;
        }
      }
    }
    expect(tried).toBeGreaterThan(100);
  });

  it("every listing of the other customer's account answers as for an account that does not exist", async () => {
    for (const suffix of ['', '/contracts', '/invoices', '/tickets', '/records/cdr', '/records/cdr/export']) {
      const a = await portal('GET', `/v1/accounts/${other.accountId}${suffix}`);
      const b = await portal('GET', `/v1/accounts/${randomUUID()}${suffix}`);
      expect([a.statusCode, a.body], suffix).toEqual([b.statusCode, b.body]);
      expectNothingOfOther(a, suffix);
    }
    for (const suffix of ['/calls', '/credentials']) {
      const purpose = suffix === '/credentials' ? 'provisioning' : 'subject_request';
      const a = await portal('GET', `/v1/people/${other.personId}${suffix}`, { purpose });
      const b = await portal('GET', `/v1/people/${randomUUID()}${suffix}`, { purpose });
      expect([a.statusCode, a.body], suffix).toEqual([b.statusCode, b.body]);
    }
  });

  it('a portal context that names no subject reaches nothing through the gate', async () => {
    await expect(
      h.sigilo.gate.run(ctx('subject_portal', 'subject_request'), (s) =>
        h.sigilo.services.people.get(s, mine.personId),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const own = await h.sigilo.gate.run(
      { ...ctx('subject_portal', 'subject_request'), actingForSubject: mine.personId },
      (s) => h.sigilo.services.people.get(s, mine.personId),
    );
    expect(own.name).toBe(SAMPLE.personName);
  });
});
