import { afterEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx, SAMPLE } from './support/sigilo.ts';
import { DIALECTS } from './support/stores.ts';

describe.each(DIALECTS)('vault core smoke on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('stores a customer and finds it by phone', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { gate, services } = t.sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    const personId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.people.create(s, {
        name: SAMPLE.personName,
        phones: [SAMPLE.phone],
        emails: [SAMPLE.email],
        addresses: [SAMPLE.address],
        account: { id: accountId, relation: 'owner' },
      }),
    );
    const found = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.people.findByContact(s, 'phone', '+55 11 98765-4321'),
    );
    expect(found.map((p) => p.id)).toEqual([personId]);
    expect(found[0]?.name).toBe(SAMPLE.personName);
    expect(found[0]?.phones?.[0]?.value).toBe(SAMPLE.phoneE164);
    const report = await t.sigilo.accessLog.verify();
    expect(report.ok).toBe(true);
    expect(report.entries).toBeGreaterThan(3);
  });
});
