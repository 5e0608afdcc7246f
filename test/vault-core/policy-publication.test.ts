import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from '../../src/policy/policy.loader.ts';
import type { Policy } from '../../src/policy/policy.schema.ts';
import { createTestSigilo, ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  expectSigiloError,
  logEntries,
  MARIA,
  PERSONAL_TABLES,
  rawRows,
  seedCustomer,
} from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

/** Version 2 of the default policy: billing no longer sees phones at all. */
function versionTwo(): Policy {
  const next = structuredClone(loadDefaultPolicy()) as Policy & { grants: Policy['grants'] };
  next.version = 2;
  next.effectiveDate = '2027-01-01';
  next.grants = next.grants.filter((g) => !(g.role === 'billing' && g.categories.includes('phone')));
  return next;
}

describe.each(DIALECTS)('policy publication on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  it('init publishes the default policy as version 1, and the gate enforces it', async () => {
    expect(await t.sigilo.policies.list()).toEqual([
      expect.objectContaining({ version: 1, effectiveDate: '2026-11-26', publishedBy: 'sigilo-init' }),
    ]);
    expect(t.sigilo.gate.policyVersion).toBe(1);
    expect(await t.sigilo.policies.version(1)).toEqual(loadDefaultPolicy());
  });

  it('every stored row carries policy version 1 and its provenance (source, time, legal basis)', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    const policy = t.sigilo.policies.policy();
    const basis = (purpose: string) => policy.purposes.find((p) => p.id === purpose)!.legalBasis;
    let rows = 0;
    for (const table of PERSONAL_TABLES) {
      for (const row of await rawRows(t.sigilo, table)) {
        rows += 1;
        expect(Number(row.policy_version), table).toBe(1);
        expect(row.collected_at, table).toBe(t.clock.now().toISOString());
        expect(row.source, table).toMatch(/^(contracting|support_contact|staff)$/);
        expect(
          Object.values(policy.purposes).map((p) => p.legalBasis),
          table,
        ).toContain(row.legal_basis);
      }
    }
    expect(rows).toBeGreaterThanOrEqual(14);
    // The services show it with every record: source and legal basis follow the context that collected it.
    const person = await t.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      t.sigilo.services.people.get(s, maria.personId),
    );
    expect(person.provenance).toEqual({
      source: 'support_contact',
      collectedAt: t.clock.now().toISOString(),
      legalBasis: basis('support'),
      policyVersion: 1,
    });
    const account = await t.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      t.sigilo.services.accounts.get(s, maria.accountId),
    );
    expect(account.provenance).toMatchObject({ source: 'contracting', legalBasis: basis('contracting') });
  });

  it('publishing version 2 takes effect at once: new records and log entries carry 2, old ones keep 1', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    const billingView = () =>
      t.sigilo.gate.run(ctx('billing', 'billing'), (s) => t.sigilo.services.people.get(s, maria.personId));
    expect((await billingView()).phones).toHaveLength(2);

    t.clock.advanceDays(36);
    const published = versionTwo();
    expect(await t.sigilo.policies.publish(published, 'dpo-1')).toEqual({ version: 2 });
    // Changing the object after publishing does not change the policy in force.
    (published.grants as unknown[]).push({
      role: 'admin',
      purpose: 'support',
      categories: ['name'],
      operations: ['read'],
      masking: 'none',
    });
    await expectSigiloError(
      t.sigilo.gate.run(ctx('admin', 'support'), (s) => t.sigilo.services.people.get(s, maria.personId)),
      'PURPOSE_NOT_ALLOWED',
    );
    expect(t.sigilo.gate.policyVersion).toBe(2);
    expect((await t.sigilo.policies.list()).map((v) => [v.version, v.publishedBy])).toEqual([
      [1, 'sigilo-init'],
      [2, 'dpo-1'],
    ]);

    // The change a user notices: billing no longer sees phones.
    expect((await billingView()).phones).toBeUndefined();
    const c = ctx('support_agent', 'support');
    const newPerson = await t.sigilo.gate.run(c, (s) =>
      t.sigilo.services.people.create(s, { name: 'Nova Pessoa', phones: ['(31) 99999-8888'] }),
    );
    const people = await rawRows(t.sigilo, 'people');
    expect(people.find((p) => p.id === newPerson)?.policy_version).toBe(2);
    expect(people.find((p) => p.id === maria.personId)?.policy_version).toBe(1);
    const entries = await logEntries(t.sigilo);
    expect(entries.filter((e) => e.requestId === c.requestId).map((e) => e.policyVersion)).toEqual([2]);

    // A restarted process enforces version 2 too.
    const reopened = await t.reopen();
    expect(reopened.gate.policyVersion).toBe(2);
    const again = await reopened.gate.run(ctx('billing', 'billing'), (s) =>
      reopened.services.people.get(s, maria.personId),
    );
    expect(again.phones).toBeUndefined();
  });

  it('a version number other than the next one is refused with CONFLICT, and version 1 stays in force', async () => {
    for (const version of [1, 3]) {
      const wrong = { ...versionTwo(), version };
      const err = await expectSigiloError(t.sigilo.policies.publish(wrong, 'dpo-1'), 'CONFLICT');
      expect(err.details).toEqual({ expected: 2, got: version });
    }
    expect((await t.sigilo.policies.list()).map((v) => v.version)).toEqual([1]);
    expect(t.sigilo.gate.policyVersion).toBe(1);
  });

  it('an invalid document is refused before it is stored: the running policy and the next start are safe', async () => {
    const sensitive = versionTwo();
    (sensitive.categories as unknown[]).push({
      ...sensitive.categories[0],
      id: 'health',
      sensitive: true,
    });
    await expectSigiloError(t.sigilo.policies.publish(sensitive, 'dpo-1'), 'POLICY_SENSITIVE_CATEGORY');
    const undeclared = versionTwo();
    (undeclared.grants as unknown[]).push({
      role: 'billing',
      purpose: 'billing',
      categories: ['biometrics'],
      operations: ['read'],
      masking: 'none',
    });
    await expectSigiloError(t.sigilo.policies.publish(undeclared, 'dpo-1'), 'POLICY_INVALID');
    expect((await t.sigilo.policies.list()).map((v) => v.version)).toEqual([1]);
    expect(t.sigilo.gate.policyVersion).toBe(1);
    const reopened = await t.reopen();
    const person = await reopened.gate.run(ctx('support_agent', 'support'), (s) =>
      reopened.services.people.create(s, { name: SAMPLE.personName }),
    );
    expect(person).toBeTruthy();
  });
});
