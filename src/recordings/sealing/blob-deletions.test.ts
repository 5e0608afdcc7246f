import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../../app.ts';
import { createTestSigilo, ctx, SAMPLE } from '../../../test/support/sigilo.ts';
import { DIALECTS } from '../../../test/support/stores.ts';
import { BlobDeletions } from './blob-deletions.ts';
import type { BlobStore } from '../blob-store.ts';
import { deleteRecording } from './recordings.gate.ts';

const agent = () => ctx('support_agent', 'support');
const dpo = () => ctx('dpo', 'subject_request');

describe.each(DIALECTS)('blob deletions wait for their transaction on %s', (dialect) => {
  let sigilo: Sigilo;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestSigilo(dialect);
    ({ sigilo, cleanup } = t);
    const store = t.config.recordings.store;
    if (store.kind !== 'filesystem') throw new Error('tests expect the file-system store');
    dir = store.dir;
  });
  afterAll(async () => cleanup());

  /** A stored recording of a fresh customer's ticket: its id, blob key and blob file. */
  async function stored(): Promise<{ id: string; key: string; file: string }> {
    const { gate, services } = sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    const ticketId = await gate.run(agent(), (s) =>
      services.tickets.open(s, { accountId, channel: 'phone', title: 'Ligação com ruído' }),
    );
    const r = await services.recordings.upload(agent(), ticketId, Readable.from([randomBytes(500)]), {
      contentType: 'audio/wav',
    });
    const row = await sigilo.store.db
      .selectFrom('recordings')
      .select('blob_key')
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    return { id: r.id, key: row.blob_key, file: path.join(dir, row.blob_key.slice(0, 2), row.blob_key) };
  }

  const queued = async (): Promise<string[]> =>
    (await sigilo.store.db.selectFrom('blob_deletions').select('id').execute()).map((r) => r.id);
  const rowExists = async (id: string): Promise<boolean> =>
    (await sigilo.store.db.selectFrom('recordings').select('id').where('id', '=', id).executeTakeFirst()) !==
    undefined;

  it('keeps the blob and the row when the deleting transaction rolls back', async () => {
    const rec = await stored();
    const deletions = sigilo.services.recordings.deletions;
    await expect(
      sigilo.gate.run(dpo(), async (s) => {
        await deleteRecording(s, rec.id, 'erasure request', (key) => deletions.queue(s, key));
        throw new Error('a later step of the same transaction failed');
      }),
    ).rejects.toThrow('a later step');
    await deletions.settled();
    expect(await rowExists(rec.id)).toBe(true);
    expect(fs.existsSync(rec.file)).toBe(true);
    expect(await queued()).not.toContain(rec.key);
    // And it still downloads whole.
    const { stream } = await sigilo.services.recordings.download(agent(), rec.id);
    expect(Buffer.concat((await stream.toArray()) as Buffer[]).length).toBe(500);
  });

  it('leaves the blob queued when the store fails after the commit, and removes it at the next drain', async () => {
    const rec = await stored();
    const real = sigilo.services.recordings;
    let failing = true;
    const flaky: BlobStore = {
      kind: 'filesystem',
      put: (k, b) => real['deps'].blobs.put(k, b),
      get: (k) => real['deps'].blobs.get(k),
      exists: (k) => real['deps'].blobs.exists(k),
      delete: (k) =>
        failing ? Promise.reject(new Error('store unreachable')) : real['deps'].blobs.delete(k),
    };
    const deletions = new BlobDeletions(sigilo.gate, flaky);
    await sigilo.gate.run(dpo(), (s) => deleteRecording(s, rec.id, null, (key) => deletions.queue(s, key)));
    await deletions.settled();
    expect(await rowExists(rec.id)).toBe(false);
    expect(fs.existsSync(rec.file)).toBe(true);
    expect(await queued()).toContain(rec.key);
    failing = false;
    expect(await deletions.drain()).toMatchObject({ removed: 1, failed: 0, refused: 0 });
    expect(fs.existsSync(rec.file)).toBe(false);
    expect(await queued()).not.toContain(rec.key);
  });

  it('a retention sweep drains what an earlier failure left queued', async () => {
    const rec = await stored();
    const flaky: BlobStore = {
      kind: 'filesystem',
      put: () => Promise.reject(new Error('unused')),
      get: () => Promise.reject(new Error('unused')),
      exists: () => Promise.resolve(true),
      delete: () => Promise.reject(new Error('store unreachable')),
    };
    const deletions = new BlobDeletions(sigilo.gate, flaky);
    await sigilo.gate.run(dpo(), (s) => deleteRecording(s, rec.id, null, (key) => deletions.queue(s, key)));
    await deletions.settled();
    expect(await queued()).toContain(rec.key);
    await sigilo.retention.run();
    expect(await queued()).not.toContain(rec.key);
    expect(fs.existsSync(rec.file)).toBe(false);
  });

  it('refuses a planted or edited queue row: a database writer cannot have Sigilo destroy a live blob', async () => {
    const live = await stored();
    const other = await stored();
    await sql`insert into blob_deletions (id, queued_at, row_mac) values (${live.key}, ${'2026-01-01T00:00:00.000Z'}, ${randomBytes(16)})`.execute(
      sigilo.store.db,
    );
    // A genuine queue row moved to another key: its MAC binds the key, so it is refused too.
    const stuck = new BlobDeletions(sigilo.gate, {
      kind: 'filesystem',
      put: () => Promise.reject(new Error('unused')),
      get: () => Promise.reject(new Error('unused')),
      exists: () => Promise.resolve(true),
      delete: () => Promise.reject(new Error('store unreachable')),
    });
    await sigilo.gate.run(dpo(), (s) => stuck.queue(s, 'a'.repeat(32)));
    await stuck.settled();
    await sql`update blob_deletions set id = ${other.key} where id = ${'a'.repeat(32)}`.execute(
      sigilo.store.db,
    );
    const deletions = sigilo.services.recordings.deletions;
    expect(await deletions.drain()).toMatchObject({ removed: 0, refused: 2 });
    expect(fs.existsSync(live.file)).toBe(true);
    expect(fs.existsSync(other.file)).toBe(true);
    expect(await rowExists(live.id)).toBe(true);
    await sql`delete from blob_deletions`.execute(sigilo.store.db);
  });
});
