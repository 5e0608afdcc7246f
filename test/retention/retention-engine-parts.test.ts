/**
 * The retention engine's parts seen through the service, on every dialect: the preview says what the next sweep
 * deletes, the sweep's batches and work-row locks are recorded, the certificate states exactly what went, and a
 * target whose lock another run holds is left to that run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { digestIds, rootDigest } from '../../src/retention/deletion-certificate.ts';
import { RetentionLockRepository } from '../../src/retention/retention-lock.repository.ts';
import { createTestSigilo, ctx, type TestClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { buildCustomer, countRows, type Customer } from './retention.fixture.ts';

/** The lifecycle customer (ticket of January 2027) plus two tickets resolved in February 2027. */
async function customer(
  sigilo: Sigilo,
  clock: TestClock,
): Promise<{ c: Customer; februaryTickets: string[] }> {
  const c = await buildCustomer(sigilo, clock, {
    signedOn: '2026-11-26',
    ticketOpenedAt: '2027-01-08T14:00:00.000Z',
    ticketResolvedAt: '2027-01-10T12:00:00.000Z',
    endedOn: '2027-06-30',
  });
  const februaryTickets: string[] = [];
  for (const day of [3, 4]) {
    clock.set(`2027-02-0${day}T12:00:00.000Z`);
    februaryTickets.push(
      await sigilo.gate.run(ctx('support_agent', 'support'), async (s) => {
        const id = await sigilo.services.tickets.open(s, {
          accountId: c.accountId,
          personId: c.contactId,
          channel: 'chat',
          title: `Chamado de fevereiro ${day}`,
          message: 'Texto',
        });
        await sigilo.services.tickets.resolve(s, id);
        return id;
      }),
    );
  }
  return { c, februaryTickets };
}

describe.each(DIALECTS)('the retention engine parts on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('previews exactly what the sweep then deletes, and certifies exactly that', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const { c, februaryTickets } = await customer(sigilo, clock);
    // The January ticket is under a hold; the February ones are not.
    clock.set('2028-05-01T12:00:00.000Z');
    await sigilo.retention.holds.create(ctx('legal', null, 'legal-7'), {
      kind: 'litigation',
      scope: { kind: 'account', id: c.accountId },
      categories: ['support_ticket'],
      window: { from: '2027-01-01', to: '2027-01-31' },
      reason: 'Ação judicial sobre janeiro de 2027',
    });

    // Tickets (2 years after resolution) and secrets (contract ended) are due; contracts are not (5 years).
    clock.set('2029-12-01T00:00:00.000Z');
    const preview = await sigilo.retention.preview(ctx('dpo', null));
    const due = (target: string) => preview.targets.find((x) => x.target === target)!;
    expect(due('core.tickets')).toMatchObject({
      due: { items: 2, records: 4, from: '2027-02-03T12:00:00.000Z', to: '2027-02-04T12:00:00.000Z' },
      held: 1,
    });
    expect(due('core.contracts').due.items).toBe(0);
    expect(due('core.authentication-secrets').due.items).toBe(1);

    const report = await sigilo.retention.run({ batchSize: 500 });
    // Identity is left out: its preview counts only subjects already queued, and this sweep queues more.
    for (const p of preview.targets.filter((x) => x.target !== 'core.identity')) {
      const swept = report.targets.find((x) => x.target === p.target)!;
      expect({ target: p.target, items: swept.items, records: swept.records, held: swept.held }).toEqual({
        target: p.target,
        items: p.due.items,
        records: p.due.records,
        held: p.held,
      });
    }
    expect((await countRows(sigilo, c)).tickets).toBe(1);

    // The certificate: one entry per target that deleted, counts as reported, the digests of the batches as
    // committed, and the tickets' digest is that of the two February ticket ids.
    const cert = await sigilo.retention.certificates.get(ctx('auditor', null), report.certificateId!);
    const body = cert.body;
    expect(body).toMatchObject({
      runId: report.runId,
      runStatus: 'completed',
      policyVersion: preview.policyVersion,
      totals: { items: report.totals.items, records: report.totals.records, shreddedSubjects: 0 },
    });
    expect(body.entries.map((e) => e.target).sort()).toEqual(
      report.targets
        .filter((x) => x.items > 0)
        .map((x) => x.target)
        .sort(),
    );
    const batches = await sigilo.store.db
      .selectFrom('retention_batches')
      .select(['target_id', 'digest'])
      .where('run_id', '=', report.runId)
      .orderBy('seq')
      .execute();
    for (const e of body.entries) {
      const swept = report.targets.find((x) => x.target === e.target)!;
      const digests = batches.filter((b) => b.target_id === e.target).map((b) => b.digest);
      expect(e.counts).toMatchObject({ items: swept.items, records: swept.records, batches: swept.batches });
      expect(e.hashes).toEqual({ algorithm: 'sha256', batches: digests, root: rootDigest(digests) });
    }
    const tickets = body.entries.find((e) => e.target === 'core.tickets')!;
    expect(tickets.hashes.batches).toEqual([digestIds(februaryTickets)]);
    expect(tickets).toMatchObject({
      category: 'support_ticket',
      categoryLabel: due('core.tickets').categoryLabel,
      ruleText: due('core.tickets').ruleText,
      source: due('core.tickets').source,
      counts: { items: 2, records: 4, subjects: 1 },
      timeRange: { from: due('core.tickets').due.from, to: due('core.tickets').due.to },
    });
    expect(body.summaryPt).toContain(`Foram eliminados ${report.totals.records} registros`);
    expect(body.summaryPt).toContain('4 registros de 1 titular');
    expect(await sigilo.retention.certificates.verify(ctx('auditor', null), cert)).toEqual({ ok: true });

    // The run's bookkeeping: closed with its totals and certificate; each target's work row names the run.
    const run = await sigilo.store.db
      .selectFrom('retention_runs')
      .selectAll()
      .where('id', '=', report.runId)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({
      status: 'completed',
      certificate_id: report.certificateId,
      error_code: null,
    });
    expect(Number(run.deleted_records)).toBe(report.totals.records);
    const lock = await sigilo.store.db
      .selectFrom('retention_locks')
      .selectAll()
      .where('target_id', '=', 'core.tickets')
      .executeTakeFirstOrThrow();
    expect(lock.run_id).toBe(report.runId);
    expect(Number(lock.batches)).toBe(1);

    // A second sweep finds nothing new: no certificate, and the preview agrees.
    const again = await sigilo.retention.run();
    expect(again.certificateId).toBeNull();
    expect(
      (await sigilo.retention.preview(ctx('dpo', null))).targets.find((x) => x.target === 'core.tickets'),
    ).toMatchObject({ due: { items: 0 }, held: 1 });
  });

  it('takes a work row for one transaction at a time and counts its batches', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { store } = t.sigilo;
    const locks = new RetentionLockRepository(store.dialect);
    await locks.ensure(store.db, ['test.target']);
    await locks.ensure(store.db, ['test.target']); // idempotent
    const now = '2029-01-01T00:00:00.000Z';
    await store.transaction(async (tx) => {
      expect(await locks.acquire(tx, 'test.target', 'run-a', now)).toBe(true);
      await locks.countBatch(tx, 'test.target');
      if (store.dialect === 'postgres') {
        // Another run, in another transaction, finds the row taken and is told so at once (SKIP LOCKED).
        const other = await store.transaction((tx2) => locks.acquire(tx2, 'test.target', 'run-b', now));
        expect(other).toBe(false);
      }
    });
    await store.transaction((tx) => locks.acquire(tx, 'test.target', 'run-b', now));
    const row = await store.db
      .selectFrom('retention_locks')
      .selectAll()
      .where('target_id', '=', 'test.target')
      .executeTakeFirstOrThrow();
    expect({ run: row.run_id, batches: Number(row.batches), at: row.locked_at }).toEqual({
      run: 'run-b',
      batches: 1,
      at: now,
    });
  });
});

describe.each(DIALECTS.filter((d) => d === 'postgres'))(
  'a target another run is sweeping on %s',
  (dialect) => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => cleanup?.());

    it('is left to that run while the others are swept, and swept by the next run', async () => {
      const t = await createTestSigilo(dialect);
      cleanup = t.cleanup;
      const { sigilo, clock } = t;
      const { c } = await customer(sigilo, clock);
      clock.set('2029-12-01T00:00:00.000Z');
      await new RetentionLockRepository('postgres').ensure(sigilo.store.db, ['core.tickets']);

      // Another run holds the tickets' work row for as long as this sweep lasts.
      const report = await sigilo.store.transaction(async (tx) => {
        await tx
          .selectFrom('retention_locks')
          .select('target_id')
          .where('target_id', '=', 'core.tickets')
          .forUpdate()
          .execute();
        return sigilo.retention.run({ busyWaitMs: 100 });
      });
      const tickets = report.targets.find((x) => x.target === 'core.tickets')!;
      expect(tickets).toMatchObject({ skipped: 'busy', items: 0, batches: 0 });
      expect(report.targets.find((x) => x.target === 'core.authentication-secrets')?.items).toBe(1);
      expect((await countRows(sigilo, c)).tickets).toBe(3);

      const next = await sigilo.retention.run();
      expect(next.targets.find((x) => x.target === 'core.tickets')).toMatchObject({ items: 3 });
      expect(next.targets.find((x) => x.target === 'core.tickets')?.skipped).toBeUndefined();
      expect((await countRows(sigilo, c)).tickets).toBe(0);
    });
  },
);
