/**
 * Gate extension for support-call recordings (category `support_recording`). The audio never passes through the
 * database: it is sealed on the fly into a blob (sealed-recording.cipher.ts, 64 KiB chunks) that the caller hands to
 * a blob store, and opened on the fly on the way out. Every change to the `recordings` table happens here (the
 * read-only sweep queries are in recording.repository.ts); every function authorizes before a byte is stored or
 * released and logs in the session's transaction.
 *
 * Uploads and downloads outlive the transaction that authorized them (holding a transaction open for a 500 MB
 * upload would stall SQLite's single writer), so each function returns a stream bound to the key it fetched.
 * Upload: `beginRecording` (authorize, row `uploading`) → store the blob → `completeRecording` (authorize again,
 * row `complete`, logged `insert`). A row left `uploading` is discarded by `discardUpload`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import { SigiloError, isSigiloError } from '../../errors.ts';
import type { Operation } from '../../policy/policy.evaluate.ts';
import type { RecordingRow } from '../../store/tables/recording.table.ts';
import { kernelOf, type CategoryDecision, type GateKernel } from '../../gate/gate-kernel.ts';
import type { GateSession } from '../../gate/gate.ts';
import { RecordingMac } from './recording-mac.ts';
import {
  RECORDING_CHUNK_BYTES,
  RecordingOpener,
  RecordingSealer,
  type RecordingBinding,
  type RecordingExpectations,
} from './sealed-recording.cipher.ts';

/** The policy category of recordings. */
export const RECORDING_CATEGORY = 'support_recording';
const CATEGORIES = [RECORDING_CATEGORY];

/** What a caller says about a new recording; the subject and account come from the ticket. */
export interface NewRecording {
  ticketId: string;
  /** `audio/…` or `application/octet-stream` (checked by the service). */
  contentType: string;
  /** ISO-8601 instant the call was recorded; retention counts from it. */
  recordedAt: string;
  /** Provenance source (support_contact, network_platform, import, staff). */
  source: string;
  /** Plaintext chunk size; tests use small ones, production the 64 KiB default. */
  chunkSize?: number;
}

/** A recording as services see it: never its subject, blob name or key version. */
export interface RecordingView {
  id: string;
  ticketId: string;
  accountId: string;
  status: 'uploading' | 'complete';
  contentType: string;
  sizeBytes: number | null;
  chunkCount: number | null;
  recordedAt: string;
  createdAt: string;
  completedAt: string | null;
  provenance: { source: string; collectedAt: string; legalBasis: string; policyVersion: number };
}

/** A started upload: the sealed bytes to store under `blobKey`, and what was sealed once they have ended. */
export interface SealedUpload {
  readonly id: string;
  readonly blobKey: string;
  /** Sealed blob bytes; errors if the plaintext errors. */
  readonly blob: Readable;
  /** Plaintext and sealed counters; final once `blob` has ended. */
  stats(): {
    ended: boolean;
    plaintextBytes: number;
    chunkCount: number;
    blobBytes: number;
    blobSha256: Buffer;
  };
}

/** An authorized download: the blob to fetch and the function that opens it. */
export interface OpenedRecording {
  recording: RecordingView;
  blobKey: string;
  /**
   * Plaintext of `blob`, released chunk by chunk once authenticated; a tampered blob ends in INTEGRITY_ERROR, after
   * `onIntegrityError` (if given) has run, so the failure can be logged before the caller sees it.
   */
  decrypt(blob: Readable, onIntegrityError?: (err: SigiloError) => Promise<void>): Readable;
}

/** Uploads begun by the gate, with the subject they were authorized for (completion re-checks it). */
const uploads = new WeakMap<SealedUpload, { subjectId: string }>();

/**
 * Authorizes writing a recording of the ticket's subject, records it as `uploading` and returns the stream that
 * seals the plaintext. `plaintext` is called only once authorized, so a refused upload never reads a byte.
 * Nothing is logged as stored until `completeRecording`.
 */
export async function beginRecording(
  session: GateSession,
  spec: NewRecording,
  plaintext: () => Readable,
): Promise<SealedUpload> {
  const k = kernelOf(session);
  const ticket = await k.tx
    .selectFrom('tickets')
    .select(['subject_id', 'account_id'])
    .where('id', '=', spec.ticketId)
    .executeTakeFirst();
  // Authorize before saying whether the ticket exists, so a refused caller learns nothing.
  const decisions = k.authorize(CATEGORIES, 'write', ticket?.subject_id ?? null, 'insert');
  if (!ticket) throw new SigiloError('NOT_FOUND', 'ticket not found', { resource: 'ticket' });
  const subjectId = ticket.subject_id;
  const dek = await withKeyFailures(k, 'insert', subjectId, () => k.currentDataKey(subjectId));
  const id = uuidv7();
  // Random, so the blob store's listing says nothing about the call, the ticket or the customer.
  const blobKey = randomUUID();
  const now = k.now().toISOString();
  const chunkSize = spec.chunkSize ?? RECORDING_CHUNK_BYTES;
  const mac = await RecordingMac.of(k.keyring);
  const row: Omit<RecordingRow, 'row_mac'> = {
    id,
    ticket_id: spec.ticketId,
    account_id: ticket.account_id,
    subject_id: subjectId,
    blob_key: blobKey,
    status: 'uploading',
    key_version: dek.version,
    content_type: spec.contentType,
    chunk_size: chunkSize,
    chunk_count: null,
    size_bytes: null,
    blob_bytes: null,
    blob_sha256: null,
    recorded_at: spec.recordedAt,
    source: spec.source,
    collected_at: now,
    legal_basis: legalBasisOf(decisions),
    policy_version: k.policy.version,
    created_at: now,
    completed_at: null,
  };
  await k.tx
    .insertInto('recordings')
    .values({ ...row, row_mac: mac.seal(row) })
    .execute();

  const sealer = new RecordingSealer(
    dek.key,
    { recordingId: id, subjectId, dekVersion: dek.version },
    chunkSize,
  );
  const hasher = new BlobHasher();
  let ended = false;
  hasher.once('end', () => (ended = true));
  const blob = pipeline(plaintext(), sealer, hasher, () => undefined);
  const upload: SealedUpload = {
    id,
    blobKey,
    blob,
    stats: () => ({
      ended,
      plaintextBytes: sealer.stats.plaintextBytes,
      chunkCount: sealer.stats.chunkCount,
      blobBytes: hasher.bytes,
      // The digest is final only once every sealed byte went through.
      blobSha256: ended ? hasher.digest() : Buffer.alloc(0),
    }),
  };
  uploads.set(upload, { subjectId });
  return upload;
}

/**
 * Marks a fully stored upload `complete` (authorized again under the policy in force) and logs the insert.
 * `storedBytes` is what the blob store reports having written; it must match what was sealed.
 */
export async function completeRecording(
  session: GateSession,
  upload: SealedUpload,
  storedBytes: number,
): Promise<RecordingView> {
  const k = kernelOf(session);
  const known = uploads.get(upload);
  if (!known) throw new Error('not an upload begun by the gate');
  const decisions = k.authorize(CATEGORIES, 'write', known.subjectId, 'insert');
  const s = upload.stats();
  if (!s.ended) throw new Error('the sealed stream has not ended');
  if (storedBytes !== s.blobBytes) {
    throw new SigiloError('INTEGRITY_ERROR', 'the blob store wrote a different length than was sealed');
  }
  const mac = await RecordingMac.of(k.keyring);
  const current = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('id', '=', upload.id)
    .where('status', '=', 'uploading')
    .executeTakeFirst();
  if (current) await checkRow(k, mac, 'insert', current);
  const changes = {
    status: 'complete' as const,
    size_bytes: s.plaintextBytes,
    chunk_count: s.chunkCount,
    blob_bytes: s.blobBytes,
    blob_sha256: s.blobSha256,
    completed_at: k.now().toISOString(),
  };
  const updated = current
    ? await k.tx
        .updateTable('recordings')
        .set({ ...changes, row_mac: mac.seal({ ...current, ...changes }) })
        .where('id', '=', upload.id)
        .where('status', '=', 'uploading')
        .executeTakeFirst()
    : { numUpdatedRows: 0n };
  // Gone means a collector judged the upload abandoned and discarded it meanwhile.
  if (Number(updated.numUpdatedRows) !== 1) {
    throw new SigiloError('CONFLICT', 'the upload was discarded before it completed', {
      resource: 'recording',
    });
  }
  k.allowed('insert', known.subjectId, decisions, 'recording stored');
  return view(await rowOf(k, upload.id));
}

/**
 * Discards an unfinished upload: the row goes and `queueBlob` queues its blob for removal once this transaction
 * commits. `operation` is `write` for the uploader abandoning its own upload, `delete` for a collector.
 * Returns false when there is no unfinished upload with that id.
 */
export async function discardUpload(
  session: GateSession,
  id: string,
  reason: string,
  operation: Extract<Operation, 'write' | 'delete'>,
  queueBlob: (blobKey: string) => Promise<void>,
): Promise<boolean> {
  const k = kernelOf(session);
  const row = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('id', '=', id)
    .where('status', '=', 'uploading')
    .executeTakeFirst();
  const decisions = k.authorize(CATEGORIES, operation, row?.subject_id ?? null, 'discard');
  if (!row) return false;
  await checkRow(k, await RecordingMac.of(k.keyring), 'discard', row);
  await k.tx.deleteFrom('recordings').where('id', '=', id).where('status', '=', 'uploading').execute();
  await queueBlob(row.blob_key);
  k.allowed('discard', row.subject_id, decisions, reason);
  return true;
}

/** Authorizes reading one complete recording, logs it, and returns how to fetch and open its blob. */
export async function openRecording(session: GateSession, id: string): Promise<OpenedRecording> {
  const k = kernelOf(session);
  const row = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('id', '=', id)
    .where('status', '=', 'complete')
    .executeTakeFirst();
  const decisions = k.authorize(CATEGORIES, 'read', row?.subject_id ?? null, 'read');
  if (!row) throw new SigiloError('NOT_FOUND', 'recording not found', { resource: 'recording' });
  await k.assertNotBlocked([row.subject_id], CATEGORIES, 'read');
  await checkRow(k, await RecordingMac.of(k.keyring), 'read', row);
  k.authorizeCollected([collectedOf(row)], CATEGORIES, 'read');
  const key = await withKeyFailures(k, 'read', row.subject_id, () =>
    k.dataKey(row.subject_id, keyVersionOf(row.key_version)),
  );
  k.allowed('read', row.subject_id, decisions);
  const binding: RecordingBinding = {
    recordingId: row.id,
    subjectId: row.subject_id,
    dekVersion: row.key_version,
  };
  const expect: RecordingExpectations = {
    chunkSize: row.chunk_size,
    ...(row.size_bytes !== null ? { plaintextBytes: Number(row.size_bytes) } : {}),
    ...(row.chunk_count !== null ? { chunkCount: row.chunk_count } : {}),
  };
  return {
    recording: view(row),
    blobKey: row.blob_key,
    decrypt: (blob, onIntegrityError) =>
      pipeline(blob, new ReportingOpener(key, binding, expect, onIntegrityError), () => undefined),
  };
}

/** Logs an integrity failure found while streaming a recording out (the read itself was logged already). */
export async function reportRecordingFailure(
  session: GateSession,
  id: string,
  err: SigiloError,
): Promise<void> {
  const k = kernelOf(session);
  const row = await k.tx
    .selectFrom('recordings')
    .select('subject_id')
    .where('id', '=', id)
    .executeTakeFirst();
  // fail() records the entry, which Gate.run appends after rolling back; the caller swallows the rethrow.
  k.fail('read', row?.subject_id ?? null, CATEGORIES, 'error', err.code, err.message, { recordingId: id });
}

/** The complete recordings of a ticket (metadata only; logged as a `list` of the ticket's subject). */
export async function listRecordings(session: GateSession, ticketId: string): Promise<RecordingView[]> {
  const k = kernelOf(session);
  const ticket = await k.tx
    .selectFrom('tickets')
    .select('subject_id')
    .where('id', '=', ticketId)
    .executeTakeFirst();
  const decisions = k.authorize(CATEGORIES, 'read', ticket?.subject_id ?? null, 'list');
  if (!ticket) throw new SigiloError('NOT_FOUND', 'ticket not found', { resource: 'ticket' });
  await k.assertNotBlocked([ticket.subject_id], CATEGORIES, 'list');
  const rows = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .where('status', '=', 'complete')
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
  const mac = await RecordingMac.of(k.keyring);
  for (const row of rows) await checkRow(k, mac, 'list', row);
  k.authorizeCollected(rows.map(collectedOf), CATEGORIES, 'list');
  k.allowed('list', ticket.subject_id, decisions, 'recording metadata');
  return rows.map(view);
}

/**
 * The complete recordings of one subject, metadata only (when, size, type; never the audio), for the subject's
 * own access export: authorized as an `export` of the recordings category (the audio itself needs `read`), and
 * logged as one `export` of the subject when there is any.
 */
export async function listSubjectRecordings(
  session: GateSession,
  subjectId: string,
): Promise<RecordingView[]> {
  const k = kernelOf(session);
  const decisions = k.authorize(CATEGORIES, 'export', subjectId, 'export');
  await k.assertNotBlocked([subjectId], CATEGORIES, 'export');
  const rows = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .where('status', '=', 'complete')
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
  const mac = await RecordingMac.of(k.keyring);
  for (const row of rows) await checkRow(k, mac, 'export', row);
  k.authorizeCollected(rows.map(collectedOf), CATEGORIES, 'export');
  if (rows.length > 0) k.allowed('export', subjectId, decisions, 'recording metadata');
  return rows.map(view);
}

/**
 * Deletes one complete recording: authorizes `delete`, deletes the row, has `queueBlob` queue its blob for removal
 * once this transaction commits (src/recordings/blob-deletions.ts) and logs it. Returns false when there is no
 * such recording.
 */
export async function deleteRecording(
  session: GateSession,
  id: string,
  reason: string | null,
  queueBlob: (blobKey: string) => Promise<void>,
): Promise<boolean> {
  const k = kernelOf(session);
  const row = await k.tx
    .selectFrom('recordings')
    .selectAll()
    .where('id', '=', id)
    .where('status', '=', 'complete')
    .executeTakeFirst();
  const decisions = k.authorize(CATEGORIES, 'delete', row?.subject_id ?? null, 'delete');
  if (!row) return false;
  // A retention sweep picked it by its plain recording date: that date must be the one Sigilo wrote.
  await checkRow(k, await RecordingMac.of(k.keyring), 'delete', row);
  await k.tx.deleteFrom('recordings').where('id', '=', id).execute();
  await queueBlob(row.blob_key);
  k.allowed('delete', row.subject_id, decisions, reason);
  return true;
}

// ---- helpers -------------------------------------------------------------------------------------------------

/** Whether a row stored before MACs existed names its ticket's account and subject (the pre-MAC rule). */
async function agreesWithTicket(k: GateKernel, row: RecordingRow): Promise<boolean> {
  const ticket = await k.tx
    .selectFrom('tickets')
    .select(['account_id', 'subject_id'])
    .where('id', '=', row.ticket_id)
    .executeTakeFirst();
  return ticket?.account_id === row.account_id && ticket.subject_id === row.subject_id;
}

/**
 * Recordings stored before recording MACs existed (NULL `row_mac`) get their MAC once, in the start that creates
 * the row-MAC key (src/gate/row-mac-backfill.ts), when they agree with their ticket; after that a NULL MAC is an
 * INTEGRITY_ERROR and the recording date and sizes of every row are authenticated. Returns { macked, refused }.
 */
export async function backfillRecordingMacs(
  session: GateSession,
): Promise<{ macked: number; refused: number }> {
  const k = kernelOf(session);
  const mac = await RecordingMac.of(k.keyring);
  const rows = await k.tx.selectFrom('recordings').selectAll().where('row_mac', 'is', null).execute();
  let macked = 0;
  for (const row of rows) {
    if (!(await agreesWithTicket(k, row))) continue;
    await k.tx
      .updateTable('recordings')
      .set({ row_mac: mac.seal(row) })
      .where('id', '=', row.id)
      .execute();
    macked++;
  }
  return { macked, refused: rows.length - macked };
}

/**
 * INTEGRITY_ERROR (logged) naming the recording unless its row is the one Sigilo wrote: by its MAC, or — rows
 * stored before MACs existed, until the row-MAC backfill — by its ticket's account and subject.
 */
async function checkRow(k: GateKernel, mac: RecordingMac, logOp: string, row: RecordingRow): Promise<void> {
  // Once the row-MAC key exists every row has been given a MAC (backfillRecordingMacs): NULL is an edit.
  const ok =
    row.row_mac === null && !k.keyring.hasRowMacKey ? await agreesWithTicket(k, row) : mac.verify(row);
  if (!ok) {
    k.fail(
      logOp,
      row.subject_id,
      CATEGORIES,
      'error',
      'INTEGRITY_ERROR',
      'recording metadata does not match its MAC',
      {
        table: 'recordings',
        rowId: row.id,
      },
    );
  }
}

async function withKeyFailures<T>(
  k: GateKernel,
  operation: string,
  subjectId: string,
  get: () => Promise<T>,
): Promise<T> {
  try {
    return await get();
  } catch (err) {
    if (isSigiloError(err, 'SUBJECT_SHREDDED') || isSigiloError(err, 'INTEGRITY_ERROR')) {
      k.fail(operation, subjectId, CATEGORIES, 'error', err.code, err.message, { resource: 'recording' });
    }
    throw err;
  }
}

/** The row's key version, which the chunk keys are bound to; anything but a positive integer is tampering. */
function keyVersionOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SigiloError('INTEGRITY_ERROR', 'recording names an invalid data-key version');
  }
  return value;
}

async function rowOf(k: GateKernel, id: string): Promise<RecordingRow> {
  return k.tx.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The subject and policy version a recording was collected under (its MAC, checked first, binds both). */
function collectedOf(row: RecordingRow): { subjectId: string; policyVersion: number } {
  return { subjectId: row.subject_id, policyVersion: Number(row.policy_version) };
}

function legalBasisOf(decisions: Map<string, CategoryDecision>): string {
  return decisions.get(RECORDING_CATEGORY)?.legalBasis ?? 'unknown';
}

function view(row: RecordingRow): RecordingView {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    accountId: row.account_id,
    status: row.status,
    contentType: row.content_type,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    chunkCount: row.chunk_count,
    recordedAt: row.recorded_at,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    provenance: {
      source: row.source,
      collectedAt: row.collected_at,
      legalBasis: row.legal_basis,
      policyVersion: Number(row.policy_version),
    },
  };
}

/** Passes the sealed bytes through, counting and hashing them. */
class BlobHasher extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private result: Buffer | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  digest(): Buffer {
    this.result ??= this.hash.digest();
    return this.result;
  }
}

/** An opener that lets an integrity failure be logged before the stream errors. */
class ReportingOpener extends RecordingOpener {
  constructor(
    dek: Buffer,
    binding: RecordingBinding,
    expect: RecordingExpectations,
    private readonly report?: (err: SigiloError) => Promise<void>,
  ) {
    super(dek, binding, expect);
  }

  override _transform(data: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    super._transform(data, enc, this.intercept(cb));
  }

  override _flush(cb: TransformCallback): void {
    super._flush(this.intercept(cb));
  }

  private intercept(cb: TransformCallback): TransformCallback {
    return (err, data) => {
      const report = this.report;
      if (!report || !isSigiloError(err, 'INTEGRITY_ERROR')) return cb(err, data);
      report(err).then(
        () => cb(err),
        () => cb(err),
      );
    };
  }
}
