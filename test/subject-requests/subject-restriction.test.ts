/**
 * Issue 15 §4, LGPD Art. 18 III and IV: corrections through the person service with provenance; anonymisation and
 * blocking of unnecessary or excessive data, decided per category from the policy; blocking enforced by the gate.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSubjectReportHtml } from '../../src/reports/subject-report.render.ts';
import type { Sigilo } from '../../src/app.ts';
import type { RequestType } from '../../src/subject-requests/subject-request.model.ts';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { entriesFor, expectSigiloError, MARIA, seedCustomer, type Customer } from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

async function verified(
  sigilo: Sigilo,
  subjectId: string,
  type: RequestType,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const r = await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.create(s, { subjectId, type, channel: 'email', ...extra }),
  );
  await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
      method: 'document_check',
      documentKind: 'rg',
      reference: 'DPO-77',
    }),
  );
  return r.id;
}

describe.each(DIALECTS)('correction, anonymisation and blocking on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  let sigilo: Sigilo;
  let maria: Customer;

  async function setup(): Promise<void> {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-04-01T12:00:00.000Z') });
    cleanup = t.cleanup;
    sigilo = t.sigilo;
    maria = await seedCustomer(sigilo);
  }
  const endContract = () =>
    sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      sigilo.services.contracts.terminate(s, maria.contractId, '2026-03-31'),
    );

  it('applies a correction through the person service, with provenance, only to the items the request named', async () => {
    await setup();
    const before = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.get(s, maria.personId),
    );
    const email = before.emails![0]!;
    const phone = before.phones![0]!;
    // An item of someone else is not the subject's to correct.
    const other = await seedCustomer(sigilo, { ...MARIA, personName: 'Outra Pessoa' });
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectRequests.create(s, {
          subjectId: maria.personId,
          type: 'correction',
          channel: 'email',
          correction: { items: [{ item: 'person_name', id: other.personId }] },
        }),
      ),
      'NOT_FOUND',
    );
    const id = await verified(sigilo, maria.personId, 'correction', {
      correction: {
        items: [
          { item: 'person_name', id: maria.personId },
          { item: 'email', id: email.id },
        ],
      },
    });
    // A change the request did not ask for is refused, and nothing is applied.
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectAnswers.correct(s, id, [
          { item: 'phone', id: phone.id, value: '+5511900001111' },
        ]),
      ),
      'VALIDATION_FAILED',
    );
    const c = dpo();
    const answer = await sigilo.gate.run(c, (s) =>
      sigilo.services.subjectAnswers.correct(s, id, [
        { item: 'person_name', id: maria.personId, value: 'Maria da Silva Souza' },
        { item: 'email', id: email.id, value: 'maria.souza@example.com.br' },
      ]),
    );
    expect(answer.corrected.map((x) => [x.item, x.id])).toEqual([
      ['person_name', maria.personId],
      ['email', email.id],
    ]);
    expect(answer.corrected[0]!.statement).toMatch(/^Nome: corrigido a seu pedido em 1 de abril de 2026\.$/);
    const after = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.get(s, maria.personId),
    );
    expect(after.name).toBe('Maria da Silva Souza');
    expect(after.emails!.map((e) => e.value)).toEqual(['maria.souza@example.com.br']);
    // The new e-mail says where it came from; the old one is gone.
    expect(after.emails![0]!.id).toBe(answer.corrected[1]!.newId);
    const source = await sigilo.store.db
      .selectFrom('contact_points')
      .select('source')
      .where('id', '=', answer.corrected[1]!.newId!)
      .executeTakeFirstOrThrow();
    expect(source.source).toBe('subject_request');
    // Every change is a gated write in the log, with the request's steps; the request keeps ids, never values.
    const ops = (await entriesFor(sigilo, c.requestId)).map((e) => e.operation);
    expect(ops).toEqual(expect.arrayContaining(['update', 'delete', 'insert', 'subject_request.answered']));
    const view = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectRequests.get(s, id));
    expect(view.state).toBe('answered');
    expect(JSON.stringify(view)).not.toMatch(/Souza|maria\.souza/);
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectAnswers.correct(s, id, [
          { item: 'person_name', id: maria.personId, value: 'Outro Nome' },
        ]),
      ),
      'REQUEST_STATE_CONFLICT',
    );
  });

  it('blocks nothing the contract in force needs, and says for which purposes', async () => {
    await setup();
    const id = await verified(sigilo, maria.accountId, 'blocking');
    const answer = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.blocking(s, id));
    expect(answer.categories.length).toBeGreaterThan(0);
    expect(answer.categories.every((c) => c.outcome === 'necessary')).toBe(true);
    const contract = answer.categories.find((c) => c.category === 'contract')!;
    expect(contract.purposes).toEqual(expect.arrayContaining(['contracting', 'billing']));
    expect(contract.statement).toMatch(/^Informações de contrato: necessários para o contrato em vigor/);
    const read = await sigilo.gate.run(ctx('billing', 'billing'), (s) =>
      sigilo.services.accounts.get(s, maria.accountId),
    );
    expect(read.name).toBe(MARIA.companyName);
  });

  it('after the contract ends, blocks what the law keeps: refused to billing and support, open to the law and the subject', async () => {
    await setup();
    await endContract();
    const id = await verified(sigilo, maria.accountId, 'blocking');
    const c = dpo();
    const answer = await sigilo.gate.run(c, (s) => sigilo.services.subjectAnswers.blocking(s, id));
    const by = Object.fromEntries(answer.categories.map((x) => [x.category, x]));
    expect(by.contract).toMatchObject({ outcome: 'blocked', until: '2031-04-01T03:00:00.000Z' });
    expect(by.payment).toMatchObject({ outcome: 'blocked' });
    expect(by.name).toMatchObject({ outcome: 'blocked' });
    expect(by.contract!.statement).toMatch(/bloqueados a seu pedido.*obrigação legal/);
    expect((await entriesFor(sigilo, c.requestId)).map((e) => e.operation)).toContain('block');

    const billing = ctx('billing', 'billing');
    await expectSigiloError(
      sigilo.gate.run(billing, (s) => sigilo.services.accounts.get(s, maria.accountId)),
      'PROCESSING_BLOCKED',
    );
    const denied = await entriesFor(sigilo, billing.requestId);
    expect(denied.map((e) => [e.outcome, e.subjectId, e.reason?.split(':')[0]])).toEqual([
      ['denied', maria.accountId, 'PROCESSING_BLOCKED'],
    ]);
    await expectSigiloError(
      sigilo.gate.run(ctx('billing', 'billing'), (s) =>
        sigilo.services.invoices.listForAccount(s, maria.accountId),
      ),
      'PROCESSING_BLOCKED',
    );
    // The person's own data were not blocked by the account's request.
    const person = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.get(s, maria.personId),
    );
    expect(person.name).toBe(MARIA.personName);
    // A legal obligation still reads it, and so does the subject's own request.
    const legal = await sigilo.gate.run(ctx('legal', 'legal_obligation'), (s) =>
      sigilo.services.accounts.get(s, maria.accountId),
    );
    expect(legal.name).toBe(MARIA.companyName);
    // The export and the report say what is blocked, since when, and the answer in Portuguese.
    const complete = await verified(sigilo, maria.accountId, 'access_complete');
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString('utf8'));
        cb();
      },
    });
    await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.exportTo(s, complete, out));
    const doc = JSON.parse(chunks.join('')) as {
      blocked: { category: string; since: string; requestId: string }[];
      requests: { id: string; typeLabel: string; answer: string[] }[];
    };
    expect(doc.blocked.map((b) => b.category).sort()).toEqual(
      answer.categories.map((x) => x.category).sort(),
    );
    expect(doc.blocked[0]!.requestId).toBe(id);
    const blockingRequest = doc.requests.find((r) => r.id === id)!;
    expect(blockingRequest.typeLabel).toBe('Bloqueio de dados desnecessários ou excessivos');
    expect(blockingRequest.answer).toContain(
      'Pagamentos e faturas: bloqueados: usados somente para obrigação legal ou regulatória e exercício regular de direitos.',
    );
    const report = renderSubjectReportHtml(
      await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.report(s, complete)),
    );
    expect(report).toContain('bloqueados a seu pedido desde 01/04/2026');
    expect(report).toContain('Suas solicitações');
    const access = await verified(sigilo, maria.accountId, 'confirmation');
    const simplified = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.simplified(s, access),
    );
    expect(simplified.holdsData).toBe(true);
  });

  it('anonymises what nothing keeps, keeps what the law keeps with rule and date, and shreds when that is all', async () => {
    await setup();
    // While the contract runs, nothing of the person is unnecessary.
    const running = await verified(sigilo, maria.personId, 'anonymisation');
    const kept = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.anonymisation(s, running),
    );
    expect(kept.shredded).toBe(false);
    expect(
      kept.categories.filter((x) => x.category !== 'support_ticket').every((x) => x.outcome === 'necessary'),
    ).toBe(true);

    await endContract();
    const id = await verified(sigilo, maria.personId, 'anonymisation');
    const answer = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.anonymisation(s, id));
    const by = Object.fromEntries(answer.categories.map((x) => [x.category, x]));
    // The secrets no contract needs are erased; the open ticket and the identity it needs are kept.
    expect(by.provisioning_secret).toMatchObject({ outcome: 'anonymised' });
    expect(by.support_ticket).toMatchObject({ outcome: 'necessary', purposes: ['support'] });
    expect(answer.shredded).toBe(false);
    const secrets = await sigilo.store.db
      .selectFrom('credentials')
      .select('id')
      .where('subject_id', '=', maria.personId)
      .execute();
    expect(secrets).toEqual([]);

    // A contact with identity data only: nothing keeps it, so all of it goes (crypto-shredded).
    const loose = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.create(s, { name: 'Pedro Alves', phones: ['(11) 91234-0000'] }),
    );
    const looseReq = await verified(sigilo, loose, 'anonymisation');
    const gone = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.anonymisation(s, looseReq),
    );
    expect(gone.shredded).toBe(true);
    expect(gone.categories.map((x) => x.outcome)).toEqual(['anonymised', 'anonymised']);
    expect(gone.categories[0]!.statement).toMatch(/eliminados, por não serem necessários/);
    await expectSigiloError(
      sigilo.gate.run(ctx('support_agent', 'support'), (s) => sigilo.services.people.get(s, loose)),
      'SUBJECT_SHREDDED',
    );

    // The account: the law keeps its contract and invoices for five years after the end, with the rule.
    const accountReq = await verified(sigilo, maria.accountId, 'anonymisation');
    const account = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.anonymisation(s, accountReq),
    );
    const acc = Object.fromEntries(account.categories.map((x) => [x.category, x]));
    expect(acc.payment).toMatchObject({
      outcome: 'kept',
      rule: 'P5Y after contract_end',
      until: '2031-04-01T03:00:00.000Z',
    });
    expect(acc.payment!.statement).toMatch(
      /conservados por obrigação legal \(CTN.*\) até 1 de abril de 2031/,
    );
    expect(acc.tax_id).toMatchObject({ outcome: 'kept' });
  });
});
