import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import type { ErrorCode } from '../../src/errors.ts';
import type { NewPerson } from '../../src/services/person.service.ts';
import { createTestSigilo, ctx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { countRows, entriesFor, expectSigiloError, PERSONAL_TABLES, seedCustomer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

async function counts(sigilo: Sigilo): Promise<number[]> {
  return Promise.all(
    [...PERSONAL_TABLES, 'subjects', 'data_keys', 'account_people'].map((t) => countRows(sigilo, t)),
  );
}

const PERSON: NewPerson = {
  name: SAMPLE.personName,
  phones: [SAMPLE.phone],
  emails: [SAMPLE.email],
  ipAddresses: [SAMPLE.ip],
  addresses: [SAMPLE.address],
};

describe.each(DIALECTS)('input validation through the services on %s', (dialect) => {
  // One installation for the suite: each refusal compares row counts before and after itself.
  let t: TestSigilo;
  beforeAll(async () => {
    t = await createTestSigilo(dialect);
  });
  afterAll(async () => t.cleanup());

  /** Runs a create that must be refused: checks code, path, that the bad value is not echoed, and that nothing was stored. */
  async function refused(
    role: string,
    purpose: string,
    work: Parameters<Sigilo['gate']['run']>[1],
    code: ErrorCode,
    path: string,
    badValue: string,
  ): Promise<void> {
    const before = await counts(t.sigilo);
    const c = ctx(role, purpose);
    const err = await expectSigiloError(t.sigilo.gate.run(c, work), code);
    expect(err.details.path, `${code} path`).toBe(path);
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(badValue);
    expect(await counts(t.sigilo), `${code}: nothing stored`).toEqual(before);
    expect((await entriesFor(t.sigilo, c.requestId)).filter((e) => e.outcome === 'allowed')).toEqual([]);
  }

  it('accounts: an invalid CPF or CNPJ, or the wrong kind of document, is refused at account.taxId', async () => {
    const { accounts } = t.sigilo.services;
    const create =
      (kind: 'company' | 'individual', taxId: string) => (s: Parameters<typeof accounts.create>[0]) =>
        accounts.create(s, { kind, name: SAMPLE.companyName, taxId });
    await refused(
      'support_agent',
      'contracting',
      create('individual', '529.982.247-24'),
      'INVALID_CPF',
      'account.taxId',
      '529.982.247-24',
    );
    await refused(
      'support_agent',
      'contracting',
      create('individual', '111.111.111-11'),
      'INVALID_CPF',
      'account.taxId',
      '111.111.111-11',
    );
    await refused(
      'support_agent',
      'contracting',
      create('company', '11.222.333/0001-80'),
      'INVALID_CNPJ',
      'account.taxId',
      '11.222.333/0001-80',
    );
    // Alphanumeric CNPJ (from July 2026) with a wrong check digit.
    await refused(
      'support_agent',
      'contracting',
      create('company', '12.ABC.345/01DE-34'),
      'INVALID_CNPJ',
      'account.taxId',
      '12.ABC.345/01DE-34',
    );
    await refused(
      'support_agent',
      'contracting',
      create('company', SAMPLE.cpf),
      'INVALID_CNPJ',
      'account.taxId',
      SAMPLE.cpf,
    );
    await refused(
      'support_agent',
      'contracting',
      create('individual', SAMPLE.cnpj),
      'INVALID_CPF',
      'account.taxId',
      SAMPLE.cnpj,
    );
    await refused(
      'support_agent',
      'contracting',
      create('company', '123'),
      'INVALID_TAX_ID',
      'account.taxId',
      '123',
    );
  });

  it('people: a bad phone, e-mail, IP, CEP or UF is refused naming its position, even after valid ones', async () => {
    const create =
      (input: Partial<NewPerson>) => (s: Parameters<Sigilo['services']['people']['create']>[0]) =>
        t.sigilo.services.people.create(s, { ...PERSON, ...input });
    await refused(
      'support_agent',
      'support',
      create({ phones: [SAMPLE.phone, '(11) 1234-567'] }),
      'INVALID_PHONE',
      'person.phones[1]',
      '1234-567',
    );
    await refused(
      'support_agent',
      'support',
      create({ phones: ['+55 11 8765-4321'] }),
      'INVALID_PHONE',
      'person.phones[0]',
      '8765-4321',
    );
    await refused(
      'support_agent',
      'support',
      create({ emails: [SAMPLE.email, 'maria@@example.com'] }),
      'INVALID_EMAIL',
      'person.emails[1]',
      'maria@@example.com',
    );
    await refused(
      'support_agent',
      'support',
      create({ emails: ['maria.souza@localhost'] }),
      'INVALID_EMAIL',
      'person.emails[0]',
      'maria.souza@localhost',
    );
    await refused(
      'support_agent',
      'support',
      create({ ipAddresses: [SAMPLE.ip, '200.160.2.300'] }),
      'INVALID_IP',
      'person.ipAddresses[1]',
      '200.160.2.300',
    );
    await refused(
      'support_agent',
      'support',
      create({ addresses: [SAMPLE.address, { ...SAMPLE.address, cep: '0131-020' }] }),
      'INVALID_CEP',
      'person.addresses[1].cep',
      '0131-020',
    );
    await refused(
      'support_agent',
      'support',
      create({ addresses: [{ ...SAMPLE.address, state: 'XX' }] }),
      'INVALID_ADDRESS',
      'person.addresses[0].state',
      'XX',
    );
    await refused(
      'support_agent',
      'support',
      create({ addresses: [{ ...SAMPLE.address, city: '' }] }),
      'INVALID_ADDRESS',
      'person.addresses[0].city',
      SAMPLE.address.street,
    );
    await refused(
      'support_agent',
      'support',
      create({ name: '   ' }),
      'VALIDATION_FAILED',
      'person.name',
      SAMPLE.phone,
    );
  });

  it('adding a contact or searching refuses invalid values too, and stores nothing', async () => {
    const { personId } = await seedCustomer(t.sigilo);
    const { people } = t.sigilo.services;
    await refused(
      'support_agent',
      'support',
      (s) => people.addContact(s, personId, 'phone', '98765'),
      'INVALID_PHONE',
      'phone',
      '98765',
    );
    await refused(
      'support_agent',
      'support',
      (s) => people.addContact(s, personId, 'email', 'sem-arroba'),
      'INVALID_EMAIL',
      'email',
      'sem-arroba',
    );
    await refused(
      'support_agent',
      'support',
      (s) => people.addAddress(s, personId, { ...SAMPLE.address, state: 'ZZ' }),
      'INVALID_ADDRESS',
      'address.state',
      'ZZ',
    );
    await refused(
      'support_agent',
      'support',
      (s) => people.findByContact(s, 'phone', '12'),
      'INVALID_PHONE',
      'phone',
      '12',
    );
  });

  it('the same values, once valid, are stored (the refusals above were about the values)', async () => {
    const before = await counts(t.sigilo);
    const c = ctx('support_agent', 'support');
    await t.sigilo.gate.run(c, (s) => t.sigilo.services.people.create(s, PERSON));
    const after = await counts(t.sigilo);
    const delta = (table: string) => {
      const i = [...PERSONAL_TABLES, 'subjects'].indexOf(table);
      return after[i]! - before[i]!;
    };
    expect([delta('people'), delta('contact_points'), delta('addresses'), delta('subjects')]).toEqual([
      1, 3, 1, 1,
    ]);
    // One entry for the whole creation: one subject, one operation, every category it touched.
    const entries = await entriesFor(t.sigilo, c.requestId);
    expect(entries.map((e) => [e.outcome, e.operation])).toEqual([['allowed', 'insert']]);
    expect(entries[0]?.categories).toEqual(['email', 'ip_address', 'name', 'phone', 'postal_address']);
  });
});
