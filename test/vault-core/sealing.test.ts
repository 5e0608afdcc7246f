import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx, portalCtx, SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  entriesFor,
  expectSigiloError,
  JOAO,
  MARIA,
  rawRows,
  readColumn,
  seedCustomer,
  VAULT_TABLES,
  writeColumn,
} from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

describe.each(DIALECTS)('sealed storage on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => t.cleanup());

  describe('every service round-trips its data', () => {
    it('accounts: created, read back and found by CNPJ in any writing', async () => {
      const { gate, services } = t.sigilo;
      const { accountId } = await seedCustomer(t.sigilo);
      const account = await gate.run(ctx('support_agent', 'contracting'), (s) =>
        services.accounts.get(s, accountId),
      );
      expect(account).toMatchObject({
        id: accountId,
        kind: 'company',
        status: 'active',
        name: SAMPLE.companyName,
        taxId: '11222333000181',
      });
      const found = await gate.run(ctx('support_agent', 'contracting'), (s) =>
        services.accounts.findByTaxId(s, '11222333000181'),
      );
      expect(found.map((a) => a.id)).toEqual([accountId]);
    });

    it('people: name, phones, e-mails, IP addresses and postal address come back normalised', async () => {
      const { gate, services } = t.sigilo;
      const { accountId, personId } = await seedCustomer(t.sigilo);
      const person = await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, personId));
      expect(person.name).toBe(SAMPLE.personName);
      expect(person.phones?.map((p) => p.value)).toEqual([SAMPLE.phoneE164, '+552134567890']);
      expect(person.emails?.map((p) => p.value)).toEqual(['maria.souza@example.com.br']);
      expect(person.ipAddresses?.map((p) => p.value)).toEqual([SAMPLE.ip, '2001:db8::42']);
      expect(person.addresses?.map((a) => a.address)).toEqual([{ ...SAMPLE.address, cep: '01310200' }]);
      expect(person.accounts).toEqual([{ accountId, relation: 'owner' }]);
    });

    it('contracts: terms and the history of signing, amendment and termination', async () => {
      const { gate, services } = t.sigilo;
      const { contractId } = await seedCustomer(t.sigilo);
      const rw = () => ctx('support_agent', 'contracting');
      await gate.run(rw(), (s) => services.contracts.amend(s, contractId, { plan: 'anual' }));
      await gate.run(rw(), (s) => services.contracts.terminate(s, contractId, '2026-12-31', 'mudança'));
      const contract = await gate.run(rw(), (s) => services.contracts.get(s, contractId));
      expect(contract).toMatchObject({
        status: 'terminated',
        startedOn: '2026-01-15',
        endedOn: '2026-12-31',
        terms: { product: MARIA.product, plan: 'anual', notes: null },
      });
      const history = await gate.run(rw(), (s) => services.contracts.history(s, contractId));
      expect(history.map((e) => e.kind)).toEqual(['signed', 'amended', 'terminated']);
      expect(history[0]?.details).toEqual({ product: MARIA.product, plan: 'mensal' });
      expect(history[1]?.details).toMatchObject({ before: { plan: 'mensal' }, after: { plan: 'anual' } });
      expect(history[2]?.details).toEqual({ reason: 'mudança' });
    });

    it('invoices: amount and due date, then the payment date', async () => {
      const { gate, services } = t.sigilo;
      const { accountId, invoiceId } = await seedCustomer(t.sigilo);
      const list = () =>
        gate.run(ctx('billing', 'billing'), (s) => services.invoices.listForAccount(s, accountId));
      expect((await list())[0]?.details).toEqual({
        amountCents: 129_900,
        currency: 'BRL',
        dueDate: '2026-02-10',
        paidDate: null,
        reference: 'NF 2026/000123',
      });
      await gate.run(ctx('billing', 'billing'), (s) =>
        services.invoices.markPaid(s, invoiceId, '2026-02-09'),
      );
      const [invoice] = await list();
      expect(invoice?.id).toBe(invoiceId);
      expect(invoice?.details).toMatchObject({ amountCents: 129_900, paidDate: '2026-02-09' });
    });

    it('tickets: title and messages, then resolution', async () => {
      const { gate, services } = t.sigilo;
      const { ticketId } = await seedCustomer(t.sigilo);
      const sup = () => ctx('support_agent', 'support');
      await gate.run(sup(), (s) => services.tickets.addMessage(s, ticketId, 'agent', 'Reconfigurei o ramal'));
      t.clock.advanceDays(1);
      await gate.run(sup(), (s) => services.tickets.resolve(s, ticketId));
      const ticket = await gate.run(sup(), (s) => services.tickets.get(s, ticketId));
      expect(ticket).toMatchObject({ title: MARIA.ticketTitle, status: 'resolved' });
      expect(ticket.resolvedAt).toBe(t.clock.now().toISOString());
      expect(ticket.messages?.map((m) => [m.author, m.body])).toEqual([
        ['customer', MARIA.ticketMessage],
        ['agent', 'Reconfigurei o ramal'],
      ]);
    });

    it('credentials: a portal password verifies only when right; a provisioning secret is revealed', async () => {
      const { gate, services } = t.sigilo;
      const { personId, secretId } = await seedCustomer(t.sigilo);
      const portal = () => portalCtx('provisioning', personId);
      await gate.run(portal(), (s) => services.credentials.setPortalPassword(s, personId, SAMPLE.password));
      expect(
        await gate.run(portal(), (s) =>
          services.credentials.verifyPortalPassword(s, personId, SAMPLE.password),
        ),
      ).toBe(true);
      expect(
        await gate.run(portal(), (s) =>
          services.credentials.verifyPortalPassword(s, personId, `${SAMPLE.password}!`),
        ),
      ).toBe(false);
      // Replacing the password keeps one credential, and the old password no longer opens it.
      await gate.run(portal(), (s) =>
        services.credentials.setPortalPassword(s, personId, 'another long passphrase 42'),
      );
      expect(
        await gate.run(portal(), (s) =>
          services.credentials.verifyPortalPassword(s, personId, SAMPLE.password),
        ),
      ).toBe(false);
      const revealed = await gate.run(ctx('provisioning', 'provisioning'), (s) =>
        services.credentials.revealProvisioningSecret(s, secretId),
      );
      expect(revealed).toEqual({ id: secretId, label: 'sip-trunk-1', secret: SAMPLE.sipSecret });
      // The stored password is an argon2id hash, sealed: neither the password nor the hash is plaintext.
      const passwords = (await rawRows(t.sigilo, 'credentials')).filter((r) => r.kind === 'portal_password');
      expect(passwords).toHaveLength(1);
      const [stored] = passwords;
      expect(Buffer.from(stored?.secret_ct as Buffer).includes('argon2id')).toBe(false);
    });
  });

  it('the database holds no personal value in clear, in any table or column', async () => {
    const { gate, services } = t.sigilo;
    const maria = await seedCustomer(t.sigilo, MARIA);
    await seedCustomer(t.sigilo, JOAO);
    await gate.run(portalCtx('provisioning', maria.personId), (s) =>
      services.credentials.setPortalPassword(s, maria.personId, SAMPLE.password),
    );
    // Reads and searches write access-log entries; those must not leak either.
    await gate.run(ctx('support_agent', 'support'), (s) =>
      services.people.findByContact(s, 'email', SAMPLE.email),
    );

    const needles = [MARIA, JOAO].flatMap((d) => [
      d.companyName,
      d.personName,
      d.personName.split(' ')[0]!,
      d.cnpj,
      d.cnpj.replace(/\D/g, ''),
      ...d.phones,
      ...d.phones.map((p) => p.replace(/\D/g, '')),
      ...d.emails,
      ...d.emails.map((e) => e.toLowerCase()),
      ...d.ips,
      d.address.street!,
      d.address.cep!,
      d.address.cep!.replace(/\D/g, ''),
      d.ticketTitle,
      d.ticketMessage,
      d.sipSecret,
      d.product,
    ]);
    needles.push(SAMPLE.password, SAMPLE.phoneE164, 'NF 2026/000123');

    let cells = 0;
    let sealedCells = 0;
    for (const table of VAULT_TABLES) {
      for (const row of await rawRows(t.sigilo, table)) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const bytes = Buffer.isBuffer(value)
            ? value
            : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
          cells += 1;
          if (column.endsWith('_ct')) sealedCells += 1;
          for (const needle of needles) {
            if (bytes.includes(Buffer.from(needle, 'utf8'))) {
              expect.fail(`${table}.${column} holds a personal value in clear`);
            }
          }
        }
      }
    }
    // Both customers' sealed fields were actually scanned (not an empty database).
    expect(sealedCells).toBeGreaterThanOrEqual(25);
    expect(cells).toBeGreaterThan(sealedCells);
  });

  describe('a ciphertext is bound to its row, field and subject', () => {
    it('swapping the names of two people makes both unreadable (INTEGRITY_ERROR), and the failure is logged', async () => {
      const { gate, services } = t.sigilo;
      const maria = await seedCustomer(t.sigilo, MARIA);
      const joao = await seedCustomer(t.sigilo, JOAO);
      const a = await readColumn(t.sigilo, 'people', maria.personId, 'name_ct');
      const b = await readColumn(t.sigilo, 'people', joao.personId, 'name_ct');
      await writeColumn(t.sigilo, 'people', maria.personId, 'name_ct', b);
      await writeColumn(t.sigilo, 'people', joao.personId, 'name_ct', a);

      for (const personId of [maria.personId, joao.personId]) {
        const c = ctx('support_agent', 'support');
        const err = await expectSigiloError(
          gate.run(c, (s) => services.people.get(s, personId)),
          'INTEGRITY_ERROR',
        );
        expect(err.details).toMatchObject({ table: 'people', column: 'name_ct', rowId: personId });
        const entries = await entriesFor(t.sigilo, c.requestId);
        expect(entries).toEqual([
          expect.objectContaining({
            outcome: 'error',
            subjectId: personId,
            categories: ['name'],
            operation: 'read',
            actor: c.actor,
            role: 'support_agent',
            purpose: 'support',
          }),
        ]);
        expect(entries[0]?.reason).toMatch(/^INTEGRITY_ERROR/);
      }
      expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
    });

    it('swapping two phones of the same person (same key, other row) fails', async () => {
      const { gate, services } = t.sigilo;
      const { personId } = await seedCustomer(t.sigilo);
      const phones = (await rawRows(t.sigilo, 'contact_points')).filter((r) => r.kind === 'phone');
      expect(phones).toHaveLength(2);
      const [p1, p2] = phones as [Record<string, unknown>, Record<string, unknown>];
      await writeColumn(t.sigilo, 'contact_points', p1.id as string, 'value_ct', p2.value_ct as Buffer);
      await writeColumn(t.sigilo, 'contact_points', p2.id as string, 'value_ct', p1.value_ct as Buffer);
      await expectSigiloError(
        gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, personId)),
        'INTEGRITY_ERROR',
      );
    });

    it("copying a person's name into an account's name (another table) fails", async () => {
      const { gate, services } = t.sigilo;
      const { accountId, personId } = await seedCustomer(t.sigilo);
      const name = await readColumn(t.sigilo, 'people', personId, 'name_ct');
      await writeColumn(t.sigilo, 'accounts', accountId, 'name_ct', name);
      const c = ctx('support_agent', 'contracting');
      await expectSigiloError(
        gate.run(c, (s) => services.accounts.get(s, accountId)),
        'INTEGRITY_ERROR',
      );
      expect(await entriesFor(t.sigilo, c.requestId)).toEqual([
        expect.objectContaining({ outcome: 'error', subjectId: accountId, categories: ['name'] }),
      ]);
    });

    it("swapping an account's name and tax id (same row and key, other field) fails", async () => {
      const { gate, services } = t.sigilo;
      const { accountId } = await seedCustomer(t.sigilo);
      const name = await readColumn(t.sigilo, 'accounts', accountId, 'name_ct');
      const taxId = await readColumn(t.sigilo, 'accounts', accountId, 'tax_id_ct');
      await writeColumn(t.sigilo, 'accounts', accountId, 'name_ct', taxId);
      await writeColumn(t.sigilo, 'accounts', accountId, 'tax_id_ct', name);
      await expectSigiloError(
        gate.run(ctx('support_agent', 'contracting'), (s) => services.accounts.get(s, accountId)),
        'INTEGRITY_ERROR',
      );
    });
  });

  it('one flipped byte anywhere (header, key version, nonce, body, tag) or a cut ciphertext fails', async () => {
    const { gate, services } = t.sigilo;
    const { personId } = await seedCustomer(t.sigilo);
    const [address] = await rawRows(t.sigilo, 'addresses');
    const targets: { table: string; id: string; column: string }[] = [
      { table: 'people', id: personId, column: 'name_ct' },
      { table: 'addresses', id: address!.id as string, column: 'address_ct' },
    ];
    for (const target of targets) {
      const original = await readColumn(t.sigilo, target.table, target.id, target.column);
      // Layout: format(1) | key version(4) | nonce(12) | body | tag(16).
      const n = original.length;
      const positions = { format: 0, version: 4, nonceFirst: 5, nonceLast: 16, body: 17, bodyLast: n - 17 };
      const tampered = [
        ...Object.entries({ ...positions, tagFirst: n - 16, tagLast: n - 1 }).map(([where, i]) => {
          const copy = Buffer.from(original);
          copy[i] = copy[i]! ^ 0x01;
          return { where, bytes: copy };
        }),
        { where: 'cut tag', bytes: original.subarray(0, n - 1) },
        { where: 'header only', bytes: original.subarray(0, 5) },
      ];
      for (const { where, bytes } of tampered) {
        await writeColumn(t.sigilo, target.table, target.id, target.column, bytes);
        const c = ctx('support_agent', 'support');
        const err = await gate
          .run(c, (s) => services.people.get(s, personId))
          .then(
            () => null,
            (e: unknown) => e as { code?: string },
          );
        expect(err?.code, `${target.table}.${target.column} ${where}`).toBe('INTEGRITY_ERROR');
        const [entry] = await entriesFor(t.sigilo, c.requestId);
        expect(entry?.outcome, where).toBe('error');
      }
      await writeColumn(t.sigilo, target.table, target.id, target.column, original);
    }
    // Restored bytes read again: the failures above were the tampering, not the data.
    const person = await gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, personId));
    expect(person.name).toBe(SAMPLE.personName);
  });
});
