import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, testClock, type TestClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import {
  entriesFor,
  expectSigiloError,
  JOAO,
  logEntries,
  seedCustomer,
  type Customer,
} from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

async function phoneOf(sigilo: Sigilo, personId: string): Promise<string> {
  const row = await sigilo.store.db
    .selectFrom('contact_points')
    .select('id')
    .where('person_id', '=', personId)
    .where('kind', '=', 'phone')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe.each(DIALECTS)('data-subject request workflow on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  let sigilo: Sigilo;
  let clock: TestClock;
  let maria: Customer;

  async function setup(): Promise<void> {
    clock = testClock('2026-01-31T15:00:00.000Z');
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    sigilo = t.sigilo;
    maria = await seedCustomer(sigilo);
  }

  it('registers a request with its Brasília deadline, logs it, and lists it as due soon then overdue', async () => {
    await setup();
    const requests = sigilo.services.subjectRequests;
    const c = dpo();
    const r = await sigilo.gate.run(c, (s) =>
      requests.create(s, { subjectId: maria.personId, type: 'access_complete', channel: 'email' }),
    );
    expect(r).toMatchObject({ state: 'received', dueAt: '2026-02-16T02:59:59.999Z', due: 'on_time' });
    const logged = await entriesFor(sigilo, c.requestId);
    expect(logged).toMatchObject([
      {
        operation: 'subject_request.received',
        subjectId: maria.personId,
        outcome: 'allowed',
        purpose: 'subject_request',
      },
    ]);

    const list = (due: 'overdue' | 'due_soon') => sigilo.gate.run(dpo(), (s) => requests.list(s, { due }));
    expect(await list('due_soon')).toEqual([]);
    clock.set('2026-02-14T12:00:00.000Z');
    expect((await list('due_soon')).map((x) => x.id)).toEqual([r.id]);
    expect(await list('overdue')).toEqual([]);
    clock.set('2026-02-16T03:00:00.000Z');
    expect((await list('overdue')).map((x) => x.id)).toEqual([r.id]);
    expect(await list('due_soon')).toEqual([]);
  });

  it('treats a simplified request as due at once and an extension as moving the deadline once', async () => {
    await setup();
    const requests = sigilo.services.subjectRequests;
    const simple = await sigilo.gate.run(dpo(), (s) =>
      requests.create(s, { subjectId: maria.personId, type: 'access_simplified', channel: 'phone' }),
    );
    expect(simple.dueAt).toBe('2026-01-31T15:00:00.000Z');
    const full = await sigilo.gate.run(dpo(), (s) =>
      requests.create(s, { subjectId: maria.accountId, type: 'portability', channel: 'letter' }),
    );
    const extended = await sigilo.gate.run(dpo(), (s) =>
      requests.extend(s, full.id, 10, 'volume_of_records'),
    );
    expect(extended).toMatchObject({
      dueAt: '2026-02-26T02:59:59.999Z',
      originalDueAt: '2026-02-16T02:59:59.999Z',
      extension: { reason: 'volume_of_records' },
    });
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) => requests.extend(s, full.id, 5, 'complexity')),
      'REQUEST_STATE_CONFLICT',
    );
    clock.set('2026-01-31T15:00:01.000Z');
    const overdue = await sigilo.gate.run(dpo(), (s) => requests.list(s, { due: 'overdue' }));
    expect(overdue.map((x) => x.id)).toEqual([simple.id]);
  });

  it('releases nothing before identity is verified, and a stated phone number never verifies it', async () => {
    await setup();
    const joao = await seedCustomer(sigilo, JOAO);
    const requests = sigilo.services.subjectRequests;
    const r = await sigilo.gate.run(dpo(), (s) =>
      requests.create(s, { subjectId: maria.personId, type: 'access_complete', channel: 'phone' }),
    );
    const c = dpo();
    await expectSigiloError(
      sigilo.gate.run(c, (s) => requests.requireVerified(s, r.id)),
      'IDENTITY_NOT_VERIFIED',
    );
    expect(await entriesFor(sigilo, c.requestId)).toMatchObject([
      { operation: 'subject_request.release', outcome: 'denied', subjectId: maria.personId },
    ]);
    // João's phone is on file, but not for Maria: a code confirmed on it proves nothing about her.
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.verifyIdentity(s, r.id, {
          method: 'phone_code',
          contactPointId: 'x',
          codeReference: 'sms-1',
        }),
      ),
      'VERIFICATION_INSUFFICIENT',
    );
    const joaoPhone = await phoneOf(sigilo, joao.personId);
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.verifyIdentity(s, r.id, {
          method: 'phone_code',
          contactPointId: joaoPhone,
          codeReference: 'sms-1',
        }),
      ),
      'VERIFICATION_INSUFFICIENT',
    );
    // Only the portal itself can claim a portal session.
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.verifyIdentity(s, r.id, { method: 'portal_session', sessionRef: 's1' }),
      ),
      'VERIFICATION_INSUFFICIENT',
    );
    // A CPF copied into the evidence reference is refused (the column is plain).
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.verifyIdentity(s, r.id, {
          method: 'document_check',
          documentKind: 'rg',
          reference: '529.982.247-25',
        }),
      ),
      'VALIDATION_FAILED',
    );
    const mariaPhone = await phoneOf(sigilo, maria.personId);
    const verified = await sigilo.gate.run(dpo(), (s) =>
      requests.verifyIdentity(s, r.id, {
        method: 'phone_code',
        contactPointId: mariaPhone,
        codeReference: 'sms-2',
      }),
    );
    expect(verified).toMatchObject({
      state: 'identity_verified',
      verification: {
        method: 'phone_code',
        evidence: { contactPointId: mariaPhone, codeReference: 'sms-2' },
      },
    });
    const row = await sigilo.gate.run(dpo(), (s) => requests.requireVerified(s, r.id));
    expect(row.id).toBe(r.id);
  });

  it('records a representative with proof, and a company contact only for their own account', async () => {
    await setup();
    const joao = await seedCustomer(sigilo, JOAO);
    const requests = sigilo.services.subjectRequests;
    const proof = { kind: 'account_contact_record' as const, reference: 'DPO-2026/0042' };
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.create(s, {
          subjectId: maria.accountId,
          type: 'access_complete',
          channel: 'email',
          representative: { kind: 'company_contact', personId: joao.personId, proof },
        }),
      ),
      'VERIFICATION_INSUFFICIENT',
    );
    const r = await sigilo.gate.run(dpo(), (s) =>
      requests.create(s, {
        subjectId: maria.accountId,
        type: 'access_complete',
        channel: 'email',
        representative: { kind: 'company_contact', personId: maria.personId, proof },
      }),
    );
    expect(r.representative).toEqual({ kind: 'company_contact', personId: maria.personId, proof });
    const email = await sigilo.store.db
      .selectFrom('contact_points')
      .select('id')
      .where('person_id', '=', maria.personId)
      .where('kind', '=', 'email')
      .executeTakeFirstOrThrow();
    const v = await sigilo.gate.run(dpo(), (s) =>
      requests.verifyIdentity(s, r.id, {
        method: 'email_code',
        contactPointId: email.id,
        codeReference: 'mail-7',
      }),
    );
    expect(v.state).toBe('identity_verified');
  });

  it('refuses with a coded reason, never reopens, and keeps the whole history', async () => {
    await setup();
    const requests = sigilo.services.subjectRequests;
    const r = await sigilo.gate.run(dpo(), (s) =>
      requests.create(s, { subjectId: maria.personId, type: 'deletion', channel: 'portal' }),
    );
    const refused = await sigilo.gate.run(dpo(), (s) => requests.refuse(s, r.id, 'identity_not_confirmed'));
    expect(refused).toMatchObject({
      state: 'refused',
      refusalReason: 'identity_not_confirmed',
      due: 'closed',
    });
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        requests.verifyIdentity(s, r.id, {
          method: 'document_check',
          documentKind: 'cnh',
          reference: 'pasta 12',
        }),
      ),
      'REQUEST_STATE_CONFLICT',
    );
    const history = await sigilo.gate.run(dpo(), (s) => requests.history(s, r.id));
    expect(history.map((e) => e.kind)).toEqual(['received', 'refused']);
  });

  it('refuses and logs other roles and other purposes', async () => {
    await setup();
    const requests = sigilo.services.subjectRequests;
    const agent = ctx('support_agent', 'subject_request');
    await expectSigiloError(
      sigilo.gate.run(agent, (s) =>
        requests.create(s, { subjectId: maria.personId, type: 'confirmation', channel: 'phone' }),
      ),
      'ROLE_NOT_ALLOWED',
    );
    const wrongPurpose = ctx('dpo', 'support');
    await expectSigiloError(
      sigilo.gate.run(wrongPurpose, (s) =>
        requests.create(s, { subjectId: maria.personId, type: 'confirmation', channel: 'phone' }),
      ),
      'PURPOSE_NOT_ALLOWED',
    );
    const denied = (await logEntries(sigilo)).filter(
      (e) => e.requestId === agent.requestId || e.requestId === wrongPurpose.requestId,
    );
    expect(denied.map((e) => e.outcome)).toEqual(['denied', 'denied']);
    expect(await sigilo.store.db.selectFrom('subject_requests').select('id').execute()).toEqual([]);
  });
});
