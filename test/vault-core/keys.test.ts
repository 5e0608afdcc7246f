import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initSigilo, openSigilo, type Sigilo } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { verifyEd25519 } from '../../src/crypto/signing.ts';
import { createTestSigilo, ctx, portalCtx, SAMPLE } from '../support/sigilo.ts';
import { createTestStore, DIALECTS } from '../support/stores.ts';
import {
  entriesFor,
  expectSigiloError,
  JOAO,
  MARIA,
  PERSONAL_TABLES,
  rawRows,
  seedCustomer,
  type Customer,
} from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

/** Every sealed column of every personal-data row, keyed `table/id/column`, as hex. */
async function sealedSnapshot(sigilo: Sigilo): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const table of PERSONAL_TABLES) {
    for (const row of await rawRows(sigilo, table)) {
      for (const [column, value] of Object.entries(row)) {
        if (column.endsWith('_ct') || column.endsWith('_bidx')) {
          out.set(`${table}/${String(row.id)}/${column}`, Buffer.from(value as Buffer).toString('hex'));
        }
      }
    }
  }
  return out;
}

/** Reads every part of a customer a user could ask for; throws when anything is unreadable. */
async function readEverything(sigilo: Sigilo, c: Customer, personName: string): Promise<void> {
  const { gate, services } = sigilo;
  const person = await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, c.personId));
  expect(person.name).toBe(personName);
  expect(person.phones?.length).toBeGreaterThan(0);
  expect(person.addresses).toHaveLength(1);
  const account = await gate.run(ctx('support_agent', 'contracting'), (s) =>
    services.accounts.get(s, c.accountId),
  );
  expect(typeof account.taxId).toBe('string');
  const history = await gate.run(ctx('billing', 'billing'), (s) =>
    services.contracts.history(s, c.contractId),
  );
  expect(history.map((e) => e.kind)).toEqual(['signed']);
  const invoices = await gate.run(ctx('billing', 'billing'), (s) =>
    services.invoices.listForAccount(s, c.accountId),
  );
  expect(invoices[0]?.details).toMatchObject({ amountCents: 129_900 });
  const ticket = await gate.run(ctx('support_agent', 'support'), (s) => services.tickets.get(s, c.ticketId));
  expect(ticket.messages).toHaveLength(1);
  const secret = await gate.run(ctx('provisioning', 'provisioning'), (s) =>
    services.credentials.revealProvisioningSecret(s, c.secretId),
  );
  expect(typeof secret.secret).toBe('string');
}

describe.each(DIALECTS)('keys on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  describe('master-key rotation', () => {
    it('rewraps only the data keys: ciphertexts are unchanged, everything stays readable, the old key is gone', async () => {
      const { sigilo } = t;
      const maria = await seedCustomer(sigilo, MARIA);
      const joao = await seedCustomer(sigilo, JOAO);
      await sigilo.gate.run(portalCtx('provisioning', maria.personId), (s) =>
        sigilo.services.credentials.setPortalPassword(s, maria.personId, SAMPLE.password),
      );
      const before = await sealedSnapshot(sigilo);
      const wrappedBefore = await rawRows(sigilo, 'data_keys');
      const keyFile = path.join(t.dir, 'master.key');
      const oldKey = (JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { keys: { key: string }[] }).keys[0]!
        .key;

      const result = await sigilo.keyring.rotateMasterKey(sigilo.store);

      expect(result).toEqual({ newVersion: 2, rewrapped: wrappedBefore.length, retired: [1] });
      // Rewrap only: not one byte of sealed data or blind index changed.
      expect(await sealedSnapshot(sigilo)).toEqual(before);
      const wrappedAfter = await rawRows(sigilo, 'data_keys');
      expect(wrappedAfter.map((k) => k.kek_version)).toEqual(wrappedAfter.map(() => 2));
      for (const k of wrappedAfter) {
        const old = wrappedBefore.find((o) => o.subject_id === k.subject_id && o.version === k.version);
        expect(Buffer.from(k.wrapped as Buffer).equals(Buffer.from(old?.wrapped as Buffer))).toBe(false);
      }
      // Blind-index root, signing seed, access-log key, row-MAC and record-MAC roots: rewrapped too.
      const material = await rawRows(sigilo, 'key_material');
      expect(material.map((m) => String(m.id)).sort()).toEqual([
        'access-log-mac-1',
        'blind-index-root',
        'row-mac-1',
        'row-mac-2',
        'signing',
      ]);
      expect(material.map((m) => m.kek_version)).toEqual([2, 2, 2, 2, 2]);
      // The access log written under the old master key still verifies in a process that only has the new one.
      expect((await (await t.reopen()).accessLog.verify()).ok).toBe(true);

      // The key file now holds only version 2, still private.
      const file = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as {
        current: number;
        keys: { version: number; key: string }[];
      };
      expect(file.current).toBe(2);
      expect(file.keys.map((k) => k.version)).toEqual([2]);
      expect(file.keys[0]?.key).not.toBe(oldKey);
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

      await readEverything(sigilo, maria, MARIA.personName);
      await readEverything(sigilo, joao, JOAO.personName);
      expect(
        await sigilo.gate.run(portalCtx('provisioning', maria.personId), (s) =>
          sigilo.services.credentials.verifyPortalPassword(s, maria.personId, SAMPLE.password),
        ),
      ).toBe(true);
      // Blind indexes hang off the rewrapped root key: searches still find people.
      const found = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
        sigilo.services.people.findByContact(s, 'phone', JOAO.phones[0]!),
      );
      expect(found.map((p) => p.id)).toEqual([joao.personId]);

      // A new process, reading the rotated key file, reads everything and keeps writing.
      const reopened = await t.reopen();
      await readEverything(reopened, maria, MARIA.personName);
      await readEverything(reopened, joao, JOAO.personName);
      const third = await seedCustomer(reopened, { ...JOAO, cnpj: '11.444.777/0001-61' });
      await readEverything(reopened, third, JOAO.personName);
      // The signing key was rewrapped too: checkpoints (the epoch, then this one) verify under the same public key.
      await reopened.store.transaction((tx) => reopened.accessLog.writer.checkpoint(tx));
      expect(await reopened.accessLog.verify()).toMatchObject({ ok: true, checkpoints: 2 });
    });
  });

  describe('crypto-shredding', () => {
    it("makes one subject's data unreadable and leaves every other subject intact", async () => {
      const { sigilo } = t;
      const { gate, services } = sigilo;
      const maria = await seedCustomer(sigilo, MARIA);
      const joao = await seedCustomer(sigilo, JOAO);
      const maria2 = await gate.run(ctx('support_agent', 'support'), (s) =>
        services.people.create(s, { name: 'Outra Pessoa', phones: ['(11) 91234-5678'] }),
      );

      // The retention role: the default policy grants it delete on every personal category (see the DPO case below).
      const shred = ctx('system', 'legal_obligation');
      await gate.run(shred, (s) => s.shredSubject(maria.personId, 'LGPD Art. 18, VI request 2026-77'));

      // Every read of the subject fails with its own code, and each failure is logged.
      const read = ctx('support_agent', 'support');
      await expectSigiloError(
        gate.run(read, (s) => services.people.get(s, maria.personId)),
        'SUBJECT_SHREDDED',
      );
      expect(await entriesFor(sigilo, read.requestId)).toEqual([
        expect.objectContaining({ outcome: 'error', subjectId: maria.personId }),
      ]);
      await expectSigiloError(
        gate.run(ctx('support_agent', 'support'), (s) => services.tickets.get(s, maria.ticketId)),
        'SUBJECT_SHREDDED',
      );
      await expectSigiloError(
        gate.run(ctx('provisioning', 'provisioning'), (s) =>
          services.credentials.revealProvisioningSecret(s, maria.secretId),
        ),
        'SUBJECT_SHREDDED',
      );
      // Nothing new can be written under the destroyed keys either.
      await expectSigiloError(
        gate.run(ctx('support_agent', 'support'), (s) =>
          services.people.addContact(s, maria.personId, 'email', 'nova@example.com'),
        ),
        'SUBJECT_SHREDDED',
      );

      // The company account is its own subject and is not affected; nor are the other people.
      await readEverything(sigilo, joao, JOAO.personName);
      const other = await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, maria2));
      expect(other.name).toBe('Outra Pessoa');
      const account = await gate.run(ctx('support_agent', 'contracting'), (s) =>
        services.accounts.get(s, maria.accountId),
      );
      expect(account.name).toBe(MARIA.companyName);

      // The keys are gone, the subject is marked, and a signed ledger row records the shred.
      const keys = await rawRows(sigilo, 'data_keys');
      expect(keys.filter((k) => k.subject_id === maria.personId)).toEqual([]);
      expect(keys.filter((k) => k.subject_id === joao.personId)).toHaveLength(1);
      const [subject] = (await rawRows(sigilo, 'subjects')).filter((s) => s.id === maria.personId);
      expect(subject?.shredded_at).toBe(t.clock.now().toISOString());
      const ledger = await rawRows(sigilo, 'shred_ledger');
      expect(ledger).toHaveLength(1);
      const row = ledger[0]!;
      expect(row).toMatchObject({ subject_id: maria.personId, reason: 'LGPD Art. 18, VI request 2026-77' });
      const message = Buffer.from(
        `sigilo/shred/v1|${maria.personId}|${String(row.shredded_at)}|${String(row.reason)}`,
      );
      expect(
        verifyEd25519(sigilo.keyring.signingPublicKey, message, Buffer.from(row.signature as Buffer)),
      ).toBe(true);
      expect(await entriesFor(sigilo, shred.requestId)).toEqual([
        expect.objectContaining({ operation: 'shred', outcome: 'allowed', subjectId: maria.personId }),
      ]);

      // A fresh process (no key cache) cannot read the subject either.
      const reopened = await t.reopen();
      await expectSigiloError(
        reopened.gate.run(ctx('support_agent', 'support'), (s) =>
          reopened.services.people.get(s, maria.personId),
        ),
        'SUBJECT_SHREDDED',
      );
      expect((await reopened.accessLog.verify()).ok).toBe(true);
    });

    // An erasure request: the DPO may delete (never read) the subject's credentials, so shredding works.
    it('the DPO can shred a data subject for a subject request', async () => {
      const { gate, services } = t.sigilo;
      const personId = await gate.run(ctx('support_agent', 'support'), (s) =>
        services.people.create(s, { name: SAMPLE.personName, phones: [SAMPLE.phone] }),
      );
      await gate.run(ctx('dpo', 'subject_request'), (s) => s.shredSubject(personId, 'erasure request'));
      await expectSigiloError(
        gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, personId)),
        'SUBJECT_SHREDDED',
      );
    });

    it('is refused to a role without delete on the subject’s data, and then changes nothing', async () => {
      const { gate, services } = t.sigilo;
      const { personId } = await seedCustomer(t.sigilo);
      const c = ctx('support_agent', 'support');
      await expectSigiloError(
        gate.run(c, (s) => s.shredSubject(personId, 'no grant')),
        'PURPOSE_NOT_ALLOWED',
      );
      expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
        expect.objectContaining({ operation: 'shred', outcome: 'denied', subjectId: personId }),
      ]);
      expect(await rawRows(t.sigilo, 'shred_ledger')).toEqual([]);
      const person = await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, personId));
      expect(person.name).toBe(SAMPLE.personName);
    });
  });

  describe('blind indexes', () => {
    it('find a person by any writing of the same phone, any case of the same e-mail, and a tax id with or without punctuation', async () => {
      const { gate, services } = t.sigilo;
      const maria = await seedCustomer(t.sigilo, MARIA);
      await seedCustomer(t.sigilo, JOAO);
      const find = (kind: 'phone' | 'email' | 'ip', value: string) =>
        gate.run(ctx('support_agent', 'support'), (s) => services.people.findByContact(s, kind, value));

      for (const phone of ['(11) 98765-4321', '+55 11 98765-4321', '11987654321', '+5511987654321']) {
        expect(
          (await find('phone', phone)).map((p) => p.id),
          phone,
        ).toEqual([maria.personId]);
      }
      for (const email of [
        'maria.souza@example.com.br',
        'MARIA.SOUZA@EXAMPLE.COM.BR',
        ' Maria.Souza@Example.com.br ',
      ]) {
        expect(
          (await find('email', email)).map((p) => p.id),
          email,
        ).toEqual([maria.personId]);
      }
      expect((await find('ip', '2001:0db8:0000:0000:0000:0000:0000:0042')).map((p) => p.id)).toEqual([
        maria.personId,
      ]);
      // A near miss finds nobody.
      expect(await find('phone', '(11) 98765-4320')).toEqual([]);
      expect(await find('email', 'maria.souza@example.com')).toEqual([]);

      for (const cnpj of ['11.222.333/0001-81', '11222333000181']) {
        const accounts = await gate.run(ctx('support_agent', 'contracting'), (s) =>
          services.accounts.findByTaxId(s, cnpj),
        );
        expect(accounts.map((a) => a.id)).toEqual([maria.accountId]);
      }
      const people = await gate.run(ctx('support_agent', 'support'), (s) =>
        services.people.findByTaxId(s, '11222333000181'),
      );
      expect(people.map((p) => p.id)).toEqual([maria.personId]);
    });

    it('are keyed: another installation indexes the same phone differently', async () => {
      const other = await createTestSigilo(dialect);
      try {
        const mine = t.sigilo.keyring.blindIndex('phone', SAMPLE.phoneE164);
        expect(other.sigilo.keyring.blindIndex('phone', SAMPLE.phoneE164).equals(mine)).toBe(false);
        // Per-kind keys: the same string indexed as another kind does not match either.
        expect(t.sigilo.keyring.blindIndex('email', SAMPLE.phoneE164).equals(mine)).toBe(false);
      } finally {
        await other.cleanup();
      }
    });
  });
});

describe.each(DIALECTS)('the master key file on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeEach(async () => {
    store = await createTestStore(dialect, { migrate: false });
  });
  afterEach(async () => store.cleanup());

  it('is created by init with mode 0600, and a file readable by others stops Sigilo from opening', async () => {
    const config = loadConfig({ SIGILO_DATA_DIR: store.dir, SIGILO_LOG_LEVEL: 'silent' });
    const keyFile = config.keys.provider === 'local-file' ? config.keys.file : '';
    expect(keyFile).toBe(path.join(store.dir, 'master.key'));

    const init = await initSigilo(config, { store: store.store });
    expect(init.createdKey).toBe(true);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const sigilo = await openSigilo(config, { store: store.store });
    expect(sigilo.keys.kind).toBe('local-file');

    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      fs.chmodSync(keyFile, mode);
      const err = await expectSigiloError(openSigilo(config, { store: store.store }), 'KEY_FILE_INSECURE');
      expect(err.details).toMatchObject({ mode: `0${mode.toString(8)}` });
      // The message tells the operator how to fix it and never carries key bytes.
      expect(err.message).toContain('chmod 600');
    }
    fs.chmodSync(keyFile, 0o600);
    await openSigilo(config, { store: store.store });
    // Running init again keeps the existing key (it would otherwise orphan every wrapped key).
    const again = await initSigilo(config, { store: store.store });
    expect(again).toMatchObject({ createdKey: false, publishedPolicy: null });
  });
});
