/** HTTP test harness: a built (never listening) app over a fresh test Sigilo, tokens per role, captured logs. */
import fs from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { loadConfig, type SigiloConfig } from '../../src/config/config.ts';
import { buildApp, type SigiloApp } from '../../src/http/build-app.ts';
import { createLogger } from '../../src/http/logger.ts';
import { isSubjectBound } from '../../src/policy/policy.evaluate.ts';
import { StaffTokenService } from '../../src/tokens/staff-token.service.ts';
import type { StoreDialect } from '../../src/store/store.ts';
import { createTestSigilo, ctx, SAMPLE, type TestClock } from './sigilo.ts';
import { DIALECTS } from './stores.ts';

/** The `iss` of the test portal's subject assertions. */
export const PORTAL_ISSUER = 'https://portal.test.example';

export interface TestApp {
  app: SigiloApp;
  sigilo: Sigilo;
  config: SigiloConfig;
  tokens: StaffTokenService;
  clock: TestClock;
  /** Every JSON line the application logger wrote. */
  logs: string[];
  /** A valid token for `role` (one per role, created on first use). */
  token(role: string): Promise<string>;
  /**
   * Authorization (and purpose) headers for `role`; for a subject-bound role (the subject portal) also a signed
   * assertion acting for `actingFor` (describeHttp sets it to the seeded person).
   */
  headers(role: string, purpose?: string | null): Promise<Record<string, string>>;
  /** The subject the portal's requests act for in `headers` (null: none, the request is refused). */
  actingFor: string | null;
  /** A subject assertion as the test portal signs it (issuer PORTAL_ISSUER, key of the test JWKS file). */
  subjectAssertion(subjectId: string): Promise<string>;
  /** Another Sigilo over the same database and key, as the next start of the process opens it (closed by cleanup). */
  reopen(): Promise<Sigilo>;
  cleanup(): Promise<void>;
}

/** Builds an app over a fresh Sigilo on `dialect`; `env` adds SIGILO_* settings (OIDC, limits...). */
export async function createTestApp(
  dialect: StoreDialect,
  options: { env?: Record<string, string> } = {},
): Promise<TestApp> {
  const t = await createTestSigilo(dialect);
  // The test portal: its private key signs subject assertions; Sigilo knows its public key from a JWKS file.
  const portalKeys = await generateKeyPair('EdDSA');
  const portalJwks = path.join(t.dir, 'portal-jwks.json');
  fs.writeFileSync(
    portalJwks,
    JSON.stringify({ keys: [{ ...(await exportJWK(portalKeys.publicKey)), alg: 'EdDSA' }] }),
  );
  const config = loadConfig({
    SIGILO_DATA_DIR: t.dir,
    SIGILO_LOG_LEVEL: 'info',
    SIGILO_AUTH_FAILURES_PER_MINUTE: '1000',
    SIGILO_PORTAL_ISSUER: PORTAL_ISSUER,
    SIGILO_PORTAL_JWKS_FILE: portalJwks,
    ...options.env,
  });
  const subjectAssertion = (subjectId: string): Promise<string> => {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(PORTAL_ISSUER)
      .setAudience('sigilo')
      .setSubject(subjectId)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .sign(portalKeys.privateKey);
  };
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const tokens = new StaffTokenService(t.sigilo.store, () => t.sigilo.policies.policy(), t.clock.now, {
    defaultTtlDays: 30,
    accessLog: t.sigilo.accessLog.writer,
    labels: t.sigilo.tokenLabels,
    log: { info: (obj, msg) => logger.info(obj, msg) },
  });
  const app = await buildApp(t.sigilo, config, { logger, tokens });
  await app.ready();
  const byRole = new Map<string, string>();
  const token = async (role: string): Promise<string> => {
    let tk = byRole.get(role);
    if (!tk) {
      tk = (await tokens.create({ role, label: `test ${role}`, createdBy: 'test' })).token;
      byRole.set(role, tk);
    }
    return tk;
  };
  const harness: TestApp = {
    app,
    sigilo: t.sigilo,
    config,
    tokens,
    clock: t.clock,
    logs,
    token,
    actingFor: null,
    subjectAssertion,
    reopen: t.reopen,
    headers: async (role, purpose = null) => ({
      authorization: `Bearer ${await token(role)}`,
      ...(purpose ? { 'sigilo-purpose': purpose } : {}),
      ...(harness.actingFor && isSubjectBound(t.sigilo.policies.policy(), role)
        ? { 'sigilo-subject': await subjectAssertion(harness.actingFor) }
        : {}),
    }),
    cleanup: async () => {
      await app.close();
      await t.cleanup();
    },
  };
  return harness;
}

/** The error body of a response, after checking its status and code. */
export function expectError(
  res: LightMyRequestResponse,
  status: number,
  code: string,
): { code: string; message: string; details: Record<string, unknown> } {
  const body = res.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>();
  expect({ status: res.statusCode, code: body.error?.code }).toEqual({ status, code });
  return body.error;
}

/** Access-log entries written for one request (by its request id). */
export async function accessLogFor(
  sigilo: Sigilo,
  requestId: string,
): Promise<{ outcome: string; reason: string | null; purpose: string | null; role: string }[]> {
  return sigilo.store.db
    .selectFrom('access_log')
    .select(['outcome', 'reason', 'purpose', 'role'])
    .where('request_id', '=', requestId)
    .orderBy('seq')
    .execute();
}

/** A customer with one of everything, created through the gate (not HTTP), for routes to work on. */
export async function seedCustomer(sigilo: Sigilo): Promise<{
  accountId: string;
  personId: string;
  contractId: string;
  invoiceId: string;
  ticketId: string;
}> {
  const { gate, services } = sigilo;
  const base = await gate.run(ctx('support_agent', 'contracting'), async (s) => {
    const accountId = await services.accounts.create(s, {
      kind: 'company',
      name: SAMPLE.companyName,
      taxId: SAMPLE.cnpj,
    });
    const personId = await services.people.create(s, {
      name: SAMPLE.personName,
      phones: [SAMPLE.phone],
      emails: [SAMPLE.email],
      addresses: [SAMPLE.address],
      account: { id: accountId, relation: 'owner' },
    });
    const contractId = await services.contracts.create(s, {
      accountId,
      product: 'SIP trunk 30 canais',
      startedOn: '2026-01-10',
    });
    return { accountId, personId, contractId };
  });
  const invoiceId = await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.create(s, {
      contractId: base.contractId,
      issuedOn: '2026-02-01',
      amountCents: 12_990,
      dueDate: '2026-02-10',
    }),
  );
  const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
    services.tickets.open(s, {
      accountId: base.accountId,
      personId: base.personId,
      channel: 'phone',
      title: 'Ramal 201 sem áudio',
      message: 'Cliente relata chamadas sem áudio desde ontem.',
    }),
  );
  return { ...base, invoiceId, ticketId };
}

type Seed = Awaited<ReturnType<typeof seedCustomer>>;

/** One route, described once; `describeRouteMatrix` derives the five standard cases from it. */
export interface RouteCase {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** URL and body for one request; may create fresh records (routes that change state get their own). */
  prepare(h: TestApp, seed: Seed): Promise<{ url: string; body?: unknown }>;
  /** A role and purpose the policy allows for this route. */
  role: string;
  purpose: string;
  status: number;
  /** Extra assertions on the happy-path response. */
  check?(
    res: LightMyRequestResponse,
    h: TestApp,
    seed: Seed,
    req: { url: string; body?: unknown },
  ): void | Promise<void>;
  /** A purpose the policy does not allow to `role` here. */
  wrongPurpose: string;
  /** A role the policy does not allow here, even with `purpose`. */
  wrongRole: string;
  /** A request that breaks the schema, and the field the error must name. */
  bad(prepared: { url: string; body?: unknown }): { url?: string; body?: unknown; field: string };
}

async function send(
  h: TestApp,
  c: RouteCase,
  req: { url: string; body?: unknown },
  role: string,
  purpose: string | null,
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: c.method,
    url: req.url,
    headers: await h.headers(role, purpose),
    ...(req.body !== undefined ? { payload: req.body as Record<string, unknown> } : {}),
  });
}

/**
 * For each route: the happy path, a missing purpose (400 PURPOSE_REQUIRED, logged as denied), a wrong purpose
 * and a wrong role (403, logged as denied) and a schema violation (400 VALIDATION_FAILED naming the field).
 */
export function routeMatrix(getH: () => TestApp, getSeed: () => Seed, cases: RouteCase[]): void {
  for (const c of cases) {
    describe(c.name, () => {
      it(`answers ${c.status} to ${c.role} for ${c.purpose}`, async () => {
        const h = getH();
        const req = await c.prepare(h, getSeed());
        const res = await send(h, c, req, c.role, c.purpose);
        expect(res.statusCode, res.body).toBe(c.status);
        await c.check?.(res, h, getSeed(), req);
      });

      it('refuses a missing purpose with 400 PURPOSE_REQUIRED and logs the attempt', async () => {
        const h = getH();
        const res = await send(h, c, await c.prepare(h, getSeed()), c.role, null);
        expectError(res, 400, 'PURPOSE_REQUIRED');
        const log = await accessLogFor(h.sigilo, String(res.headers['x-request-id']));
        expect(log).toContainEqual(
          expect.objectContaining({ outcome: 'denied', role: c.role, purpose: null }),
        );
      });

      it(`refuses purpose ${c.wrongPurpose} with 403 PURPOSE_NOT_ALLOWED and logs it`, async () => {
        const h = getH();
        const res = await send(h, c, await c.prepare(h, getSeed()), c.role, c.wrongPurpose);
        expectError(res, 403, 'PURPOSE_NOT_ALLOWED');
        const log = await accessLogFor(h.sigilo, String(res.headers['x-request-id']));
        expect(log).toContainEqual(expect.objectContaining({ outcome: 'denied', purpose: c.wrongPurpose }));
      });

      it(`refuses role ${c.wrongRole} with 403 and logs it`, async () => {
        const h = getH();
        const res = await send(h, c, await c.prepare(h, getSeed()), c.wrongRole, c.purpose);
        expect(res.statusCode).toBe(403);
        const log = await accessLogFor(h.sigilo, String(res.headers['x-request-id']));
        expect(log).toContainEqual(expect.objectContaining({ outcome: 'denied', role: c.wrongRole }));
      });

      it('refuses a request that breaks the schema with 400 VALIDATION_FAILED naming the field', async () => {
        const h = getH();
        const prepared = await c.prepare(h, getSeed());
        const bad = c.bad(prepared);
        const res = await send(
          h,
          c,
          { url: bad.url ?? prepared.url, body: bad.body ?? prepared.body },
          c.role,
          c.purpose,
        );
        const error = expectError(res, 400, 'VALIDATION_FAILED');
        const issues = (error.details.issues as { path: string }[] | undefined) ?? [];
        expect([error.details.path, ...issues.map((i) => i.path)]).toContain(bad.field);
      });
    });
  }
}

/** Runs `body` once per dialect with an app and a seeded customer ready. */
export function describeHttp(
  title: string,
  body: (ctx: { h: () => TestApp; seed: () => Seed; dialect: StoreDialect }) => void,
): void {
  describe.each(DIALECTS)(`${title} on %s`, (dialect) => {
    let h: TestApp | undefined;
    let seed: Seed | undefined;
    beforeAll(async () => {
      h = await createTestApp(dialect);
      seed = await seedCustomer(h.sigilo);
      // The subject portal acts for the seeded person (its own data) unless a test says otherwise.
      h.actingFor = seed.personId;
    });
    afterAll(async () => h?.cleanup());
    body({ h: () => h!, seed: () => seed!, dialect });
  });
}

/** A new person (with one phone) of the seeded account, for routes that change what they touch. */
export async function freshPerson(
  h: TestApp,
  accountId?: string,
): Promise<{ personId: string; phoneId: string }> {
  return h.sigilo.gate.run(ctx('support_agent', 'contracting'), async (s) => {
    const personId = await h.sigilo.services.people.create(s, {
      name: 'João Pereira Lima',
      phones: ['+55 21 99876-5432'],
      ...(accountId ? { account: { id: accountId, relation: 'user' as const } } : {}),
    });
    const person = await h.sigilo.services.people.get(s, personId);
    return { personId, phoneId: person.phones![0]!.id };
  });
}

/** A new active contract of the seeded account. */
export async function freshContract(h: TestApp, accountId: string): Promise<string> {
  return h.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
    h.sigilo.services.contracts.create(s, { accountId, product: 'PABX em nuvem', startedOn: '2026-03-01' }),
  );
}

/** A new open ticket of the seeded account. */
export async function freshTicket(h: TestApp, accountId: string): Promise<string> {
  return h.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
    h.sigilo.services.tickets.open(s, { accountId, channel: 'email', title: 'Fatura duplicada' }),
  );
}
