import { afterEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount } from '../support/telecom.ts';

const CALL = {
  platformId: 'c1',
  startedAt: '2026-03-01T10:00:00Z',
  endedAt: '2026-03-01T10:01:00Z',
  caller: '1001',
  callee: '11987654321',
};

describe.each(DIALECTS)('a legal hold on a person on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it("keeps the call records of the person's accounts, and only those", async () => {
    const clock = testClock('2026-03-02T12:00:00.000Z');
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    const { sigilo } = t;
    const held = await makeAccount(sigilo, 'Cliente A', '11.222.333/0001-81');
    const other = await makeAccount(sigilo, 'Cliente B', '04.252.011/0001-10');
    const personId = await sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      sigilo.services.people.create(s, { name: 'Maria da Silva', account: { id: held, relation: 'owner' } }),
    );
    for (const accountId of [held, other]) {
      await sigilo.services.telecomIngest.ingestObjects(
        ctx('network_platform', 'provisioning'),
        'cdr',
        [CALL],
        { accountId },
      );
    }
    await sigilo.retention.holds.create(ctx('legal', 'legal_obligation'), {
      kind: 'litigation',
      scope: { kind: 'person', id: personId },
      categories: ['call_record'],
      reason: 'ação judicial em curso',
    });
    clock.set('2032-01-01T12:00:00.000Z'); // well past 5 years
    await sigilo.retention.run();
    const left = await sigilo.store.db
      .selectFrom('telecom_segments')
      .select('account_id')
      .where('kind', '=', 'cdr')
      .execute();
    expect(left.map((r) => r.account_id)).toEqual([held]);
  });
});
