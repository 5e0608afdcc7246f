import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, JOAO, logEntries, seedCustomer } from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

async function phoneOf(sigilo: Sigilo, personId: string): Promise<string> {
  const row = await sigilo.store.db
    .selectFrom('contact_points')
    .select('id')
    .where('person_id', '=', personId)
    .where('kind', '=', 'phone')
    .orderBy('created_at')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe.each(DIALECTS)('caller identification on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('names the calling customer (name and CPF/CNPJ only) and logs both sides', async () => {
    const clock = testClock('2026-03-01T12:00:00.000Z');
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    const { sigilo } = t;
    const maria = await seedCustomer(sigilo);
    const joao = await seedCustomer(sigilo, JOAO);
    await sigilo.services.telecomIngest.ingestObjects(
      ctx('network_platform', 'provisioning'),
      'cdr',
      [
        {
          platformId: 'in-1',
          startedAt: '2026-03-05T14:00:10Z',
          endedAt: '2026-03-05T14:03:00Z',
          caller: '+5521998765432',
          callee: '+5511987654321',
          direction: 'inbound',
        },
        {
          platformId: 'in-2',
          startedAt: '2026-03-06T09:00:00Z',
          endedAt: '2026-03-06T09:01:00Z',
          caller: '+5531999990000',
          callee: '+5511987654321',
          direction: 'inbound',
        },
      ],
      { accountId: maria.accountId },
    );
    clock.set('2026-03-10T12:00:00.000Z');
    const line = await phoneOf(sigilo, maria.personId);
    await expectSigiloError(
      sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectRequests.create(s, {
          subjectId: maria.personId,
          type: 'caller_identification',
          channel: 'phone',
          callerIdentification: { lineContactPointId: 'not-mine', calledAt: '2026-03-05T14:02:00Z' },
        }),
      ),
      'VERIFICATION_INSUFFICIENT',
    );
    const ask = async (calledAt: string) => {
      const r = await sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectRequests.create(s, {
          subjectId: maria.personId,
          type: 'caller_identification',
          channel: 'phone',
          callerIdentification: { lineContactPointId: line, calledAt },
        }),
      );
      await sigilo.gate.run(dpo(), (s) =>
        sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
          method: 'document_check',
          documentKind: 'rg',
          reference: 'DPO-3',
        }),
      );
      const c = dpo();
      const answer = await sigilo.gate.run(c, (s) => sigilo.services.subjectAnswers.information(s, r.id));
      return { answer: answer.answer, requestId: c.requestId };
    };

    const found = await ask('2026-03-05T14:02:00Z');
    expect(found.answer).toEqual({
      lineHeld: true,
      call: { startedAt: '2026-03-05T14:00:10.000Z', direction: 'inbound' },
      caller: { name: JOAO.companyName, taxId: '45723174000110' },
      statement: expect.stringContaining('cliente da operadora') as unknown,
    });
    const logged = (await logEntries(sigilo)).filter((e) => e.requestId === found.requestId);
    expect(
      logged.some(
        (e) =>
          e.subjectId === joao.accountId && e.operation === 'subject_request.caller_identification.disclosed',
      ),
    ).toBe(true);
    expect(logged.some((e) => e.subjectId === joao.accountId && e.operation === 'read')).toBe(true);
    expect(
      logged.some(
        (e) => e.subjectId === maria.personId && e.operation === 'subject_request.caller_identification',
      ),
    ).toBe(true);

    const stranger = await ask('2026-03-06T09:00:30Z');
    expect(stranger.answer).toMatchObject({ call: { direction: 'inbound' }, caller: null });
    const nothing = await ask('2026-03-07T09:00:00Z');
    expect(nothing.answer).toMatchObject({ lineHeld: true, call: null, caller: null });
  });
});
