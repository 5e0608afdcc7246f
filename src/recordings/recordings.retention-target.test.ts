/** The recordings target inside the retention engine: 6 months from the recording, legal holds, ticket guard. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { createTestSigilo, ctx, SAMPLE, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';

describe.each(DIALECTS)('recording retention on %s', (dialect) => {
  let sigilo: Sigilo;
  let clock: TestClock;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const t = await createTestSigilo(dialect);
    ({ sigilo, clock, cleanup } = t);
    const store = t.config.recordings.store;
    if (store.kind !== 'filesystem') throw new Error('tests expect the file-system store');
    dir = store.dir;
  });
  afterEach(async () => cleanup());

  async function customerWithRecording(recordedAt: string) {
    const { gate, services } = sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.tickets.open(s, { accountId, channel: 'phone', title: 'Sem áudio nas chamadas' }),
    );
    const rec = await services.recordings.upload(
      ctx('support_agent', 'support'),
      ticketId,
      Readable.from([randomBytes(100_000)]),
      { contentType: 'audio/wav', recordedAt },
    );
    const row = await sigilo.store.db
      .selectFrom('recordings')
      .select('blob_key')
      .where('id', '=', rec.id)
      .executeTakeFirstOrThrow();
    return { accountId, ticketId, id: rec.id, file: path.join(dir, row.blob_key.slice(0, 2), row.blob_key) };
  }

  const remaining = async () =>
    (await sigilo.store.db.selectFrom('recordings').select('id').execute()).map((r) => r.id);

  it('deletes a recording (row and blob) once six months have passed since it was recorded', async () => {
    clock.set('2026-01-10T12:00:00.000Z');
    const old = await customerWithRecording('2026-01-10T09:00:00Z');
    clock.set('2026-05-01T12:00:00.000Z');
    const young = await customerWithRecording('2026-05-01T09:00:00Z');

    clock.set('2026-07-10T11:59:00.000Z'); // just past six months after the first one was recorded
    const report = await sigilo.retention.run({ targets: ['recordings'] });
    const target = report.targets.find((t) => t.target === 'recordings');
    expect(target).toMatchObject({ items: 1, records: 1, held: 0 });
    expect(await remaining()).toEqual([young.id]);
    expect(fs.existsSync(old.file)).toBe(false);
    expect(fs.existsSync(young.file)).toBe(true);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('keeps a recording under a legal hold, and its ticket with it', async () => {
    clock.set('2026-01-10T12:00:00.000Z');
    const held = await customerWithRecording('2026-01-10T09:00:00Z');
    await sigilo.retention.holds.create(ctx('legal', 'legal_obligation'), {
      kind: 'litigation',
      scope: { kind: 'account', id: held.accountId },
      categories: ['support_recording'],
      reason: 'processo 0001234-56.2026',
    });
    clock.set('2029-01-10T12:00:00.000Z'); // past the recording's 6 months and the ticket's 2 years
    await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.tickets.resolve(s, held.ticketId),
    );
    clock.set('2031-06-01T12:00:00.000Z');
    const report = await sigilo.retention.run();
    expect(report.status).toBe('completed');
    expect(report.targets.find((t) => t.target === 'recordings')).toMatchObject({ items: 0, held: 1 });
    expect(await remaining()).toEqual([held.id]);
    expect(fs.existsSync(held.file)).toBe(true);
    const ticket = await sigilo.store.db
      .selectFrom('tickets')
      .select('id')
      .where('id', '=', held.ticketId)
      .executeTakeFirst();
    expect(ticket?.id).toBe(held.ticketId);
  });
});
