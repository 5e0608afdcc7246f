/**
 * Purpose limitation bound to publication (LGPD Art. 6 I, Art. 9 §2): a record may be used only for purposes the
 * policy version it was collected under declared, unless a later version applies the new purpose to existing data
 * (the subjects were told). A purpose absent from the version in force is refused whatever a grant says.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoosening } from '../../src/policy/policy.diff.ts';
import { loadDefaultPolicy } from '../../src/policy/policy.loader.ts';
import type { Policy } from '../../src/policy/policy.schema.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, JOAO, logEntries, MARIA, seedCustomer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Mutable = Policy & { purposes: Policy['purposes'][number][]; grants: Policy['grants'][number][] };

/** The policy with a new purpose, `fraud_prevention`, that support agents may read contact data for. */
function withFraudPrevention(version: number, appliesToExisting?: boolean): Policy {
  const next = structuredClone(loadDefaultPolicy()) as Mutable;
  next.version = version;
  next.effectiveDate = '2027-01-01';
  next.purposes.push({
    id: 'fraud_prevention',
    label: { pt: 'Prevenção à fraude', en: 'Fraud prevention' },
    description: { pt: 'Prevenir fraudes na contratação e no uso dos serviços.' },
    legalBasis: 'LGPD Art. 7º, IX (legítimo interesse)',
    ...(appliesToExisting === undefined ? {} : { appliesToExisting }),
  });
  next.grants.push({
    role: 'support_agent',
    purpose: 'fraud_prevention',
    categories: ['name', 'phone', 'email', 'ip_address', 'postal_address'],
    operations: ['read'],
    masking: 'none',
  });
  return next;
}

describe.each(DIALECTS)('purpose bound to the policy version of collection on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  const readPerson = (personId: string, purpose: string) =>
    t.sigilo.gate.run(ctx('support_agent', purpose), (s) => t.sigilo.services.people.get(s, personId));

  it('refuses a record collected under a version without the purpose, and logs the refusal', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');

    const err = await expectSigiloError(
      readPerson(maria.personId, 'fraud_prevention'),
      'PURPOSE_NOT_DECLARED_AT_COLLECTION',
    );
    expect(err.details).toMatchObject({ collectedUnder: 1, purpose: 'fraud_prevention' });
    const denied = (await logEntries(t.sigilo)).filter((e) => e.outcome === 'denied');
    const last = denied.at(-1)!;
    expect(last).toMatchObject({ purpose: 'fraud_prevention', policyVersion: 2, outcome: 'denied' });
    expect(last.reason).toMatch(/^PURPOSE_NOT_DECLARED_AT_COLLECTION: .*version 1/);
    // The purposes version 1 declared still work on the same record.
    expect((await readPerson(maria.personId, 'support')).name).toBe(MARIA.personName);
  });

  it('allows the new purpose on records collected under the version that declared it', async () => {
    await seedCustomer(t.sigilo, MARIA);
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');
    const joao = await seedCustomer(t.sigilo, JOAO);
    expect((await readPerson(joao.personId, 'fraud_prevention')).name).toBe(JOAO.personName);
  });

  it('allows old records once a published version applies the purpose to existing data', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');
    await expectSigiloError(
      readPerson(maria.personId, 'fraud_prevention'),
      'PURPOSE_NOT_DECLARED_AT_COLLECTION',
    );
    await t.sigilo.policies.publish(withFraudPrevention(3, true), 'dpo-1');
    expect((await readPerson(maria.personId, 'fraud_prevention')).name).toBe(MARIA.personName);
  });

  it('keeps the check after a restart (declared purposes are loaded from the stored versions)', async () => {
    const maria = await seedCustomer(t.sigilo, MARIA);
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');
    const again = await t.reopen();
    await expectSigiloError(
      again.gate.run(ctx('support_agent', 'fraud_prevention'), (s) =>
        again.services.people.get(s, maria.personId),
      ),
      'PURPOSE_NOT_DECLARED_AT_COLLECTION',
    );
  });

  it('refuses a purpose the version in force no longer declares, whatever older versions said', async () => {
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');
    const joao = await seedCustomer(t.sigilo, JOAO);
    const v3 = structuredClone(loadDefaultPolicy()) as Mutable;
    v3.version = 3;
    await t.sigilo.policies.publish(v3, 'dpo-1');
    await expectSigiloError(readPerson(joao.personId, 'fraud_prevention'), 'PURPOSE_UNKNOWN');
    // And no version can grant a purpose it does not declare.
    const bad = structuredClone(loadDefaultPolicy()) as Mutable;
    bad.version = 4;
    bad.grants.push({ ...withFraudPrevention(4).grants.at(-1)! });
    await expectSigiloError(t.sigilo.policies.publish(bad, 'dpo-1'), 'POLICY_INVALID');
  });
});

describe('applying a purpose to existing data', () => {
  it('loosens protection, so it needs a second DPO', () => {
    expect(isLoosening(withFraudPrevention(2), withFraudPrevention(3, true))).toBe(true);
    expect(isLoosening(withFraudPrevention(3, true), withFraudPrevention(4, true))).toBe(false);
  });
});
