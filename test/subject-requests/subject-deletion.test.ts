import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, seedCustomer } from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

async function verified(
  sigilo: Sigilo,
  subjectId: string,
  type: 'deletion' | 'access_complete',
): Promise<string> {
  const r = await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.create(s, { subjectId, type, channel: 'email' }),
  );
  await sigilo.gate.run(dpo(), (s) =>
    sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
      method: 'document_check',
      documentKind: 'rg',
      reference: 'DPO-5',
    }),
  );
  return r.id;
}

describe.each(DIALECTS)('deletion requests on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('keeps what the law keeps with its rule and date, shreds a subject nothing keeps, and never a held one', async () => {
    const t = await createTestSigilo(dialect, { clock: testClock('2026-04-01T12:00:00.000Z') });
    cleanup = t.cleanup;
    const { sigilo } = t;
    const maria = await seedCustomer(sigilo);
    // Maria's open ticket and her account's active contract keep everything of hers.
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.deletion(s, maria.contractId)),
      'NOT_FOUND',
    );
    const mariaReq = await verified(sigilo, maria.personId, 'deletion');
    const answer = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.deletion(s, mariaReq));
    expect(answer.shredded).toBe(false);
    const by = Object.fromEntries(answer.categories.map((c) => [c.category, c]));
    expect(by.support_ticket).toMatchObject({
      outcome: 'kept',
      source: 'Decreto 11.034/2022, Art. 12, §5º',
      until: null,
    });
    expect(by.provisioning_secret).toMatchObject({ outcome: 'kept' });
    expect(by.name).toMatchObject({ outcome: 'kept', source: 'LGPD Arts. 15–16' });

    // A contact with only identity data: nothing keeps it, so it is crypto-shredded.
    const loose = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.create(s, { name: 'Pedro Alves', phones: ['(11) 91234-0000'] }),
    );
    const looseReq = await verified(sigilo, loose, 'deletion');
    const gone = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.deletion(s, looseReq));
    expect(gone).toMatchObject({ shredded: true });
    expect(gone.categories.every((c) => c.outcome === 'deleted')).toBe(true);
    await sigilo.retention.journal.record([loose]);
    await expectSigiloError(
      sigilo.gate.run(ctx('support_agent', 'support'), (s) => sigilo.services.people.get(s, loose)),
      'SUBJECT_SHREDDED',
    );

    // The same kind of contact under a legal hold is kept, and the answer does not mention the hold.
    const heldPerson = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.create(s, { name: 'Ana Costa', phones: ['(11) 91234-1111'] }),
    );
    await sigilo.retention.holds.create(ctx('legal', 'legal_obligation'), {
      kind: 'preservation',
      scope: { kind: 'person', id: heldPerson },
      categories: ['name', 'phone'],
      reason: 'preservação',
      authorityRequestRef: 'IP 123/2026',
    });
    const heldReq = await verified(sigilo, heldPerson, 'deletion');
    const heldAnswer = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectAnswers.deletion(s, heldReq),
    );
    expect(heldAnswer.shredded).toBe(false);
    expect(heldAnswer.categories.map((c) => c.outcome)).toEqual(['kept', 'kept']);
    expect(JSON.stringify(heldAnswer).toLowerCase()).not.toMatch(/hold|preserva|ip 123/);
    const still = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.get(s, heldPerson),
    );
    expect(still.name).toBe('Ana Costa');
  });
});
