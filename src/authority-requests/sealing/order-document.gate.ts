/**
 * The court-order document of an authority request, sealed like a recording (issue 16): chunked AES-256-GCM
 * (sealed-recording.cipher.ts) under the request's own subject key, every chunk bound to the request id, its
 * subject, the key version and the document's SHA-256 as the row states it, so a blob swapped for another request's,
 * replaced, cut or edited, or a row whose stated hash was edited, fails to open: INTEGRITY_ERROR naming the
 * request, logged. The blob lives in the recordings blob store under a random key; the database keeps the key, the
 * size and the hash. Shredding the request's subject makes the blob unreadable even before it is deleted.
 */
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { isSigiloError, SigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf, type GateKernel } from '../../gate/gate-kernel.ts';
import {
  RecordingOpener,
  RecordingSealer,
  RECORDING_HEADER_BYTES,
  type RecordingBinding,
} from '../../recordings/sealing/sealed-recording.cipher.ts';
import { AUTHORITY_REQUEST_CATEGORY } from './authority-requests.gate.ts';

/** A sealed order document, ready for the blob store. */
export interface SealedOrderDocument {
  blobKey: string;
  blob: Buffer;
}

function binding(requestId: string, subjectId: string, dekVersion: number, sha256: string): RecordingBinding {
  return { recordingId: `authority-order/${requestId}/${sha256}`, subjectId, dekVersion };
}

/** Runs a Transform over one buffer and gathers its output (documents are at most 5 MiB). */
function through(t: RecordingSealer | RecordingOpener, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    t.on('data', (c: Buffer) => out.push(c));
    t.on('error', reject);
    t.on('end', () => resolve(Buffer.concat(out)));
    t.end(input);
  });
}

/**
 * Seals request `requestId`'s order document under its subject's current key (authorized as a write of the
 * request; the row's insert logs it). `sha256` is the document's hex SHA-256, stored in the row and bound here.
 */
export async function sealOrderDocument(
  session: GateSession,
  requestId: string,
  subjectId: string,
  sha256: string,
  document: Buffer,
): Promise<SealedOrderDocument> {
  const k = kernelOf(session);
  k.authorize([AUTHORITY_REQUEST_CATEGORY], 'write', subjectId, 'insert');
  const dek = await k.currentDataKey(subjectId);
  const blob = await through(
    new RecordingSealer(dek.key, binding(requestId, subjectId, dek.version, sha256)),
    document,
  );
  // Random, so the blob store's listing says nothing about the request or the authority.
  return { blobKey: randomUUID(), blob };
}

/** What the row says of its document. */
export interface StoredOrderDocument {
  requestId: string;
  subjectId: string;
  sha256: string;
  size: number;
}

function tampered(k: GateKernel, d: StoredOrderDocument, reason: string): never {
  k.fail('read', d.subjectId, [AUTHORITY_REQUEST_CATEGORY], 'error', 'INTEGRITY_ERROR', reason, {
    table: 'authority_requests',
    rowId: d.requestId,
    column: 'document_blob_key',
  });
}

/**
 * Opens the sealed order document fetched from the blob store (authorized as a read of the request, logged).
 * Anything that does not authenticate, or opens to other bytes than the row's hash and size, is INTEGRITY_ERROR.
 */
export async function openOrderDocument(
  session: GateSession,
  d: StoredOrderDocument,
  blob: Buffer,
): Promise<Buffer> {
  const k = kernelOf(session);
  const decisions = k.authorize([AUTHORITY_REQUEST_CATEGORY], 'read', d.subjectId, 'read');
  if (blob.length < RECORDING_HEADER_BYTES) tampered(k, d, 'order document blob is cut short');
  // The header names the key version; it is authenticated with every chunk, so a wrong one fails below.
  const version = blob.readUInt32BE(5);
  let plain: Buffer;
  try {
    const dek = await k.dataKey(d.subjectId, version);
    plain = await through(
      new RecordingOpener(dek, binding(d.requestId, d.subjectId, version, d.sha256), {
        plaintextBytes: d.size,
      }),
      blob,
    );
  } catch (err) {
    if (isSigiloError(err, 'SUBJECT_SHREDDED')) throw err;
    if (err instanceof SigiloError && err.code !== 'INTEGRITY_ERROR') throw err;
    tampered(k, d, 'order document failed authentication');
  }
  if (plain.length !== d.size || createHash('sha256').update(plain).digest('hex') !== d.sha256)
    tampered(k, d, 'order document does not match its hash');
  k.allowed('read', d.subjectId, decisions, 'order document opened');
  return plain;
}
