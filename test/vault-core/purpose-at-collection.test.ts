/**
 * Purpose limitation bound to publication (LGPD Art. 6 I, Art. 9 §2): a record may be used only for purposes the
 * policy version it was collected under declared, unless a later version applies the new purpose to existing data
 * (the subjects were told). A purpose absent from the version in force is refused whatever a grant says.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoosening } from '../../src/policy/policy.diff.ts';
import { loadDefaultPolicy } from '../../src/policy/policy.loader.ts';
import type { Policy } from '../../src/policy/policy.schema.ts';
import { createTestSigilo, ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { cdrSample, importFile, makeAccount } from '../support/telecom.ts';
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
  next.grants.push({
    role: 'support_agent',
    purpose: 'fraud_prevention',
    categories: ['call_record', 'support_ticket', 'support_recording'],
    operations: ['read'],
    masking: 'partial',
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

describe.each(DIALECTS)('purpose bound to collection for call records and recordings on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  const callHistory = (accountId: string, purpose: string) =>
    t.sigilo.gate.run(ctx('support_agent', purpose), (s) =>
      t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', accountId, {}, 100),
    );

  it('refuses call records stored under a version without the purpose, until a version applies it', async () => {
    const old = await makeAccount(t.sigilo);
    await importFile(t.sigilo, 'asterisk-csv', cdrSample('asterisk-csv/Master.csv'), old);
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');
    const fresh = await makeAccount(t.sigilo, 'Outra Empresa Ltda', '11.444.777/0001-61');
    await importFile(t.sigilo, 'asterisk-csv', cdrSample('asterisk-csv/Master.csv'), fresh);

    await expectSigiloError(callHistory(old, 'fraud_prevention'), 'PURPOSE_NOT_DECLARED_AT_COLLECTION');
    const last = (await logEntries(t.sigilo)).filter((e) => e.outcome === 'denied').at(-1)!;
    expect(last.categories).toEqual(['call_record']);
    expect(last.reason).toMatch(/^PURPOSE_NOT_DECLARED_AT_COLLECTION: .*version 1/);
    // Declared at collection: the old records for `support`, the new ones for the new purpose.
    expect((await callHistory(old, 'support')).records).toHaveLength(2);
    expect((await callHistory(fresh, 'fraud_prevention')).records).toHaveLength(2);

    await t.sigilo.policies.publish(withFraudPrevention(3, true), 'dpo-1');
    expect((await callHistory(old, 'fraud_prevention')).records).toHaveLength(2);
  });

  it('refuses a recording made under a version without the purpose, for listing and download', async () => {
    const { gate, services } = t.sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.tickets.open(s, { accountId, channel: 'phone', title: 'Chamada cai após 30 segundos' }),
    );
    const audio = Buffer.alloc(70_000, 7);
    const stored = await services.recordings.upload(
      ctx('support_agent', 'support'),
      ticketId,
      Readable.from([audio]),
      {
        contentType: 'audio/wav',
      },
    );
    await t.sigilo.policies.publish(withFraudPrevention(2), 'dpo-1');

    const asFraud = ctx('support_agent', 'fraud_prevention');
    await expectSigiloError(
      services.recordings.listForTicket(asFraud, ticketId),
      'PURPOSE_NOT_DECLARED_AT_COLLECTION',
    );
    await expectSigiloError(
      services.recordings.download(asFraud, stored.id),
      'PURPOSE_NOT_DECLARED_AT_COLLECTION',
    );
    const listed = await services.recordings.listForTicket(ctx('support_agent', 'support'), ticketId);
    expect(listed.map((r) => r.id)).toEqual([stored.id]);
  });
});

describe('applying a purpose to existing data', () => {
  it('loosens protection, so it needs a second DPO', () => {
    expect(isLoosening(withFraudPrevention(2), withFraudPrevention(3, true))).toBe(true);
    expect(isLoosening(withFraudPrevention(3, true), withFraudPrevention(4, true))).toBe(false);
  });
});
