/**
 * Attribution rules are personal data (issue 13 §6): the numbers, SIP usernames and IP ranges they hold are
 * sealed and found by keyed hash; listing, adding and removing them passes the gate with a purpose and is logged;
 * an import resolves records by the rules' hashes, read once per import.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { createTestApp, expectError, type TestApp } from '../support/http.ts';
import { ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';
import { scanFiles, scanForClear } from '../support/raw-scan.ts';

// Distinctive values: none may be found in clear anywhere in the database.
const RULES = [
  { kind: 'username', pattern: 'ramal.zeferino4417' },
  { kind: 'ip_range', pattern: '198.51.100.64/27' },
  { kind: 'did_prefix', pattern: '+5521987604' },
  { kind: 'trunk', pattern: 'tronco-quixaba' },
  { kind: 'accountcode', pattern: 'cc-jabuticaba-77' },
] as const;
const NEEDLES = ['zeferino4417', '198.51.100.64', '5521987604', 'quixaba', 'jabuticaba'];

function cdr(i: number, facts: Record<string, string | null>): Record<string, unknown> {
  const start = `2026-11-20T10:${String(i).padStart(2, '0')}:00Z`;
  return {
    platformId: `attr-test-${i}`,
    startedAt: start,
    answeredAt: null,
    endedAt: `2026-11-20T10:${String(i).padStart(2, '0')}:30Z`,
    caller: '+551130001234',
    callee: '+551140004321',
    ...facts,
  };
}

describe.each(DIALECTS)('attribution rules on %s', (dialect) => {
  let h: TestApp;
  let acme: string;
  let other: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await createTestApp(dialect);
    acme = await makeAccount(h.sigilo, 'Acme Telecom Ltda', '11.222.333/0001-81');
    other = await makeAccount(h.sigilo, 'Outra Ltda', '04.252.011/0001-10');
  });
  afterAll(async () => h?.cleanup());

  it('adds, lists and removes rules over HTTP for the provisioning purpose, each access logged', async () => {
    for (const r of RULES) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/attribution-rules',
        headers: await h.headers('provisioning', 'provisioning'),
        payload: { kind: r.kind, pattern: r.pattern, accountId: acme },
      });
      expect(res.statusCode, res.body).toBe(201);
      ids[r.kind] = res.json<{ id: string }>().id;
      const log = await h.sigilo.store.db
        .selectFrom('access_log')
        .select(['operation', 'purpose', 'outcome', 'subject_id'])
        .where('request_id', '=', res.headers['x-request-id'] as string)
        .execute();
      expect(log).toContainEqual({
        operation: 'insert',
        purpose: 'provisioning',
        outcome: 'allowed',
        subject_id: acme,
      });
    }
    const list = await h.app.inject({
      method: 'GET',
      url: '/v1/attribution-rules',
      headers: await h.headers('provisioning', 'provisioning'),
    });
    expect(list.statusCode).toBe(200);
    const rules = list.json<{ rules: { kind: string; pattern: string; accountId: string }[] }>().rules;
    expect(rules.map((r) => [r.kind, r.pattern]).sort()).toEqual(
      RULES.map((r) => [r.kind, r.pattern]).sort(),
    );
    expect(new Set(rules.map((r) => r.accountId))).toEqual(new Set([acme]));

    // The same pattern of the same kind is one rule, whoever it would belong to.
    const dup = await h.app.inject({
      method: 'POST',
      url: '/v1/attribution-rules',
      headers: await h.headers('provisioning', 'provisioning'),
      payload: { kind: 'username', pattern: 'Ramal.Zeferino4417', accountId: other },
    });
    expectError(dup, 409, 'CONFLICT');
  });

  it('refuses a role or purpose without the grant, and logs the refusal', async () => {
    const cases: [string, string | null, number, string][] = [
      ['admin', 'provisioning', 403, 'ROLE_NOT_ALLOWED'],
      ['support_agent', 'support', 403, 'ROLE_NOT_ALLOWED'],
      ['provisioning', 'support', 403, 'PURPOSE_NOT_ALLOWED'],
      ['provisioning', null, 400, 'PURPOSE_REQUIRED'],
    ];
    for (const [role, purpose, status, code] of cases) {
      for (const req of [
        { method: 'GET' as const, url: '/v1/attribution-rules' },
        {
          method: 'POST' as const,
          url: '/v1/attribution-rules',
          payload: { kind: 'trunk', pattern: 'tronco-recusado', accountId: acme },
        },
        { method: 'DELETE' as const, url: `/v1/attribution-rules/${ids.trunk}` },
      ]) {
        const res = await h.app.inject({ ...req, headers: await h.headers(role, purpose) });
        const err = res.json<{ error: { code: string } }>().error;
        expect([res.statusCode, err.code], `${role}/${purpose} ${req.method}`).toEqual([
          status,
          expect.stringMatching(code === 'ROLE_NOT_ALLOWED' ? /ROLE_NOT_ALLOWED|PURPOSE_NOT_ALLOWED/ : code),
        ]);
        expect(res.body).not.toMatch(/zeferino|quixaba|jabuticaba/);
        const log = await h.sigilo.store.db
          .selectFrom('access_log')
          .select(['outcome', 'role'])
          .where('request_id', '=', res.headers['x-request-id'] as string)
          .execute();
        expect(log.map((l) => l.outcome)).toContain('denied');
      }
    }
    // Nothing was added or removed by a refused request.
    const rules = await h.sigilo.gate.run(ctx('provisioning', 'provisioning'), (s) =>
      h.sigilo.services.attributionRules.list(s),
    );
    expect(rules).toHaveLength(RULES.length);
  });

  it('attributes an import by every kind of rule, reading the rules once', async () => {
    const records = [
      cdr(1, { username: 'RAMAL.ZEFERINO4417' }),
      cdr(2, { sourceIp: '198.51.100.90' }),
      cdr(3, { caller: '+552198760400111'.slice(0, 14) }),
      cdr(4, { channel: 'SIP/tronco-quixaba-0000001a' }),
      cdr(5, { accountCode: 'cc-jabuticaba-77' }),
      cdr(6, { sourceIp: '198.51.100.96', username: 'ninguem' }), // outside the /27: no rule
    ];
    const importCtx = { ...ctx('network_platform', 'provisioning'), requestId: 'attr-import-1' };
    const report = await h.sigilo.services.telecomIngest.ingestObjects(importCtx, 'cdr', records);
    expect(report).toMatchObject({ read: 6, stored: 5, rejected: 1 });
    expect(report.errors[0]?.line).toBe(6);
    const loads = await h.sigilo.store.db
      .selectFrom('access_log')
      .select(['operation', 'outcome', 'purpose'])
      .where('request_id', '=', 'attr-import-1')
      .where('operation', '=', 'attribution.load')
      .execute();
    expect(loads).toEqual([{ operation: 'attribution.load', outcome: 'allowed', purpose: 'provisioning' }]);

    // A role that may not read the rules cannot import by them.
    await expect(
      h.sigilo.services.telecomIngest.ingestObjects(ctx('billing', 'billing'), 'cdr', [cdr(7, {})]),
    ).rejects.toThrow(/not allowed|may not/i);
  });

  it('stores no pattern in clear: raw SQL over every table (and the SQLite files) finds none', async () => {
    expect(await scanForClear(h.sigilo.store, NEEDLES)).toEqual([]);
    if (dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(truncate)`.execute(h.sigilo.store.db);
      expect(scanFiles(h.config.dataDir, NEEDLES)).toEqual([]);
    }
    expect(h.logs.join('\n')).not.toMatch(/zeferino|quixaba|jabuticaba|198\.51\.100\.64|5521987604/);
  });

  it('removes a rule; records already stored keep their account', async () => {
    const res = await h.app.inject({
      method: 'DELETE',
      url: `/v1/attribution-rules/${ids.trunk}`,
      headers: await h.headers('provisioning', 'provisioning'),
    });
    expect(res.statusCode).toBe(204);
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/v1/attribution-rules/${ids.trunk}`,
      headers: await h.headers('provisioning', 'provisioning'),
    });
    expectError(again, 404, 'NOT_FOUND');
  });
});

describe.each(DIALECTS)('attribution rules stored in clear before 2026-12-04, on %s', (dialect) => {
  let h: TestApp;
  beforeAll(async () => {
    h = await createTestApp(dialect);
  });
  afterAll(async () => h?.cleanup());

  it('the migration moves them aside and the next start seals them and drops the clear table', async () => {
    const acme = await makeAccount(h.sigilo, 'Acme Telecom Ltda', '11.222.333/0001-81');
    const store = h.sigilo.store;
    const db = store.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const migrator = new Migrator({ db, provider: migrationProvider });
    // Back to the schema before the sealing migration, with rules in clear as the old version stored them.
    const down = await migrator.migrateTo('2026-12-03T1410-policy-proposals');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toContain('2026-12-04T1500-attribution-rules-sealed');
    for (const [i, r] of RULES.entries()) {
      await db
        .insertInto('attribution_rules')
        .values({
          id: `0190000${i}-0000-7000-8000-000000000000`,
          kind: r.kind,
          pattern: r.pattern,
          account_id: acme,
          created_at: '2026-11-27T10:00:00.000Z',
        })
        .execute();
    }
    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
    // The migration holds no key: the clear rows wait in their holding table until the next start.
    expect(await scanForClear(store, NEEDLES)).not.toEqual([]);

    const reopened = await h.reopen();
    try {
      expect(await scanForClear(reopened.store, NEEDLES)).toEqual([]);
      const rules = await reopened.gate.run(ctx('provisioning', 'provisioning'), (s) =>
        reopened.services.attributionRules.list(s),
      );
      expect(rules.map((r) => [r.kind, r.pattern]).sort()).toEqual(
        RULES.map((r) => [r.kind, r.pattern]).sort(),
      );
      expect(rules.map((r) => r.createdAt)).toEqual(RULES.map(() => '2026-11-27T10:00:00.000Z'));
      const sealing = await reopened.store.db
        .selectFrom('access_log')
        .select(['operation', 'role', 'subject_id'])
        .where('request_id', '=', 'start:seal-attribution-rules')
        .execute();
      expect(sealing).toEqual([{ operation: 'insert', role: 'system', subject_id: acme }]);
      // They attribute as before.
      const report = await reopened.services.telecomIngest.ingestObjects(
        ctx('network_platform', 'provisioning'),
        'cdr',
        [cdr(1, { username: 'ramal.zeferino4417' })],
      );
      expect(report).toMatchObject({ stored: 1, rejected: 0 });
      // A second start finds nothing left to seal.
      const third = await h.reopen();
      await third.close();
    } finally {
      await reopened.close();
    }
    if (dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(truncate)`.execute(h.sigilo.store.db);
      expect(scanFiles(h.config.dataDir, NEEDLES)).toEqual([]);
    }
  });
});
