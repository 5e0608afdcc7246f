/**
 * The recording routes in a minimal app: the HTTP layer's error handler, a stand-in authentication hook (the role
 * comes from a test header) and the plugin under /v1. Streaming behaviour is checked over a real socket.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { installErrorHandlers } from '../http/errors/error-handler.ts';
import { createTestSigilo, ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { FilesystemBlobStore } from './filesystem.blob-store.ts';
import { RecordingService } from './recording.service.ts';
import { recordingsRoutes } from './recordings.routes.ts';

const LIMIT = 1024 * 1024;

async function buildTestApp(sigilo: Sigilo): Promise<FastifyInstance> {
  // A tiny general body limit: recordings must not be subject to it (their own limit applies while streaming).
  const app = Fastify({ bodyLimit: 1024 });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('errorCode', null);
  installErrorHandlers(app);
  app.addHook('onRequest', async (request) => {
    const role = request.headers['x-test-role'];
    if (typeof role === 'string')
      request.principal = { actor: `test:${role}`, role, via: 'token', expiresAt: null };
  });
  await app.register(recordingsRoutes, { prefix: '/v1', services: sigilo.services });
  return app;
}

const as = (role: string, purpose: string | null = null, contentType?: string): Record<string, string> => ({
  'x-test-role': role,
  ...(purpose ? { 'sigilo-purpose': purpose } : {}),
  ...(contentType ? { 'content-type': contentType } : {}),
});

/** A raw request over the socket; resolves with what the client saw, including a response cut short. */
function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: Buffer[] },
): Promise<{ status: number; body: Buffer; complete: boolean; length: number | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (complete: boolean) =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          complete,
          length: res.headers['content-length'] ? Number(res.headers['content-length']) : null,
        });
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
      res.on('aborted', () => done(false));
    });
    req.on('error', reject);
    // Chunked upload: no Content-Length, so only the streaming limit can stop it.
    const write = async () => {
      for (const piece of options.body ?? []) {
        if (req.destroyed) return;
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    };
    void write();
  });
}

describe('recording routes', () => {
  let sigilo: Sigilo;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let base: string;
  let ticketId: string;
  let dir: string;

  beforeAll(async () => {
    const t = await createTestSigilo('sqlite');
    cleanup = t.cleanup;
    const store = t.config.recordings.store;
    if (store.kind !== 'filesystem') throw new Error('tests expect the file-system store');
    dir = store.dir;
    // The same Sigilo with a 1 MiB limit, so the limit is cheap to cross.
    const recordings = new RecordingService({
      gate: t.sigilo.gate,
      blobs: FilesystemBlobStore.open(dir),
      maxBytes: LIMIT,
      now: t.clock.now,
    });
    sigilo = { ...t.sigilo, services: { ...t.sigilo.services, recordings } };
    const { gate, services } = sigilo;
    const accountId = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
    ticketId = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.tickets.open(s, { accountId, channel: 'phone', title: 'Eco na ligação' }),
    );
    app = await buildTestApp(sigilo);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await cleanup();
  });

  async function uploadOver(bytes: Buffer, contentType = 'audio/wav'): Promise<string> {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/tickets/${ticketId}/recordings?recordedAt=2026-11-26T11:00:00Z`,
      headers: as('support_agent', 'support', contentType),
      payload: bytes,
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }

  it('uploads raw audio, lists it on the ticket and streams it back byte for byte', async () => {
    const audio = randomBytes(300_000);
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/tickets/${ticketId}/recordings?recordedAt=2026-11-26T11:00:00Z&source=network_platform`,
      headers: as('support_agent', 'support', 'audio/mpeg'),
      payload: audio,
    });
    expect(res.statusCode).toBe(201);
    const stored = res.json<Record<string, unknown>>();
    expect(stored).toMatchObject({
      ticketId,
      contentType: 'audio/mpeg',
      sizeBytes: audio.length,
      recordedAt: '2026-11-26T11:00:00.000Z',
      provenance: { source: 'network_platform' },
    });
    expect(Object.keys(stored)).not.toContain('status');

    const got = await app.inject({
      method: 'GET',
      url: `/v1/recordings/${String(stored.id)}`,
      headers: as('support_agent', 'support'),
    });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('audio/mpeg');
    expect(got.headers['content-length']).toBe(String(audio.length));
    expect(got.rawPayload.equals(audio)).toBe(true);

    const list = await app.inject({
      method: 'GET',
      url: `/v1/tickets/${ticketId}/recordings`,
      headers: as('support_agent', 'support'),
    });
    expect(list.json<{ recordings: { id: string }[] }>().recordings.map((r) => r.id)).toContain(stored.id);
  });

  it('answers with the gate’s codes: no purpose, wrong role, unknown ticket, unsupported media type', async () => {
    const put = (headers: Record<string, string>, url = `/v1/tickets/${ticketId}/recordings`) =>
      app.inject({ method: 'PUT', url, headers, payload: Buffer.from('RIFF....WAVE') });
    const code = (r: { json: () => unknown }) => (r.json() as { error: { code: string } }).error.code;

    const noPurpose = await put(as('support_agent', null, 'audio/wav'));
    expect([noPurpose.statusCode, code(noPurpose)]).toEqual([400, 'PURPOSE_REQUIRED']);
    const billing = await put(as('billing', 'billing', 'audio/wav'));
    expect([billing.statusCode, code(billing)]).toEqual([403, 'PURPOSE_NOT_ALLOWED']);
    const missing = await put(
      as('support_agent', 'support', 'audio/wav'),
      '/v1/tickets/01900000-0000-7000-8000-000000000000/recordings',
    );
    expect([missing.statusCode, code(missing)]).toEqual([404, 'NOT_FOUND']);
    const json = await app.inject({
      method: 'PUT',
      url: `/v1/tickets/${ticketId}/recordings`,
      headers: as('support_agent', 'support', 'application/json'),
      payload: { audio: 'no' },
    });
    expect([json.statusCode, code(json)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const video = await put(as('support_agent', 'support', 'video/mp4'));
    expect(video.statusCode).toBe(415);
    const badWhen = await put(
      as('support_agent', 'support', 'audio/wav'),
      `/v1/tickets/${ticketId}/recordings?recordedAt=yesterday`,
    );
    expect([badWhen.statusCode, code(badWhen)]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses a body over the limit with 413, announced or streamed, and keeps nothing', async () => {
    const files = () =>
      fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
    const before = files();
    const announced = await rawRequest(`${base}/v1/tickets/${ticketId}/recordings`, {
      method: 'PUT',
      headers: { ...as('support_agent', 'support', 'audio/wav'), 'content-length': String(LIMIT + 1) },
      body: [Buffer.alloc(LIMIT + 1)],
    });
    expect(announced.status).toBe(413);
    const streamed = await rawRequest(`${base}/v1/tickets/${ticketId}/recordings`, {
      method: 'PUT',
      headers: as('support_agent', 'support', 'audio/wav'),
      body: Array.from({ length: 40 }, () => randomBytes(64 * 1024)),
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body.toString()) as unknown).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { limitBytes: LIMIT } },
    });
    expect(files()).toBe(before);
  });

  it('cuts a download of a tampered recording short instead of ending it normally', async () => {
    const audio = randomBytes(5 * 64 * 1024);
    const id = await uploadOver(audio);
    const row = await sigilo.store.db
      .selectFrom('recordings')
      .select('blob_key')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const file = path.join(dir, row.blob_key.slice(0, 2), row.blob_key);
    const blob = fs.readFileSync(file);
    blob[blob.length - 10]! ^= 1; // in the final chunk
    fs.writeFileSync(file, blob);
    const res = await rawRequest(`${base}/v1/recordings/${id}`, {
      method: 'GET',
      headers: as('support_agent', 'support'),
    });
    expect(res.status).toBe(200);
    expect(res.length).toBe(audio.length);
    expect(res.complete).toBe(false);
    expect(res.body.length).toBeLessThan(audio.length);
  });

  it('lets the DPO delete a recording (204), then it is gone (404)', async () => {
    const id = await uploadOver(randomBytes(1_000));
    const denied = await app.inject({
      method: 'DELETE',
      url: `/v1/recordings/${id}`,
      headers: as('support_agent', 'support'),
    });
    expect(denied.statusCode).toBe(403);
    const del = await app.inject({
      method: 'DELETE',
      url: `/v1/recordings/${id}`,
      headers: as('dpo', 'subject_request'),
    });
    expect(del.statusCode).toBe(204);
    const gone = await app.inject({
      method: 'GET',
      url: `/v1/recordings/${id}`,
      headers: as('support_agent', 'support'),
    });
    expect(gone.statusCode).toBe(404);
  });
});
