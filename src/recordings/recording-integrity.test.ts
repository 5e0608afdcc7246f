/**
 * A recording's plain columns are authenticated (issue 13 §5): moving it to another ticket or account, or editing
 * its recording date (retention counts from it) or sizes, is an INTEGRITY_ERROR naming the recording, logged —
 * never a recording served under someone else's ticket or deleted before its time.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { backfillRecordingMacs } from './sealing/recordings.gate.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { entriesFor, expectSigiloError, writeColumn } from '../../test/support/vault.ts';

const agent = () => ctx('support_agent', 'support');

describe.each(DIALECTS)('recording metadata is authenticated on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  async function setup() {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { gate, services } = t.sigilo;
    const account = (name: string, taxId: string) =>
      gate.run(ctx('support_agent', 'contracting'), (s) =>
        services.accounts.create(s, { kind: 'company', name, taxId }),
      );
    const a = await account(SAMPLE.companyName, SAMPLE.cnpj);
    const b = await account('Beta Voz Ltda', '11444777000161');
    const ticket = (accountId: string) =>
      gate.run(agent(), (s) => services.tickets.open(s, { accountId, channel: 'phone', title: 'Sem áudio' }));
    const ticketA = await ticket(a);
    const ticketB = await ticket(b);
    const audio = randomBytes(10_000);
    const stored = await services.recordings.upload(agent(), ticketA, Readable.from([audio]), {
      contentType: 'audio/wav',
    });
    return { t, a, b, ticketA, ticketB, audio, id: stored.id };
  }

  it('an untouched recording lists and downloads', async () => {
    const { t, ticketA, audio, id } = await setup();
    expect((await t.sigilo.services.recordings.listForTicket(agent(), ticketA)).map((r) => r.id)).toEqual([
      id,
    ]);
    const { stream } = await t.sigilo.services.recordings.download(agent(), id);
    expect((await buffer(stream)).equals(audio)).toBe(true);
  });

  it('moving a recording to another ticket and account is an INTEGRITY_ERROR there, logged', async () => {
    const { t, b, ticketB, id } = await setup();
    await writeColumn(t.sigilo, 'recordings', id, 'ticket_id', ticketB);
    await writeColumn(t.sigilo, 'recordings', id, 'account_id', b);
    const c = agent();
    const err = await expectSigiloError(
      t.sigilo.services.recordings.listForTicket(c, ticketB),
      'INTEGRITY_ERROR',
    );
    expect(err.details).toMatchObject({ table: 'recordings', rowId: id });
    expect((await entriesFor(t.sigilo, c.requestId))[0]).toMatchObject({ outcome: 'error' });
    await expectSigiloError(t.sigilo.services.recordings.download(agent(), id), 'INTEGRITY_ERROR');
  });

  it('editing the recording date is an INTEGRITY_ERROR, and retention deletes nothing', async () => {
    const { t, ticketA, id } = await setup();
    await writeColumn(t.sigilo, 'recordings', id, 'recorded_at', '2001-01-01T00:00:00.000Z');
    await expectSigiloError(t.sigilo.services.recordings.listForTicket(agent(), ticketA), 'INTEGRITY_ERROR');
    await expectSigiloError(
      t.sigilo.services.recordings.deleteRecordedBefore(
        ctx('system', 'legal_obligation'),
        new Date('2002-01-01'),
      ),
      'INTEGRITY_ERROR',
    );
    const rows = await t.sigilo.store.db.selectFrom('recordings').select('id').execute();
    expect(rows.map((r) => r.id)).toEqual([id]);
  });

  it('a NULL row_mac is an INTEGRITY_ERROR, also after a restart', async () => {
    const { t, ticketA, id } = await setup();
    await writeColumn(t.sigilo, 'recordings', id, 'row_mac', null as never);
    await expectSigiloError(t.sigilo.services.recordings.listForTicket(agent(), ticketA), 'INTEGRITY_ERROR');
    const reopened = await t.reopen();
    await expectSigiloError(reopened.services.recordings.download(agent(), id), 'INTEGRITY_ERROR');
  });

  it('the row-MAC backfill MACs a row stored before MACs while its ticket, account and subject agree', async () => {
    const { t, b, ticketA, ticketB, id } = await setup();
    const system = () => ctx('system', 'legal_obligation', 'sigilo');
    await writeColumn(t.sigilo, 'recordings', id, 'row_mac', null as never);
    // Moved to another ticket and account while without MAC: the pre-MAC rule refuses to MAC it.
    await writeColumn(t.sigilo, 'recordings', id, 'ticket_id', ticketB);
    await writeColumn(t.sigilo, 'recordings', id, 'account_id', b);
    expect(await t.sigilo.gate.run(system(), (s) => backfillRecordingMacs(s))).toEqual({
      macked: 0,
      refused: 1,
    });
    await expectSigiloError(t.sigilo.services.recordings.listForTicket(agent(), ticketB), 'INTEGRITY_ERROR');
    // In place, it gets its MAC and is served again.
    const { a } = await t.sigilo.store.db
      .selectFrom('tickets')
      .select('account_id as a')
      .where('id', '=', ticketA)
      .executeTakeFirstOrThrow();
    await writeColumn(t.sigilo, 'recordings', id, 'ticket_id', ticketA);
    await writeColumn(t.sigilo, 'recordings', id, 'account_id', a);
    expect(await t.sigilo.gate.run(system(), (s) => backfillRecordingMacs(s))).toEqual({
      macked: 1,
      refused: 0,
    });
    expect((await t.sigilo.services.recordings.listForTicket(agent(), ticketA)).map((r) => r.id)).toEqual([
      id,
    ]);
  });

  it('editing a size or the content type is an INTEGRITY_ERROR', async () => {
    for (const [column, value] of [
      ['size_bytes', 1],
      ['content_type', 'text/html'],
    ] as const) {
      const { t, id } = await setup();
      await writeColumn(t.sigilo, 'recordings', id, column, value as never);
      await expectSigiloError(t.sigilo.services.recordings.download(agent(), id), 'INTEGRITY_ERROR');
      await cleanup?.();
      cleanup = undefined;
    }
  });
});
