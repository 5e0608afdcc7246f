import { expect, it } from 'vitest';
import { describeHttp, expectError } from '../../../../test/support/http.ts';
import { SAMPLE } from '../../../../test/support/sigilo.ts';

interface Entry {
  seq: number;
  actor: string;
  purpose: string | null;
  outcome: string;
  subjectId: string | null;
  categories: string[];
  requestId: string;
  hash: string;
}

describeHttp('audit routes', ({ h, seed }) => {
  it('lets the auditor page through the access log, which holds no personal values', async () => {
    const t = h();
    const denied = await t.app.inject({
      url: `/v1/accounts/${seed().accountId}`,
      headers: await t.headers('support_agent'),
    });
    expect(denied.statusCode).toBe(400);
    const auditor = await t.headers('auditor');
    const first = await t.app.inject({ url: '/v1/audit/log?limit=3', headers: auditor });
    expect(first.statusCode).toBe(200);
    const page = first.json<{ entries: Entry[]; nextAfterSeq: number | null }>();
    expect(page.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(page.nextAfterSeq).toBe(3);
    expect(page.entries[0]?.hash).toMatch(/^[0-9a-f]{64}$/);

    const all = await t.app.inject({ url: '/v1/audit/log?limit=1000', headers: auditor });
    const entries = all.json<{ entries: Entry[] }>().entries;
    expect(entries).toContainEqual(
      expect.objectContaining({
        requestId: denied.headers['x-request-id'],
        outcome: 'denied',
        purpose: null,
      }),
    );
    for (const value of [
      SAMPLE.companyName,
      SAMPLE.personName,
      SAMPLE.phoneE164,
      '11222333000181',
      SAMPLE.email,
    ]) {
      expect(all.body).not.toContain(value);
    }
  });

  it('filters by subject, newest first', async () => {
    const t = h();
    const res = await t.app.inject({
      url: `/v1/audit/log?subjectId=${seed().personId}`,
      headers: await t.headers('auditor'),
    });
    const entries = res.json<{ entries: Entry[] }>().entries;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.subjectId === seed().personId)).toBe(true);
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => b - a));
  });

  it('verifies the chain and names the first broken entry after tampering', async () => {
    const t = h();
    const auditor = await t.headers('auditor');
    expect((await t.app.inject({ url: '/v1/audit/verify', headers: auditor })).json()).toMatchObject({
      ok: true,
      firstBroken: null,
    });
    await t.sigilo.store.db
      .updateTable('access_log')
      .set({ purpose: 'billing' })
      .where('seq', '=', 2)
      .execute();
    const broken = (await t.app.inject({ url: '/v1/audit/verify', headers: auditor })).json<{
      ok: boolean;
      firstBroken: { seq: number };
    }>();
    expect(broken.ok).toBe(false);
    expect(broken.firstBroken.seq).toBe(2);
  });

  it('is for the auditor only, and checks its query', async () => {
    const t = h();
    for (const role of ['admin', 'dpo', 'support_agent']) {
      expectError(
        await t.app.inject({ url: '/v1/audit/log', headers: await t.headers(role) }),
        403,
        'ROLE_NOT_ALLOWED',
      );
      expectError(
        await t.app.inject({ url: '/v1/audit/verify', headers: await t.headers(role) }),
        403,
        'ROLE_NOT_ALLOWED',
      );
    }
    const bad = await t.app.inject({ url: '/v1/audit/log?limit=5000', headers: await t.headers('auditor') });
    expect(expectError(bad, 400, 'VALIDATION_FAILED').details.path).toBe('querystring.limit');
  });
});
