/**
 * The S3 store against a tiny S3 look-alike on node:http that speaks the calls the store makes (path-style
 * PutObject, multipart upload, GetObject, HeadObject, DeleteObject). It checks what goes over the wire — signed
 * requests, object names, multipart abort on failure — not S3's own behaviour.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { createTestSigilo, ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { RecordingService } from './recording.service.ts';
import { S3BlobStore } from './s3.blob-store.ts';

const MiB = 1024 * 1024;
const BUCKET = 'sigilo-test';

interface Seen {
  method: string;
  path: string;
  query: string;
  /** The SDK's operation name (its `x-id` query parameter), or the method. */
  op: string;
  authorization: string;
}

/** An in-memory S3 (path style) with the handful of operations the store uses. */
function fakeS3() {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://s3.local');
      const q = url.searchParams;
      const key = decodeURIComponent(url.pathname);
      seen.push({
        method: req.method ?? '',
        path: key,
        query: url.search,
        op: operation(req.method ?? '', q),
        authorization: req.headers.authorization ?? '',
      });
      const body = Buffer.concat(chunks);
      const xml = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>${text}`);
      };
      const notFound = () =>
        req.method === 'HEAD'
          ? (res.writeHead(404), res.end())
          : xml(404, '<Error><Code>NoSuchKey</Code><Message>not found</Message></Error>');
      if (req.method === 'POST' && q.has('uploads')) {
        const id = randomUUID();
        uploads.set(id, new Map());
        return xml(
          200,
          `<InitiateMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      const uploadId = q.get('uploadId');
      if (uploadId) {
        const parts = uploads.get(uploadId);
        if (!parts) return xml(404, '<Error><Code>NoSuchUpload</Code><Message>x</Message></Error>');
        if (req.method === 'PUT') {
          parts.set(Number(q.get('partNumber')), body);
          res.writeHead(200, { etag: `"part-${q.get('partNumber')}"` });
          return res.end();
        }
        if (req.method === 'POST') {
          const numbers = [...parts.keys()].sort((a, b) => a - b);
          objects.set(key, Buffer.concat(numbers.map((n) => parts.get(n)!)));
          uploads.delete(uploadId);
          return xml(
            200,
            `<CompleteMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${key}</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>`,
          );
        }
        if (req.method === 'DELETE') {
          uploads.delete(uploadId);
          res.writeHead(204);
          return res.end();
        }
      }
      if (req.method === 'PUT') {
        objects.set(key, body);
        res.writeHead(200, { etag: '"single"' });
        return res.end();
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const obj = objects.get(key);
        if (!obj) return notFound();
        res.writeHead(200, { 'content-length': obj.length, 'content-type': 'application/octet-stream' });
        return res.end(req.method === 'GET' ? obj : undefined);
      }
      if (req.method === 'DELETE') {
        objects.delete(key);
        res.writeHead(204);
        return res.end();
      }
      res.writeHead(400);
      res.end();
    });
  });
  return { server, objects, uploads, seen };
}

/** The S3 operation of a request (the SDK names most in `x-id`, not all). */
function operation(method: string, q: URLSearchParams): string {
  if (q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  return q.get('x-id') ?? method;
}

describe('S3 blob store (against a local S3 look-alike)', () => {
  const s3 = fakeS3();
  let store: S3BlobStore;
  let endpoint: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => s3.server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(s3.server.address() as AddressInfo).port}`;
    store = S3BlobStore.fromSettings(
      { bucket: BUCKET, region: 'sa-east-1', endpoint, forcePathStyle: true, prefix: 'recordings/' },
      { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } },
    );
  });
  afterAll(async () => new Promise<void>((resolve) => s3.server.close(() => resolve())));
  beforeEach(() => void (s3.seen.length = 0));

  it('puts a small blob with one signed PutObject under the prefix, then reads, checks and deletes it', async () => {
    const key = randomUUID();
    const data = randomBytes(100_000);
    expect(await store.put(key, Readable.from([data]))).toEqual({ bytes: data.length });
    expect(s3.seen).toHaveLength(1);
    expect(s3.seen[0]).toMatchObject({
      op: 'PutObject',
      method: 'PUT',
      path: `/${BUCKET}/recordings/${key}`,
    });
    expect(s3.seen[0]!.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/sa-east-1\/s3\//,
    );
    expect((await buffer(await store.get(key))).equals(data)).toBe(true);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key); // idempotent
    const err = await store.get(key).catch((e: unknown) => e);
    expect(isSigiloError(err, 'NOT_FOUND')).toBe(true);
  });

  it('streams a blob of unknown length as a multipart upload', async () => {
    const key = randomUUID();
    const data = randomBytes(12 * MiB + 5);
    const pieces = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) =>
      data.subarray(i * 65_536, (i + 1) * 65_536),
    );
    expect(await store.put(key, Readable.from(pieces))).toEqual({ bytes: data.length });
    expect(s3.seen.map((c) => c.op)).toEqual([
      'CreateMultipartUpload',
      'UploadPart',
      'UploadPart',
      'UploadPart',
      'CompleteMultipartUpload',
    ]);
    expect(s3.objects.get(`/${BUCKET}/recordings/${key}`)?.equals(data)).toBe(true);
  });

  it('aborts the multipart upload and stores nothing when the body fails', async () => {
    const key = randomUUID();
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 7 * MiB) return void this.destroy(new Error('client went away'));
        sent += MiB;
        this.push(randomBytes(MiB));
      },
    });
    await expect(store.put(key, failing)).rejects.toThrow();
    expect(s3.seen.map((c) => c.op)).toContain('AbortMultipartUpload');
    expect(s3.uploads.size).toBe(0);
    expect(await store.exists(key)).toBe(false);
  });

  it('refuses a key that is not a blob name', async () => {
    await expect(store.exists('../etc/passwd')).rejects.toThrow('malformed blob key');
  });

  it('carries sealed recordings end to end: round trip, and a tampered object is refused', async () => {
    const t = await createTestSigilo('sqlite');
    try {
      const { gate, services } = t.sigilo;
      const service = new RecordingService({ gate, blobs: store, maxBytes: 100 * MiB, now: t.clock.now });
      const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
        services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
      );
      const ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
        services.tickets.open(s, { accountId, channel: 'phone', title: 'Ruído na linha' }),
      );
      const audio = randomBytes(6 * MiB);
      const stored = await service.upload(ctx('support_agent', 'support'), ticketId, Readable.from([audio]), {
        contentType: 'audio/mpeg',
      });
      const { stream } = await service.download(ctx('support_agent', 'support'), stored.id);
      expect((await buffer(stream)).equals(audio)).toBe(true);

      const row = await t.sigilo.store.db
        .selectFrom('recordings')
        .select('blob_key')
        .where('id', '=', stored.id)
        .executeTakeFirstOrThrow();
      const object = s3.objects.get(`/${BUCKET}/recordings/${row.blob_key}`)!;
      expect(object.includes(audio.subarray(1000, 1032))).toBe(false);
      object[object.length - 5]! ^= 1;
      const again = await service.download(ctx('support_agent', 'support'), stored.id);
      const err = await buffer(again.stream).catch((e: unknown) => e);
      expect(isSigiloError(err, 'INTEGRITY_ERROR')).toBe(true);
    } finally {
      await t.cleanup();
    }
  });
});
