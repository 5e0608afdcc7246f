/**
 * Authority requests inside the retention engine: kept 5 years from the request (policy rule, to be confirmed by
 * the legal team), then deleted with their history, their sealed order document and their subject key, with a
 * deletion certificate; open requests and requests whose preservation holds still run are kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../app.ts';
import { cdrOrder } from '../../authority-requests/authority-request.fixture.ts';
import { createTestSigilo, ctx, type TestClock } from '../../../test/support/sigilo.ts';
import { DIALECTS } from '../../../test/support/stores.ts';
import { makeAccount } from '../../../test/support/telecom.ts';

const legalA = () => ctx('legal', 'authority_order', 'legal-a');
const DOC = { contentType: 'application/pdf', base64: Buffer.from('%PDF-1.7 ordem').toString('base64') };

describe.each(DIALECTS)('authority request retention on %s', (dialect) => {
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

  const svc = () => sigilo.services.authorityRequests;
  const create = (body: unknown) => sigilo.gate.run(legalA(), (s) => svc().create(s, body));
  const cancel = (id: string) =>
    sigilo.gate.run(legalA(), (s) => svc().cancel(s, id, { reasons: 'ordem revogada pelo juízo' }));
  const remaining = async () =>
    (await sigilo.store.db.selectFrom('authority_requests').select('id').orderBy('id').execute()).map(
      (r) => r.id,
    );
  const keysOf = async (subjectId: string) =>
    sigilo.store.db
      .selectFrom('data_keys')
      .select('subject_id')
      .where('subject_id', '=', subjectId)
      .execute();
  const blobFile = async (id: string) => {
    const r = await sigilo.store.db
      .selectFrom('authority_requests')
      .select('document_blob_key')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return path.join(dir, r.document_blob_key!.slice(0, 2).toLowerCase(), r.document_blob_key!);
  };

  it('deletes a done request after 5 years with its history, document and key; keeps open and held ones', async () => {
    clock.set('2026-12-01T12:00:00.000Z');
    const accountId = await makeAccount(sigilo);
    const done = await create(cdrOrder({ document: DOC }));
    await cancel(done.id);
    const open = await create(cdrOrder({ externalReference: 'IP 2/2026' }));
    const preserved = await create(
      cdrOrder({
        externalReference: 'IP 3/2026',
        requestTypes: ['preservation'],
        targets: [{ kind: 'account', id: accountId }],
        categories: ['call_record'],
      }),
    );
    expect(preserved.holdIds).toHaveLength(1);
    await cancel(preserved.id);
    const file = await blobFile(done.id);
    expect(fs.existsSync(file)).toBe(true);
    expect((await keysOf(done.id)).length).toBeGreaterThan(0);

    // Just before 5 years: nothing goes.
    clock.set('2031-11-30T12:00:00.000Z');
    let report = await sigilo.retention.run({ targets: ['authority.requests'] });
    expect(report.targets.find((t) => t.target === 'authority.requests')).toMatchObject({ items: 0 });

    clock.set('2031-12-02T12:00:00.000Z');
    report = await sigilo.retention.run({ targets: ['authority.requests'] });
    expect(report.status).toBe('completed');
    expect(report.targets.find((t) => t.target === 'authority.requests')).toMatchObject({ items: 1 });
    expect(await remaining()).toEqual([open.id, preserved.id].sort());
    expect(fs.existsSync(file)).toBe(false);
    expect(
      await sigilo.store.db
        .selectFrom('authority_request_events')
        .select('id')
        .where('request_id', '=', done.id)
        .execute(),
    ).toEqual([]);
    // A request is its own subject (id = subject id): its key is destroyed.
    expect(await keysOf(done.id)).toEqual([]);
    const certs = await sigilo.store.db.selectFrom('deletion_certificates').select('body').execute();
    expect(certs.some((c) => c.body.includes('authority.requests'))).toBe(true);

    // Once its hold is released, the preservation request goes at the next sweep.
    await sigilo.retention.holds.release(ctx('legal', 'legal_obligation'), preserved.holdIds[0]!, {
      reason: 'investigação arquivada',
    });
    await sigilo.retention.run({ targets: ['authority.requests'] });
    expect(await remaining()).toEqual([open.id]);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });
});
