import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { buildCustomer, countRows, type Customer } from '../../test/retention/retention.fixture.ts';
import type { RetentionTarget } from './retention-target.ts';

const CONTRACT_GOES = '2032-07-01T03:00:00.000Z';

/** The customer of the lifecycle suite plus `extra` more resolved tickets. */
async function customerWithTickets(sigilo: Sigilo, clock: TestClock, extra: number): Promise<Customer> {
  const c = await buildCustomer(sigilo, clock, {
    signedOn: '2026-11-26',
    ticketOpenedAt: '2027-01-08T14:00:00.000Z',
    ticketResolvedAt: '2027-01-10T12:00:00.000Z',
    endedOn: '2027-06-30',
  });
  for (let i = 0; i < extra; i += 1) {
    clock.set(new Date(Date.UTC(2027, 1, 1 + i, 12)).toISOString());
    await sigilo.gate.run(ctx('support_agent', 'support'), async (s) => {
      const id = await sigilo.services.tickets.open(s, {
        accountId: c.accountId,
        personId: i % 2 ? c.contactId : c.ownerId,
        channel: 'chat',
        title: `Chamado ${i}`,
        message: 'Texto',
      });
      await sigilo.services.tickets.resolve(s, id);
    });
  }
  return c;
}

async function batchItems(sigilo: Sigilo, target: string): Promise<number> {
  const r = await sigilo.store.db
    .selectFrom('retention_batches')
    .select((eb) => eb.fn.sum<number>('items').as('n'))
    .where('target_id', '=', target)
    .executeTakeFirstOrThrow();
  return Number(r.n ?? 0);
}

describe.each(DIALECTS)('retention sweeps under failure on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('certifies what a crashed sweep committed, and a re-run finishes cleanly', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const c = await customerWithTickets(sigilo, clock, 6); // 7 tickets, 7 messages
    const { registry } = sigilo.retention;
    const original = registry.get('core.tickets')!;
    let calls = 0;
    const crashing: RetentionTarget = {
      id: original.id,
      category: original.category,
      description: original.description,
      order: original.order,
      supports: (rule) => original.supports(rule),
      scan: (q) => original.scan(q),
      nextExpiry: (q) => original.nextExpiry(q),
      references: (db, ids) => original.references(db, ids),
      delete: async (session, items) => {
        calls += 1;
        if (calls === 2) throw new Error('simulated crash after the first batch');
        return original.delete(session, items);
      },
    };
    registry.replace(crashing);

    clock.set('2029-12-01T00:00:00.000Z');
    await expect(sigilo.retention.run({ batchSize: 2 })).rejects.toThrow('simulated crash');
    expect((await countRows(sigilo, c)).tickets).toBe(5);
    const auditor = ctx('auditor', null);
    const [failedCert] = await sigilo.retention.certificates.list(auditor);
    expect(failedCert?.runStatus).toBe('failed');
    const failedBody = (await sigilo.retention.certificates.get(auditor, failedCert!.id)).body;
    // The first ticket batch (2 tickets, 2 messages) was committed before the crash; nothing of the second.
    expect(failedBody.entries.find((e) => e.target === 'core.tickets')?.counts).toMatchObject({
      items: 2,
      records: 4,
      batches: 1,
    });
    expect(await sigilo.retention.certificates.verify(auditor, failedCert!.id)).toEqual({ ok: true });

    registry.replace(original);
    const rerun = await sigilo.retention.run({ batchSize: 2 });
    expect(rerun.status).toBe('completed');
    expect(rerun.targets.find((r) => r.target === 'core.tickets')).toMatchObject({ items: 5, records: 10 });
    expect((await countRows(sigilo, c)).tickets).toBe(0);
    expect(await batchItems(sigilo, 'core.tickets')).toBe(7);
    const runs = await sigilo.store.db
      .selectFrom('retention_runs')
      .select('status')
      .orderBy('started_at')
      .execute();
    expect(runs.map((r) => r.status)).toEqual(['failed', 'completed']);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('certifies a run whose process died (no heartbeat) when the next sweep starts', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    await customerWithTickets(sigilo, clock, 2);
    clock.set('2029-12-01T00:00:00.000Z');
    const first = await sigilo.retention.run({ batchSize: 2 });
    // What kill -9 between the last batch and the certificate leaves behind: a 'running' run with committed batches.
    await sigilo.store.db.deleteFrom('deletion_certificates').where('run_id', '=', first.runId).execute();
    await sigilo.store.db
      .updateTable('retention_runs')
      .set({ status: 'running', certificate_id: null, finished_at: null })
      .where('id', '=', first.runId)
      .execute();
    clock.set('2029-12-01T00:10:00.000Z');
    await sigilo.retention.run();
    const auditor = ctx('auditor', null);
    expect(await sigilo.retention.certificates.list(auditor)).toHaveLength(0); // 10 minutes: maybe still alive
    clock.set('2029-12-01T00:16:00.000Z');
    await sigilo.retention.run();
    const certs = await sigilo.retention.certificates.list(auditor);
    expect(certs).toHaveLength(1);
    expect(certs[0]).toMatchObject({
      runId: first.runId,
      runStatus: 'interrupted',
      totals: { items: first.totals.items, records: first.totals.records },
    });
    expect(await sigilo.retention.certificates.verify(auditor, certs[0]!.id)).toEqual({ ok: true });
  });
});

describe.each(DIALECTS.filter((d) => d === 'postgres'))(
  'two instances sweeping one %s database',
  (dialect) => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => cleanup?.());

    it('do no double work and raise no error', async () => {
      const t = await createTestSigilo(dialect);
      cleanup = t.cleanup;
      const a = t.sigilo;
      const b = await t.reopen();
      const c = await customerWithTickets(a, t.clock, 30); // 31 tickets, plus contract, invoice, credentials, identity
      t.clock.set(CONTRACT_GOES);
      const [ra, rb] = await Promise.all([
        a.retention.run({ batchSize: 2 }),
        b.retention.run({ batchSize: 2 }),
      ]);
      expect([ra.status, rb.status]).toEqual(['completed', 'completed']);
      const items = (target: string) =>
        [ra, rb].reduce((n, r) => n + (r.targets.find((x) => x.target === target)?.items ?? 0), 0);
      expect(items('core.tickets')).toBe(31);
      expect(items('core.contracts')).toBe(1);
      expect(items('core.invoices')).toBe(1);
      expect(items('core.authentication-secrets') + items('core.provisioning-secrets')).toBe(2);
      expect(ra.totals.shreddedSubjects + rb.totals.shreddedSubjects).toBe(3);
      // The batch table, written in the deleting transactions, agrees: every item was deleted exactly once.
      expect(await batchItems(a, 'core.tickets')).toBe(31);
      expect(await countRows(a, c)).toMatchObject({
        tickets: 0,
        contracts: 0,
        accounts: 0,
        people: 0,
        dataKeys: 0,
      });
      const shreds = await sql<{ n: number }>`select count(*)::int as n from shred_ledger`.execute(
        a.store.db,
      );
      expect(shreds.rows[0]?.n).toBe(3);
      expect((await a.accessLog.verify()).ok).toBe(true);
    });
  },
);
