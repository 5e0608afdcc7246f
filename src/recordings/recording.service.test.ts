import { randomBytes, randomFillSync, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import type { ChainedEntry } from '../access-log/access-log.entry.ts';
import { isSigiloError, type ErrorCode, type SigiloError } from '../errors.ts';
import { beginRecording } from './sealing/recordings.gate.ts';
import { createTestSigilo, ctx, SAMPLE, type TestClock } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import type { BlobStore } from './blob-store.ts';
import { FilesystemBlobStore } from './filesystem.blob-store.ts';
import { RecordingService } from './recording.service.ts';

const CHUNK = 64 * 1024;
const HEADER = 37;
const SEGMENT = CHUNK + 16;
const MiB = 1024 * 1024;

const agent = () => ctx('support_agent', 'support');
const system = () => ctx('system', 'legal_obligation');

/** Feeds `data` in uneven pieces, like a network would. */
function body(data: Buffer, piece = 100_003): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += piece) pieces.push(data.subarray(i, i + piece));
  return Readable.from(pieces);
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<SigiloError> {
  const err: unknown = await p.then(
    () => new Error(`expected ${code}, but it succeeded`),
    (e: unknown) => e,
  );
  if (!isSigiloError(err)) throw err;
  expect(err.code).toBe(code);
  return err;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe.each(DIALECTS)('recordings on %s', (dialect) => {
  let sigilo: Sigilo;
  let clock: TestClock;
  let dir: string;
  let cleanup: () => Promise<void>;
  let recordings: RecordingService;

  beforeAll(async () => {
    const t = await createTestSigilo(dialect);
    ({ sigilo, clock, cleanup } = t);
    recordings = sigilo.services.recordings;
    const store = t.config.recordings.store;
    if (store.kind !== 'filesystem') throw new Error('tests expect the file-system store');
    dir = store.dir;
  });
  afterAll(async () => cleanup());

  /** A fresh customer (its own subject) with one phone ticket. */
  async function newTicket(): Promise<{ accountId: string; ticketId: string }> {
    const { gate, services } = sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    const ticketId = await gate.run(agent(), (s) =>
      services.tickets.open(s, { accountId, channel: 'phone', title: 'Chamada cai após 30 segundos' }),
    );
    return { accountId, ticketId };
  }

  async function upload(ticketId: string, data: Buffer, service = recordings) {
    return service.upload(agent(), ticketId, body(data), { contentType: 'audio/wav' });
  }

  async function download(id: string, c = agent()): Promise<Buffer> {
    const { stream } = await recordings.download(c, id);
    return buffer(stream);
  }

  async function blobFile(id: string): Promise<string> {
    const row = await sigilo.store.db
      .selectFrom('recordings')
      .select('blob_key')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return path.join(dir, row.blob_key.slice(0, 2), row.blob_key);
  }

  async function recordingRows(ticketId: string): Promise<number> {
    const rows = await sigilo.store.db
      .selectFrom('recordings')
      .select('id')
      .where('ticket_id', '=', ticketId)
      .execute();
    return rows.length;
  }

  async function entries(requestId: string): Promise<ChainedEntry[]> {
    const all = await sigilo.accessLog.repo.page(sigilo.store.db, 0, 1_000_000);
    return all.filter((e) => e.requestId === requestId);
  }

  describe('round trip', () => {
    it('returns a 5 MB random recording byte for byte, and lists it on its ticket', async () => {
      const { ticketId, accountId } = await newTicket();
      const audio = randomBytes(5 * MiB + 12_345);
      const stored = await upload(ticketId, audio);
      expect(stored).toMatchObject({
        ticketId,
        accountId,
        status: 'complete',
        contentType: 'audio/wav',
        sizeBytes: audio.length,
        chunkCount: Math.ceil(audio.length / CHUNK),
        provenance: { source: 'support_contact', policyVersion: 1 },
      });
      expect(stored.sha256).toBe(createHash('sha256').update(audio).digest('hex'));
      expect((await download(stored.id)).equals(audio)).toBe(true);
      const listed = await recordings.listForTicket(agent(), ticketId);
      expect(listed.map((r) => r.id)).toEqual([stored.id]);
    });

    it('round-trips an empty recording and one of exactly three chunks', async () => {
      const { ticketId } = await newTicket();
      for (const audio of [Buffer.alloc(0), randomBytes(3 * CHUNK)]) {
        const stored = await upload(ticketId, audio);
        expect(stored.chunkCount).toBe(Math.max(1, audio.length / CHUNK));
        expect(fs.statSync(await blobFile(stored.id)).size).toBe(
          HEADER + audio.length + 16 * stored.chunkCount!,
        );
        expect((await download(stored.id)).equals(audio)).toBe(true);
      }
    });

    it('stores no plaintext: the blob file holds none of the audio, and is private (0600 in a 0700 tree)', async () => {
      const { ticketId } = await newTicket();
      // Audio with long repeated runs (silence, a spoken name as text) makes any plaintext leak easy to find.
      const marker = Buffer.from(`${SAMPLE.personName} ${SAMPLE.cpf} `);
      const audio = Buffer.concat([
        Buffer.alloc(200_000, 0),
        Buffer.concat(Array.from({ length: 5_000 }, () => marker)),
        randomBytes(300_000),
      ]);
      const stored = await upload(ticketId, audio);
      const file = await blobFile(stored.id);
      const blob = fs.readFileSync(file);
      expect(blob.includes(marker)).toBe(false);
      expect(blob.includes(Buffer.alloc(64, 0))).toBe(false);
      for (let at = audio.length - 300_000; at < audio.length - 32; at += 9_973) {
        expect(blob.includes(audio.subarray(at, at + 32))).toBe(false);
      }
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    });
  });

  describe('tampering', () => {
    const audio = randomBytes(3 * CHUNK + 1_000); // three full chunks and a short final one

    /** Uploads, lets `tamper` rewrite the blob file, and expects the download to fail (and be logged). */
    async function expectRefused(tamper: (blob: Buffer) => Buffer): Promise<void> {
      const { ticketId } = await newTicket();
      const stored = await upload(ticketId, audio);
      const file = await blobFile(stored.id);
      fs.writeFileSync(file, tamper(fs.readFileSync(file)));
      const c = agent();
      const { stream } = await recordings.download(c, stored.id);
      let ended = false;
      stream.on('end', () => (ended = true));
      await expectCode(buffer(stream), 'INTEGRITY_ERROR');
      expect(ended).toBe(false);
      const logged = await entries(c.requestId);
      expect(logged.map((e) => [e.operation, e.outcome])).toEqual([
        ['read', 'allowed'],
        ['read', 'error'],
      ]);
      expect(logged[1]!.reason).toMatch(/^INTEGRITY_ERROR/);
    }

    const chunks = (blob: Buffer) =>
      [0, 1, 2, 3].map((i) => blob.subarray(HEADER + i * SEGMENT, HEADER + (i + 1) * SEGMENT));
    const header = (blob: Buffer) => blob.subarray(0, HEADER);

    it('refuses a blob with one byte altered in a chunk', async () => {
      await expectRefused((b) => {
        const bad = Buffer.from(b);
        bad[HEADER + SEGMENT + 500]! ^= 0x20;
        return bad;
      });
    });

    it('refuses a blob with two chunks swapped', async () => {
      await expectRefused((b) => {
        const [c0, c1, c2, c3] = chunks(b);
        return Buffer.concat([header(b), c1!, c0!, c2!, c3!]);
      });
    });

    it('refuses a blob whose last chunk is truncated', async () => {
      await expectRefused((b) => b.subarray(0, b.length - 100));
    });

    it('refuses a blob whose final chunk is dropped', async () => {
      await expectRefused((b) => Buffer.concat([header(b), ...chunks(b).slice(0, 3)]));
    });

    it('refuses a blob with a duplicate chunk appended', async () => {
      await expectRefused((b) => Buffer.concat([b, chunks(b)[2]!]));
    });

    it("refuses another recording's blob put in its place", async () => {
      const { ticketId } = await newTicket();
      const other = await upload(ticketId, audio);
      const otherBlob = fs.readFileSync(await blobFile(other.id));
      await expectRefused(() => otherBlob);
    });
  });

  describe('size limit', () => {
    it('refuses a recording over the limit and leaves no row, no blob and no temporary file', async () => {
      const small = new RecordingService({
        gate: sigilo.gate,
        blobs: FilesystemBlobStore.open(dir),
        maxBytes: MiB,
        now: clock.now,
      });
      const { ticketId } = await newTicket();
      const before = filesUnder(dir).length;
      const err = await expectCode(upload(ticketId, randomBytes(MiB + 1), small), 'PAYLOAD_TOO_LARGE');
      expect(err.details).toEqual({ limitBytes: MiB });
      // A declared length over the limit is refused before anything is created.
      await expectCode(
        small.upload(agent(), ticketId, body(Buffer.alloc(10)), {
          contentType: 'audio/wav',
          declaredBytes: MiB + 1,
        }),
        'PAYLOAD_TOO_LARGE',
      );
      expect(await recordingRows(ticketId)).toBe(0);
      expect(filesUnder(dir).length).toBe(before);
      // Exactly at the limit is fine.
      expect((await upload(ticketId, randomBytes(MiB), small)).sizeBytes).toBe(MiB);
    });

    it('defaults to 500 MB', () => {
      expect(recordings.maxBytes).toBe(500 * MiB);
    });
  });

  it('streams 50 MB in and out holding only a few chunks at any time', async () => {
    const fsStore = FilesystemBlobStore.open(dir);
    let produced = 0;
    let stored = 0;
    let peakIn = 0;
    let blobRead = 0;
    const counting: BlobStore = {
      kind: 'filesystem',
      put: (key, b) => fsStore.put(key, b.pipe(counter((n) => (stored += n)))),
      get: async (key) => (await fsStore.get(key)).pipe(counter((n) => (blobRead += n))),
      delete: (key) => fsStore.delete(key),
      exists: (key) => fsStore.exists(key),
    };
    const service = new RecordingService({
      gate: sigilo.gate,
      blobs: counting,
      maxBytes: 500 * MiB,
      now: clock.now,
    });
    const total = 50 * MiB;
    const source = new Readable({
      read() {
        // Bytes produced but not yet written to disk: everything buffered anywhere in the pipeline.
        peakIn = Math.max(peakIn, produced - stored);
        if (produced >= total) return void this.push(null);
        const piece = randomFillSync(Buffer.allocUnsafe(CHUNK));
        produced += piece.length;
        this.push(piece);
      },
    });
    const { ticketId } = await newTicket();
    const rec = await service.upload(agent(), ticketId, source, { contentType: 'audio/ogg' });
    expect(rec.sizeBytes).toBe(total);
    expect(peakIn).toBeLessThan(MiB);

    const { stream } = await service.download(agent(), rec.id);
    let consumed = 0;
    let peakOut = 0;
    for await (const piece of stream as AsyncIterable<Buffer>) {
      consumed += piece.length;
      peakOut = Math.max(peakOut, blobRead - consumed);
    }
    expect(consumed).toBe(total);
    expect(peakOut).toBeLessThan(MiB);
  });

  describe('authorization', () => {
    it('lets support agents upload and download, and refuses billing with a logged denial (body unread)', async () => {
      const { ticketId } = await newTicket();
      const stored = await upload(ticketId, randomBytes(1_000));
      let read = false;
      const untouched = new Readable({
        read() {
          read = true;
          this.push(null);
        },
      });
      const billing = ctx('billing', 'billing');
      await expectCode(
        recordings.upload(billing, ticketId, untouched, { contentType: 'audio/wav' }),
        'PURPOSE_NOT_ALLOWED',
      );
      expect(read).toBe(false);
      expect(await recordingRows(ticketId)).toBe(1);
      const billingRead = ctx('billing', 'billing');
      await expectCode(recordings.download(billingRead, stored.id), 'PURPOSE_NOT_ALLOWED');
      await expectCode(recordings.listForTicket(ctx('billing', 'billing'), ticketId), 'PURPOSE_NOT_ALLOWED');
      for (const c of [billing, billingRead]) {
        const logged = await entries(c.requestId);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({
          role: 'billing',
          purpose: 'billing',
          outcome: 'denied',
          categories: ['support_recording'],
        });
      }
      // No purpose at all is refused (and logged) too.
      await expectCode(recordings.download(ctx('support_agent', null), stored.id), 'PURPOSE_REQUIRED');
      expect((await sigilo.accessLog.verify()).ok).toBe(true);
    });

    it('logs one insert per stored recording and one read per download, against the ticket subject', async () => {
      const { ticketId, accountId } = await newTicket();
      const up = agent();
      const stored = await recordings.upload(up, ticketId, body(randomBytes(10)), {
        contentType: 'audio/wav',
      });
      const down = agent();
      await download(stored.id, down);
      expect((await entries(up.requestId)).map((e) => [e.operation, e.outcome, e.subjectId])).toEqual([
        ['insert', 'allowed', accountId],
      ]);
      expect((await entries(down.requestId)).map((e) => [e.operation, e.outcome, e.subjectId])).toEqual([
        ['read', 'allowed', accountId],
      ]);
    });

    it('refuses unknown tickets and recordings only after authorizing, and bad media types', async () => {
      const missing = '01900000-0000-7000-8000-000000000000';
      await expectCode(upload(missing, Buffer.alloc(1)), 'NOT_FOUND');
      await expectCode(
        recordings.upload(ctx('billing', 'billing'), missing, body(Buffer.alloc(1)), {
          contentType: 'audio/wav',
        }),
        'PURPOSE_NOT_ALLOWED',
      );
      await expectCode(recordings.download(agent(), missing), 'NOT_FOUND');
      const { ticketId } = await newTicket();
      await expectCode(
        recordings.upload(agent(), ticketId, body(Buffer.alloc(1)), { contentType: 'text/html' }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        recordings.upload(agent(), ticketId, body(Buffer.alloc(1)), {
          contentType: 'audio/wav',
          recordedAt: '2099-01-01T00:00:00Z',
        }),
        'VALIDATION_FAILED',
      );
    });

    it('lets the DPO delete a recording (blob and row) but not a support agent', async () => {
      const { ticketId } = await newTicket();
      const stored = await upload(ticketId, randomBytes(100));
      const file = await blobFile(stored.id);
      await expectCode(recordings.delete(agent(), stored.id), 'PURPOSE_NOT_ALLOWED');
      expect(fs.existsSync(file)).toBe(true);
      await recordings.delete(ctx('dpo', 'subject_request'), stored.id, 'erasure request');
      expect(fs.existsSync(file)).toBe(false);
      expect(await recordingRows(ticketId)).toBe(0);
      await expectCode(recordings.delete(ctx('dpo', 'subject_request'), stored.id), 'NOT_FOUND');
    });
  });

  it('makes the recordings of a shredded subject unreadable, and refuses new ones', async () => {
    const { ticketId, accountId } = await newTicket();
    const stored = await upload(ticketId, randomBytes(70_000));
    await sigilo.gate.run(system(), (s) => s.shredSubject(accountId, 'erasure request'));
    const c = agent();
    await expectCode(recordings.download(c, stored.id), 'SUBJECT_SHREDDED');
    expect((await entries(c.requestId)).map((e) => [e.operation, e.outcome])).toEqual([['read', 'error']]);
    await expectCode(upload(ticketId, randomBytes(10)), 'SUBJECT_SHREDDED');
    expect(await recordingRows(ticketId)).toBe(1);
  });

  it('cleans up after a client that disconnects mid-upload', async () => {
    const { ticketId } = await newTicket();
    const before = filesUnder(dir).length;
    let sent = 0;
    const flaky = new Readable({
      read() {
        if (sent >= 300_000) return void this.destroy(new Error('socket hang up'));
        sent += CHUNK;
        this.push(randomBytes(CHUNK));
      },
    });
    await expect(recordings.upload(agent(), ticketId, flaky, { contentType: 'audio/wav' })).rejects.toThrow(
      'socket hang up',
    );
    expect(await recordingRows(ticketId)).toBe(0);
    expect(filesUnder(dir).length).toBe(before);
  });

  it('garbage-collects uploads left unfinished, blob and row', async () => {
    const { ticketId } = await newTicket();
    // An upload begun and then lost (the process died before completing it).
    const upload = await sigilo.gate.run(agent(), (s) =>
      beginRecording(
        s,
        { ticketId, contentType: 'audio/wav', recordedAt: clock.now().toISOString(), source: 'staff' },
        () => Readable.from([]),
      ),
    );
    await FilesystemBlobStore.open(dir).put(upload.blobKey, Readable.from([Buffer.from('partial')]));
    const file = path.join(dir, upload.blobKey.slice(0, 2), upload.blobKey);
    expect(fs.existsSync(file)).toBe(true);
    // Not yet stale.
    expect(await recordings.collectAbandoned(system(), new Date(clock.now().getTime() - 3_600_000))).toBe(0);
    expect(await recordings.collectAbandoned(system(), new Date(clock.now().getTime() + 1))).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
    expect(await recordingRows(ticketId)).toBe(0);
    // An unfinished upload is never listed or downloadable.
    await expectCode(recordings.download(agent(), upload.id), 'NOT_FOUND');
  });

  it('deletes recordings recorded before a cutoff (the retention sweep) and keeps the rest', async () => {
    const { ticketId } = await newTicket();
    const old = await recordings.upload(agent(), ticketId, body(randomBytes(10)), {
      contentType: 'audio/wav',
      recordedAt: '2026-04-01T10:00:00Z',
    });
    const recent = await upload(ticketId, randomBytes(10));
    const oldFile = await blobFile(old.id);
    const cutoff = new Date('2026-05-26T12:00:00Z'); // six months before the test clock
    await expectCode(recordings.deleteRecordedBefore(agent(), cutoff), 'PURPOSE_NOT_ALLOWED');
    const deleted = await recordings.deleteRecordedBefore(system(), cutoff);
    expect(deleted).toContain(old.id);
    expect(deleted).not.toContain(recent.id);
    expect(fs.existsSync(oldFile)).toBe(false);
    expect((await recordings.listForTicket(agent(), ticketId)).map((r) => r.id)).toEqual([recent.id]);
    expect((await sigilo.accessLog.verify()).ok).toBe(true);
  });
});

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}
