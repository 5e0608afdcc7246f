/**
 * Recordings over HTTP. Audio goes in and out as raw bytes, streamed: the upload body is handed to the service
 * as the request stream itself (never buffered by Fastify) and the download is the gate's decrypting stream.
 * Register inside the authenticated `/v1` scope: `await v1.register(recordingsRoutes, deps)`.
 */
import type { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SigiloError } from '../errors.ts';
import type { RecordingService, RecordingView } from './recording.service.ts';
import {
  Id,
  NoContent,
  Provenance,
  PurposeHeaders,
  Source,
  Timestamp,
  responses,
} from '../http/routes/common.schema.ts';
import { accessContextOf } from '../http/routes/gated.ts';
import { access } from '../http/route-access.ts';

const RecordingFields = {
  id: Id,
  ticketId: Id,
  accountId: Id,
  contentType: Type.String(),
  sizeBytes: Type.Integer({ description: 'Length of the audio in bytes.' }),
  recordedAt: Timestamp,
  createdAt: Timestamp,
  provenance: Provenance,
};
const Recording = Type.Object(RecordingFields);
const StoredRecording = Type.Object({
  ...RecordingFields,
  sha256: Type.String({ description: 'SHA-256 (hex) of the bytes received, to compare with what was sent.' }),
});

const TicketParams = Type.Object({ ticketId: Id });
const RecordingParams = Type.Object({ recordingId: Id });
const UploadQuery = Type.Object({
  recordedAt: Type.Optional(
    Type.String({ maxLength: 40, description: 'When the call was recorded (ISO-8601); default now.' }),
  ),
  source: Type.Optional(Source),
});

/** Hands the request stream itself to the route: nothing is buffered, and the service enforces the limit. */
type RawParser = (
  request: unknown,
  payload: Readable,
  done: (err: Error | null, body?: unknown) => void,
) => void;
const passThrough: RawParser = (_request, payload, done) => done(null, payload);

/** The recording routes; `deps` may be the HTTP layer's RouteDeps (only the recording service is used). */
export const recordingsRoutes: FastifyPluginAsyncTypebox<{ services: { recordings: RecordingService } }> = (
  app,
  deps,
) => {
  const recordings = deps.services.recordings;

  // Encapsulated in this plugin: on other routes these media types stay unsupported (415).
  app.addContentTypeParser('application/octet-stream', passThrough);
  app.addContentTypeParser(/^audio\/[a-z0-9][a-z0-9.+-]*$/i, passThrough);

  app.put(
    '/tickets/:ticketId/recordings',
    {
      config: { access: [access('write', 'support_recording')] },
      schema: {
        tags: ['recordings'],
        summary: 'Upload a call recording to a ticket',
        description:
          'The body is the audio itself (Content-Type audio/* or application/octet-stream), streamed and sealed ' +
          'in 64 KiB chunks as it arrives. Larger than the configured limit (SIGILO_RECORDING_MAX_BYTES): 413.',
        headers: PurposeHeaders,
        params: TicketParams,
        querystring: UploadQuery,
        response: responses({ 201: StoredRecording }),
      },
    },
    async (request, reply) => {
      const body: unknown = request.body;
      if (!isReadable(body)) {
        throw new SigiloError(
          'UNSUPPORTED_MEDIA_TYPE',
          'a recording must be sent as audio/* or application/octet-stream',
        );
      }
      const declared = Number(request.headers['content-length']);
      try {
        const stored = await recordings.upload(accessContextOf(request), request.params.ticketId, body, {
          contentType: request.headers['content-type'] ?? '',
          ...(request.query.recordedAt !== undefined ? { recordedAt: request.query.recordedAt } : {}),
          ...(request.query.source !== undefined ? { source: request.query.source } : {}),
          ...(Number.isFinite(declared) ? { declaredBytes: declared } : {}),
        });
        return await reply.code(201).send({ ...wire(stored), sha256: stored.sha256 });
      } catch (err) {
        // The rest of a refused body is not worth reading: answer, then close the connection.
        if (!body.readableEnded) void reply.header('connection', 'close');
        throw err;
      }
    },
  );

  app.get(
    '/recordings/:recordingId',
    {
      config: { access: [access('read', 'support_recording')] },
      schema: {
        tags: ['recordings'],
        summary: 'Download a call recording',
        description:
          'Streams the audio. Every 64 KiB chunk is authenticated before it is sent; if the stored recording was ' +
          'tampered with, the response is cut off before its announced Content-Length (and INTEGRITY_ERROR is ' +
          'written to the access log), so a client never mistakes a damaged recording for a whole one.',
        headers: PurposeHeaders,
        params: RecordingParams,
        response: responses({ 200: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) }),
      },
    },
    async (request, reply) => {
      const { recording, stream } = await recordings.download(
        accessContextOf(request),
        request.params.recordingId,
      );
      return reply
        .type(recording.contentType)
        .header('content-length', String(recording.sizeBytes ?? 0))
        .header('content-disposition', `attachment; filename="${recording.id}"`)
        .header('sigilo-recorded-at', recording.recordedAt)
        .send(stream);
    },
  );

  app.delete(
    '/recordings/:recordingId',
    {
      config: { access: [access('delete', 'support_recording')] },
      schema: {
        tags: ['recordings'],
        summary: 'Delete a call recording',
        headers: PurposeHeaders,
        params: RecordingParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await recordings.delete(accessContextOf(request), request.params.recordingId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/tickets/:ticketId/recordings',
    {
      config: { access: [access('read', 'support_recording')] },
      schema: {
        tags: ['recordings'],
        summary: "List a ticket's call recordings",
        headers: PurposeHeaders,
        params: TicketParams,
        response: responses({ 200: Type.Object({ recordings: Type.Array(Recording) }) }),
      },
    },
    async (request) => ({
      recordings: (await recordings.listForTicket(accessContextOf(request), request.params.ticketId)).map(
        wire,
      ),
    }),
  );
  return Promise.resolve();
};

/** The wire view of a complete recording. */
function wire(r: RecordingView): {
  id: string;
  ticketId: string;
  accountId: string;
  contentType: string;
  sizeBytes: number;
  recordedAt: string;
  createdAt: string;
  provenance: RecordingView['provenance'];
} {
  return {
    id: r.id,
    ticketId: r.ticketId,
    accountId: r.accountId,
    contentType: r.contentType,
    sizeBytes: r.sizeBytes ?? 0,
    recordedAt: r.recordedAt,
    createdAt: r.createdAt,
    provenance: r.provenance,
  };
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof (value as Readable | null)?.pipe === 'function' && typeof (value as Readable).on === 'function'
  );
}
