import { generateX25519Identity, identityToRecipient, Decrypter } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectError, type TestApp } from '../../test/support/http.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { cdrOrder } from './authority-request.fixture.ts';

describe.each(DIALECTS)('/v1/authority-requests on %s', (dialect) => {
  let t: TestApp;
  let legalA: Record<string, string>;
  let legalB: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    t.clock.set('2026-12-01T12:00:00.000Z');
    const bearer = async (label: string) => ({
      authorization: `Bearer ${(await t.tokens.create({ role: 'legal', label, createdBy: 'test' })).token}`,
      'sigilo-purpose': 'authority_order',
    });
    legalA = await bearer('jurídico A');
    legalB = await bearer('jurídico B');
  });
  afterAll(async () => t.cleanup());

  it('takes a request, refuses the creator’s approval, and returns the encrypted package', async () => {
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: legalA,
      payload: cdrOrder({ courtOrderRef: undefined }),
    });
    expect(expectError(refused, 422, 'AUTHORITY_COURT_ORDER_REQUIRED').details).toMatchObject({
      rule: 'court_order_required',
    });
    const generic = await t.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: legalA,
      payload: cdrOrder({ targets: [{ kind: 'number', value: '+5511*' }] }),
    });
    expectError(generic, 422, 'AUTHORITY_TARGET_GENERIC');
    const support = await t.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: await t.headers('support_agent', 'support'),
      payload: cdrOrder(),
    });
    expectError(support, 403, 'ROLE_NOT_ALLOWED');

    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: legalA,
      payload: cdrOrder(),
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;

    const self = await t.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${id}/approve`,
      headers: legalA,
      payload: { reasons: 'Ordem válida' },
    });
    expectError(self, 403, 'AUTHORITY_FOUR_EYES');
    const early = await t.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${id}/package`,
      headers: legalA,
      payload: { passphrase: 'uma frase secreta bem longa' },
    });
    expectError(early, 409, 'AUTHORITY_REQUEST_STATE');
    const ok = await t.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${id}/approve`,
      headers: legalB,
      payload: { reasons: 'Ordem válida' },
    });
    expect(ok.json()).toMatchObject({ state: 'approved' });

    const identity = await generateX25519Identity();
    const pkg = await t.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${id}/package`,
      headers: legalA,
      payload: { recipient: await identityToRecipient(identity) },
    });
    expect(pkg.statusCode).toBe(200);
    expect(pkg.headers['content-type']).toBe('application/octet-stream');
    const d = new Decrypter();
    d.addIdentity(identity);
    const tar = Buffer.from(await d.decrypt(pkg.rawPayload));
    expect(tar.includes(Buffer.from('manifest.json'))).toBe(true);

    const shown = await t.app.inject({ method: 'GET', url: `/v1/authority-requests/${id}`, headers: legalB });
    expect(shown.json()).toMatchObject({
      request: { state: 'results_ready', packageSha256: pkg.headers['x-package-sha256'] },
    });
    const targets = await t.app.inject({
      method: 'GET',
      url: `/v1/authority-requests/${id}/targets`,
      headers: legalB,
    });
    expect(targets.json()).toEqual({ targets: [{ kind: 'number', value: '+5511987654321' }] });

    const counts = await t.app.inject({
      method: 'GET',
      url: '/v1/authority-requests/counts',
      headers: await t.headers('dpo'),
    });
    expect(counts.json()).toEqual({ counts: [{ month: '2026-12', authorityType: 'judge', count: 1 }] });
    const key = await t.app.inject({
      method: 'GET',
      url: '/v1/authority-requests/signing-key',
      headers: await t.headers('auditor'),
    });
    expect(key.json<{ publicKey: string }>().publicKey).toBe(
      t.sigilo.keyring.signingPublicKey.toString('base64'),
    );
  });
});
