/**
 * Issue 15 §6: the subject portal creates and follows the data-subject requests of the one subject its signed
 * assertion names, and reaches nothing of another subject's requests: a guessed id, another's id, a listing
 * filtered on another subject and a request created for another answer exactly as for nothing at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectError, seedCustomer, type TestApp } from '../support/http.ts';
import { ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';

const ISSUER = 'https://portal.example.com.br';
const OTHER = { name: 'João Pereira Lima', phone: '+55 21 99876-5432', email: 'joao.lima@example.org' };

interface RequestJson {
  id: string;
  subjectId: string;
  state: string;
  channel: string;
  verification: { method: string; evidence: Record<string, string>; verifiedBy: string } | null;
}

describe.each(DIALECTS)('the subject portal works its own subject requests on %s', (dialect) => {
  let h: TestApp;
  let mine: Awaited<ReturnType<typeof seedCustomer>>;
  let otherPerson: string;
  let otherRequest: string;
  let key: CryptoKey;
  let dir: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA');
    key = pair.privateKey;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-portal-requests-'));
    const jwksFile = path.join(dir, 'portal-jwks.json');
    fs.writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), alg: 'EdDSA' }] }),
    );
    h = await createTestApp(dialect, {
      env: { SIGILO_PORTAL_ISSUER: ISSUER, SIGILO_PORTAL_JWKS_FILE: jwksFile },
    });
    mine = await seedCustomer(h.sigilo);
    otherPerson = await h.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      h.sigilo.services.people.create(s, { name: OTHER.name, phones: [OTHER.phone], emails: [OTHER.email] }),
    );
    // The other subject's own request, registered and verified by the DPO.
    const dpo = await h.headers('dpo', 'subject_request');
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/subject-requests',
      headers: dpo,
      payload: { subjectId: otherPerson, type: 'access_complete', channel: 'email' },
    });
    otherRequest = created.json<RequestJson>().id;
    const verified = await h.app.inject({
      method: 'POST',
      url: `/v1/subject-requests/${otherRequest}/verification`,
      headers: dpo,
      payload: { method: 'document_check', documentKind: 'rg', reference: 'DPO-2026/0042' },
    });
    expect(verified.statusCode, verified.body).toBe(200);
  });
  afterAll(async () => {
    await h.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assertion = async (subject: string): Promise<string> => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(ISSUER)
      .setAudience('sigilo')
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .sign(key);
  };

  /** A portal request acting for the first customer's person. */
  const portal = async (method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
    h.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${await h.token('subject_portal')}`,
        'sigilo-purpose': 'subject_request',
        'sigilo-subject': await assertion(mine.personId),
      },
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });

  const expectNothingOfOther = (res: LightMyRequestResponse, what: string): void => {
    for (const v of [otherPerson, otherRequest, OTHER.name, OTHER.email, '+5521998765432'])
      expect(res.body, `${what} revealed ${v}`).not.toContain(v);
  };

  it('creates, verifies by its session, follows and downloads the answers of its own requests', async () => {
    const created = await portal('POST', '/v1/subject-requests', {
      subjectId: mine.personId,
      type: 'access_complete',
      channel: 'email',
    });
    expect(created.statusCode, created.body).toBe(201);
    const r = created.json<RequestJson>();
    // Whatever channel the portal names, the request came in through the portal.
    expect(r).toMatchObject({ subjectId: mine.personId, state: 'received', channel: 'portal' });

    expectError(await portal('GET', `/v1/subject-requests/${r.id}/export`), 403, 'IDENTITY_NOT_VERIFIED');

    const verified = await portal('POST', `/v1/subject-requests/${r.id}/verification`, {
      method: 'portal_session',
      sessionRef: 'portal-sess-7781',
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json<RequestJson>().verification).toMatchObject({
      method: 'portal_session',
      evidence: { sessionRef: 'portal-sess-7781' },
    });

    const status = await portal('GET', `/v1/subject-requests/${r.id}`);
    expect(status.statusCode, status.body).toBe(200);
    const followed = status.json<{ request: RequestJson; history: { kind: string; role: string }[] }>();
    expect(followed.request.state).toBe('identity_verified');
    expect(followed.history.map((e) => e.kind)).toEqual(['received', 'identity_verified']);

    const exported = await portal('GET', `/v1/subject-requests/${r.id}/export`);
    expect(exported.statusCode, exported.body).toBe(200);
    const doc = exported.json<{
      subject: { id: string };
      sections: { people: { data: { name: string } }[] };
    }>();
    expect(doc.subject.id).toBe(mine.personId);
    expect(doc.sections.people.map((p) => p.data.name)).toEqual([SAMPLE.personName]);
    expectNothingOfOther(exported, 'export');

    const report = await portal('GET', `/v1/subject-requests/${r.id}/report?format=html`);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.body).toContain('Nome');
    expectNothingOfOther(report, 'report');
    const history = await portal('GET', `/v1/subject-requests/${r.id}/access-history`);
    expect(history.statusCode, history.body).toBe(200);
    // Staff appear by pseudonym: no token id reaches the subject.
    expect(history.body).not.toMatch(/token:/);

    const confirmation = await portal('POST', '/v1/subject-requests', {
      subjectId: mine.personId,
      type: 'confirmation',
      channel: 'portal',
    });
    const c = confirmation.json<RequestJson>();
    await portal('POST', `/v1/subject-requests/${c.id}/verification`, {
      method: 'portal_session',
      sessionRef: 'portal-sess-7782',
    });
    const answer = await portal('GET', `/v1/subject-requests/${c.id}/answer`);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json<{ answer: { holdsData: boolean } }>().answer.holdsData).toBe(true);

    const listed = await portal('GET', '/v1/subject-requests');
    expect(listed.statusCode, listed.body).toBe(200);
    const ids = listed.json<{ requests: RequestJson[] }>().requests.map((x) => x.id);
    expect(ids.sort()).toEqual([r.id, c.id].sort());
    expectNothingOfOther(listed, 'list');
  });

  it("answers another subject's request exactly as one that does not exist, on every portal route", async () => {
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['GET', '/export', undefined],
      ['GET', '/report?format=html', undefined],
      ['GET', '/report', undefined],
      ['GET', '/answer', undefined],
      ['GET', '/access-history', undefined],
      ['POST', '/verification', { method: 'portal_session', sessionRef: 'portal-sess-1' }],
    ] as const) {
      const theirs = await portal(method, `/v1/subject-requests/${otherRequest}${suffix}`, body);
      const guessed = await portal(method, `/v1/subject-requests/${randomUUID()}${suffix}`, body);
      expect(theirs.statusCode, `${method} ${suffix}`).toBe(404);
      expect([theirs.statusCode, theirs.body], `${method} ${suffix}`).toEqual([
        guessed.statusCode,
        guessed.body,
      ]);
      expectNothingOfOther(theirs, `${method} ${suffix}`);
    }
    // The attempt is in the access log as a denial about the other subject.
    const theirs = await portal('GET', `/v1/subject-requests/${otherRequest}`);
    const denied = await h.sigilo.store.db
      .selectFrom('access_log')
      .select(['outcome', 'role', 'subject_id'])
      .where('request_id', '=', String(theirs.headers['x-request-id']))
      .execute();
    expect(denied).toEqual([{ outcome: 'denied', role: 'subject_portal', subject_id: otherPerson }]);
    // The other subject's request is untouched by the portal's attempt to verify it.
    const still = await h.app.inject({
      method: 'GET',
      url: `/v1/subject-requests/${otherRequest}`,
      headers: await h.headers('dpo', 'subject_request'),
    });
    expect(still.json<{ request: RequestJson }>().request.verification?.method).toBe('document_check');
  });

  it('lists only its own subject, and creates nothing for another', async () => {
    const filtered = await portal('GET', `/v1/subject-requests?subjectId=${otherPerson}`);
    expect(filtered.statusCode, filtered.body).toBe(200);
    expect(filtered.json<{ requests: unknown[] }>().requests).toEqual([]);
    for (const due of ['overdue', 'due_soon']) {
      const res = await portal('GET', `/v1/subject-requests?due=${due}`);
      expect(res.statusCode, res.body).toBe(200);
      expectNothingOfOther(res, due);
    }

    const forOther = await portal('POST', '/v1/subject-requests', {
      subjectId: otherPerson,
      type: 'deletion',
      channel: 'portal',
    });
    const forNobody = await portal('POST', '/v1/subject-requests', {
      subjectId: randomUUID(),
      type: 'deletion',
      channel: 'portal',
    });
    expect(forOther.statusCode).toBe(404);
    expect([forOther.statusCode, forOther.body]).toEqual([forNobody.statusCode, forNobody.body]);
    const theirs = await h.app.inject({
      method: 'GET',
      url: `/v1/subject-requests?subjectId=${otherPerson}`,
      headers: await h.headers('dpo', 'subject_request'),
    });
    expect(theirs.json<{ requests: RequestJson[] }>().requests.map((x) => x.id)).toEqual([otherRequest]);
  });

  it('leaves starting, extending, refusing and deletion to the DPO', async () => {
    const created = await portal('POST', '/v1/subject-requests', {
      subjectId: mine.personId,
      type: 'deletion',
      channel: 'portal',
    });
    const id = created.json<RequestJson>().id;
    for (const [suffix, body] of [
      ['/start', undefined],
      ['/extension', { days: 5, reason: 'complexity' }],
      ['/refusal', { reason: 'no_data_held' }],
      ['/deletion', undefined],
    ] as const) {
      expectError(await portal('POST', `/v1/subject-requests/${id}${suffix}`, body), 403, 'ROLE_NOT_ALLOWED');
    }
    // A DPO cannot claim a portal session for the subject.
    const dpo = await h.app.inject({
      method: 'POST',
      url: `/v1/subject-requests/${id}/verification`,
      headers: await h.headers('dpo', 'subject_request'),
      payload: { method: 'portal_session', sessionRef: 'portal-sess-9' },
    });
    expectError(dpo, 400, 'VERIFICATION_INSUFFICIENT');
    // The portal speaks for the subject in person, not for a representative.
    const represented = await portal('POST', '/v1/subject-requests', {
      subjectId: mine.personId,
      type: 'access_complete',
      channel: 'portal',
      representative: { kind: 'attorney', proof: { kind: 'power_of_attorney', reference: 'PROC-2026/7' } },
    });
    expectError(represented, 400, 'VALIDATION_FAILED');
  });

  it('a portal context that names no subject works no request', async () => {
    await expect(
      h.sigilo.gate.run(ctx('subject_portal', 'subject_request'), (s) =>
        h.sigilo.services.subjectRequests.list(s, {}),
      ),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    await expect(
      h.sigilo.gate.run(ctx('subject_portal', 'subject_request'), (s) =>
        h.sigilo.services.subjectRequests.get(s, otherRequest),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
