/**
 * Support-call recordings: streamed in, sealed chunk by chunk by the gate, stored as blobs, streamed back out.
 * Unlike the other services this one opens its own short transactions instead of running inside one: a recording
 * can take minutes to upload, and a transaction held that long would stall every writer (SQLite has one).
 * Each step is still one gate session, authorized and logged: begin (row `uploading`), stream the blob with no
 * transaction open, complete (row `complete`, logged as the insert).
 */
import { createHash } from 'node:crypto';
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import { SigiloError, isSigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate, GateSession } from '../gate/gate.ts';
import {
  beginRecording,
  completeRecording,
  deleteRecording,
  discardUpload,
  listRecordings,
  listSubjectRecordings,
  openRecording,
  reportRecordingFailure,
  type RecordingView,
  type SealedUpload,
} from './sealing/recordings.gate.ts';
import { SOURCES, type Source } from '../services/provenance.ts';
import type { BlobStore } from './blob-store.ts';
import { BlobDeletions } from './sealing/blob-deletions.ts';
import { abandonedUploadIds, expiredRecordingIds } from './recording.repository.ts';

export type { RecordingView } from './sealing/recordings.gate.ts';

/** Media types a recording may be stored as; served back verbatim, so nothing a browser would render. */
export const RECORDING_CONTENT_TYPE = /^(audio\/[a-z0-9][a-z0-9.+-]{0,63}|application\/octet-stream)$/;
/** How far in the future `recordedAt` may lie (clock skew between the PBX and Sigilo). */
const FUTURE_SKEW_MS = 5 * 60_000;

export interface RecordingServiceDeps {
  gate: Gate;
  blobs: BlobStore;
  /** Largest accepted recording in bytes (SIGILO_RECORDING_MAX_BYTES). */
  maxBytes: number;
  now: () => Date;
  /** Plaintext chunk size; only tests change it. */
  chunkSize?: number;
  /** The outbox that removes blobs once their deletion commits (one per app: the retention targets share it). */
  deletions?: BlobDeletions;
}

export interface RecordingUpload {
  /** Media type, such as `audio/wav` or `audio/mpeg` (parameters are dropped). */
  contentType: string;
  /** When the call was recorded (ISO-8601); default now. Retention counts from it. */
  recordedAt?: string;
  source?: Source;
  /** The length the client announced (Content-Length), refused at once when over the limit. */
  declaredBytes?: number;
}

/** A stored recording, with the SHA-256 of the bytes received so the uploader can compare (it is not stored). */
export interface StoredRecording extends RecordingView {
  sha256: string;
}

/** Uploads, downloads, lists and deletes the recordings of support tickets. */
export class RecordingService {
  /** Removes the blobs of deleted recordings once the deletion commits. */
  readonly deletions: BlobDeletions;

  constructor(private readonly deps: RecordingServiceDeps) {
    this.deletions = deps.deletions ?? new BlobDeletions(deps.gate, deps.blobs);
  }

  /** The configured size limit in bytes. */
  get maxBytes(): number {
    return this.deps.maxBytes;
  }

  /**
   * Streams `body` into a new recording of `ticketId`. Refused before reading a byte when the caller may not
   * write recordings or the ticket does not exist; a body over the limit fails with PAYLOAD_TOO_LARGE and
   * leaves no row and no blob. `body` is read but never destroyed, so the caller can still answer.
   */
  async upload(
    ctx: AccessContext,
    ticketId: string,
    body: Readable,
    input: RecordingUpload,
  ): Promise<StoredRecording> {
    const contentType = normaliseContentType(input.contentType);
    const recordedAt = this.recordedAt(input.recordedAt);
    const source = input.source ?? 'support_contact';
    if (!SOURCES.includes(source)) {
      throw new SigiloError('VALIDATION_FAILED', `source must be one of ${SOURCES.join(', ')}`, {
        path: 'source',
      });
    }
    if (input.declaredBytes !== undefined && input.declaredBytes > this.deps.maxBytes) {
      throw tooLarge(this.deps.maxBytes);
    }
    const received = new ReceivedBytes(this.deps.maxBytes);
    const upload = await this.deps.gate.run(ctx, (s) =>
      beginRecording(
        s,
        {
          ticketId,
          contentType,
          recordedAt,
          source,
          ...(this.deps.chunkSize ? { chunkSize: this.deps.chunkSize } : {}),
        },
        () => received.readFrom(body),
      ),
    );
    try {
      const stored = await this.deps.blobs.put(upload.blobKey, upload.blob);
      const recording = await this.deps.gate.run(ctx, (s) => completeRecording(s, upload, stored.bytes));
      return { ...recording, sha256: received.sha256() };
    } catch (err) {
      await this.abandon(ctx, upload, isSigiloError(err) ? err.code : 'upload failed');
      throw err;
    }
  }

  /**
   * Authorizes and logs the read, then streams the recording out. The stream releases only authenticated
   * chunks; a tampered blob makes it fail with INTEGRITY_ERROR (also written to the access log), never end.
   */
  async download(ctx: AccessContext, id: string): Promise<{ recording: RecordingView; stream: Readable }> {
    const opened = await this.deps.gate.run(ctx, (s) => openRecording(s, id));
    const blob = await this.deps.blobs.get(opened.blobKey);
    const stream = opened.decrypt(blob, (err) =>
      this.deps.gate.run(ctx, (s) => reportRecordingFailure(s, id, err)).catch(() => undefined),
    );
    return { recording: opened.recording, stream };
  }

  /** The subject's recordings, metadata only, in the caller's session (the subject's access export). */
  async listForSubject(s: GateSession, subjectId: string): Promise<RecordingView[]> {
    return listSubjectRecordings(s, subjectId);
  }

  /** The complete recordings of a ticket, oldest first (metadata only). */
  async listForTicket(ctx: AccessContext, ticketId: string): Promise<RecordingView[]> {
    return this.deps.gate.run(ctx, (s) => listRecordings(s, ticketId));
  }

  /** Deletes a recording: its row, then, once that committed, its blob (NOT_FOUND when there is none). */
  async delete(ctx: AccessContext, id: string, reason: string | null = null): Promise<void> {
    const deleted = await this.deps.gate.run(ctx, (s) =>
      deleteRecording(s, id, reason, (key) => this.deletions.queue(s, key)),
    );
    await this.deletions.settled();
    if (!deleted) throw new SigiloError('NOT_FOUND', 'recording not found', { resource: 'recording' });
  }

  /**
   * Deletes up to `limit` recordings made before `recordedBefore`, each in its own transaction (the retention
   * sweep's unit of work); returns the ids deleted. `ctx` needs `delete` on support_recording (system role).
   */
  async deleteRecordedBefore(
    ctx: AccessContext,
    recordedBefore: Date,
    options: { limit?: number; reason?: string; keep?: (id: string) => boolean | Promise<boolean> } = {},
  ): Promise<string[]> {
    const ids = await this.deps.gate.run(ctx, (s) =>
      expiredRecordingIds(s.tx, recordedBefore.toISOString(), options.limit ?? 100),
    );
    const deleted: string[] = [];
    for (const id of ids) {
      if (options.keep && (await options.keep(id))) continue;
      const ok = await this.deps.gate.run(ctx, (s) =>
        deleteRecording(s, id, options.reason ?? 'retention period over', (key) =>
          this.deletions.queue(s, key),
        ),
      );
      if (ok) deleted.push(id);
    }
    await this.deletions.settled();
    return deleted;
  }

  /**
   * Garbage-collects uploads still `uploading` that began before `startedBefore` (a crash or a lost client):
   * row first, then, once that committed, blob. Returns how many were discarded. `ctx` needs `delete` on support_recording.
   */
  async collectAbandoned(ctx: AccessContext, startedBefore: Date, limit = 100): Promise<number> {
    const ids = await this.deps.gate.run(ctx, (s) =>
      abandonedUploadIds(s.tx, startedBefore.toISOString(), limit),
    );
    let n = 0;
    for (const id of ids) {
      const ok = await this.deps.gate.run(ctx, (s) =>
        discardUpload(s, id, 'abandoned upload', 'delete', (key) => this.deletions.queue(s, key)),
      );
      if (ok) n += 1;
    }
    await this.deletions.settled();
    return n;
  }

  /** Best effort: a leftover is collected later by `collectAbandoned`. */
  private async abandon(ctx: AccessContext, upload: SealedUpload, reason: string): Promise<void> {
    await this.deps.gate
      .run(ctx, (s) => discardUpload(s, upload.id, reason, 'write', (key) => this.deletions.queue(s, key)))
      .catch(() => undefined);
    await this.deletions.settled();
  }

  private recordedAt(value: string | undefined): string {
    const now = this.deps.now();
    if (value === undefined) return now.toISOString();
    const t = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t)) {
      throw new SigiloError('VALIDATION_FAILED', 'recordedAt must be an ISO-8601 timestamp', {
        path: 'recordedAt',
      });
    }
    if (t > now.getTime() + FUTURE_SKEW_MS) {
      throw new SigiloError('VALIDATION_FAILED', 'recordedAt must not be in the future', {
        path: 'recordedAt',
      });
    }
    return new Date(t).toISOString();
  }
}

/** Lower-cases a media type and drops its parameters; VALIDATION_FAILED unless it is audio or octet-stream. */
export function normaliseContentType(value: string): string {
  const type = value.split(';')[0]!.trim().toLowerCase();
  if (!RECORDING_CONTENT_TYPE.test(type)) {
    throw new SigiloError('VALIDATION_FAILED', 'a recording must be audio/* or application/octet-stream', {
      path: 'contentType',
    });
  }
  return type;
}

function tooLarge(limit: number): SigiloError {
  return new SigiloError('PAYLOAD_TOO_LARGE', 'the recording is larger than the configured limit', {
    limitBytes: limit,
  });
}

/** Counts and hashes the plaintext as it arrives and fails the stream once it passes the limit. */
class ReceivedBytes extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');
  private digest: string | null = null;

  constructor(private readonly limit: number) {
    super();
  }

  /**
   * Pipes `body` in without ever destroying it: a request body destroyed mid-way takes the socket with it,
   * and then the client never hears why. Errors and early ends of `body` still fail this stream.
   */
  readFrom(body: Readable): Readable {
    body.pipe(this);
    finished(body, { writable: false }, (err) => {
      if (err) this.destroy(err);
    });
    this.once('error', () => body.unpipe(this));
    this.once('close', () => body.unpipe(this));
    return this;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return cb(tooLarge(this.limit));
    this.hash.update(chunk);
    cb(null, chunk);
  }

  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}
