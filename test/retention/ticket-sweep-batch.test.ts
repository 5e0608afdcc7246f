/**
 * The ticket item path in big batches (issue 18): a sweep of 1,200 expired tickets with one message each, 1,000
 * tickets a batch. A tampered row inside a batch stops that batch with INTEGRITY_ERROR and deletes nothing of it
 * (the batch before it stays deleted and certified, exactly); a legal hold in the middle of a batch keeps its
 * tickets and their messages while the rest of the batch goes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seedExpiredTickets } from '../../bench/retention.bench.ts';
import { isSigiloError } from '../../src/errors.ts';
import type { Sigilo } from '../../src/app.ts';
import { createTestSigilo, ctx, testClock } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';

const TICKETS = 1200;
const BATCH = 1000;

async function left(sigilo: Sigilo): Promise<{ tickets: string[]; messagesOf: string[] }> {
  const tickets = await sigilo.store.db.selectFrom('tickets').select('id').orderBy('id').execute();
  const messages = await sigilo.store.db
    .selectFrom('ticket_messages')
    .select('ticket_id')
    .orderBy('ticket_id')
    .execute();
  return { tickets: tickets.map((r) => r.id), messagesOf: messages.map((r) => r.ticket_id) };
}

describe.each(DIALECTS)('the ticket sweep in big batches on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function seeded() {
    const clock = testClock('2026-11-26T12:00:00.000Z');
    const t = await createTestSigilo(dialect, { clock });
    cleanup = t.cleanup;
    const seed = await seedExpiredTickets(t.sigilo, TICKETS, { now: clock.now().getTime() });
    // The sweep's order: (resolved_at, id), one resolution instant for all, so by id.
    return { sigilo: t.sigilo, ...seed, sorted: [...seed.ticketIds].sort() };
  }

  it.each([
    ['a ticket moved to another account', 'tickets'],
    ['a message whose author was changed', 'ticket_messages'],
  ] as const)(
    'stops the batch holding %s with INTEGRITY_ERROR and deletes nothing of it',
    async (_what, table) => {
      const { sigilo, sorted, accountIds } = await seeded();
      // In the middle of the second batch; the first batch (1,000 tickets) is clean.
      const victim = sorted[BATCH + 100]!;
      if (table === 'tickets') {
        await sigilo.store.db
          .updateTable('tickets')
          .set({ account_id: accountIds[0]! })
          .where('id', '=', victim)
          .execute();
      } else {
        await sigilo.store.db
          .updateTable('ticket_messages')
          .set({ author: 'agent' })
          .where('ticket_id', '=', victim)
          .execute();
      }
      const err = await sigilo.retention.run({ batchSize: BATCH }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSigiloError(err, 'INTEGRITY_ERROR')).toBe(true);
      // The first batch went; every ticket and message of the tampered batch is still there.
      const rest = sorted.slice(BATCH);
      expect(await left(sigilo)).toEqual({ tickets: rest, messagesOf: rest });
      // The failed run is certified with exactly what its committed batch deleted.
      const run = await sigilo.store.db
        .selectFrom('retention_runs')
        .select(['status', 'certificate_id'])
        .executeTakeFirstOrThrow();
      expect(run.status).toBe('failed');
      const cert = await sigilo.retention.certificates.get(ctx('auditor', null), run.certificate_id!);
      const entry = cert.body.entries.find((e) => e.target === 'core.tickets')!;
      expect(entry.counts).toMatchObject({ items: BATCH, records: 2 * BATCH, batches: 1 });
      // The log names the refusal (no personal data: the row id and table only).
      const errors = await sigilo.store.db
        .selectFrom('access_log')
        .select(['outcome', 'reason'])
        .where('outcome', '=', 'error')
        .execute();
      expect(errors.some((e) => (e.reason ?? '').startsWith('INTEGRITY_ERROR'))).toBe(true);
    },
  );

  it('keeps the held tickets in the middle of a batch, with their messages, and deletes the rest', async () => {
    const { sigilo, ticketIds, sorted, accountIds } = await seeded();
    // Account 5 owns tickets 500–599 in seeding order: the middle of the first batch.
    const heldAccount = accountIds[5]!;
    const held = ticketIds.slice(500, 600).sort();
    expect(held.every((id) => sorted.indexOf(id) > 0 && sorted.indexOf(id) < BATCH)).toBe(true);
    await sigilo.retention.holds.create(ctx('legal', 'legal_obligation'), {
      kind: 'litigation',
      scope: { kind: 'account', id: heldAccount },
      categories: ['support_ticket'],
      reason: 'ação judicial em curso',
    });
    const report = await sigilo.retention.run({ batchSize: BATCH });
    expect(report.status).toBe('completed');
    expect(await left(sigilo)).toEqual({ tickets: held, messagesOf: held });
    const tickets = report.targets.find((x) => x.target === 'core.tickets')!;
    expect(tickets).toMatchObject({ items: TICKETS - 100, records: 2 * (TICKETS - 100), held: 100 });
    const cert = await sigilo.retention.certificates.get(ctx('auditor', null), report.certificateId!);
    expect(cert.body.entries.find((e) => e.target === 'core.tickets')!.counts).toMatchObject({
      items: TICKETS - 100,
      records: 2 * (TICKETS - 100),
    });
  });
});
