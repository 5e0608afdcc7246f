/**
 * Streaming authenticated encryption of recordings (the STREAM construction, Hoang–Reyhanitabar–Rogaway–Vizár):
 * the plaintext is cut into fixed-size chunks, each sealed with AES-256-GCM on its own, so memory stays O(chunk)
 * however long the recording is.
 *
 * Blob layout: `header(37) | chunk_0 | … | chunk_n`, each chunk `ciphertext | tag(16)`, every chunk but the last
 * exactly `chunkSize + 16` bytes. Header: `"SGRC" | format(1) | dek version (u32 BE) | chunk size (u32 BE) |
 * salt(16) | nonce prefix(8)`.
 *  - Chunk key: HKDF-SHA-256(subject DEK, salt, recording id | subject | dek version), so every recording has its
 *    own key and the subject key's random-nonce budget is not spent on thousands of chunks.
 *  - Nonce: nonce prefix | chunk index (u32 BE); associated data: recording id, subject, dek version, chunk index,
 *    a last-chunk flag and the whole header. Altering, reordering, dropping, duplicating or truncating chunks, or
 *    moving the blob to another recording, therefore fails authentication: INTEGRITY_ERROR.
 * Only the gate imports this file (lint: gate/sealed-*); it never decides who may read, only how.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { aesGcmDecrypt, aesGcmEncrypt, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from '../../crypto/aead.ts';
import { hkdfSha256 } from '../../crypto/hkdf.ts';
import { randomBytes } from '../../crypto/random.ts';
import { SigiloError } from '../../errors.ts';

const MAGIC = Buffer.from('SGRC', 'ascii');
const FORMAT_V1 = 1;
const SALT_BYTES = 16;
const PREFIX_BYTES = 8;
/** Size of the blob header in bytes. */
export const RECORDING_HEADER_BYTES = MAGIC.length + 1 + 4 + 4 + SALT_BYTES + PREFIX_BYTES;
/** Default plaintext chunk size: 64 KiB. */
export const RECORDING_CHUNK_BYTES = 64 * 1024;
// A header is read before it is authenticated, so its chunk size must not make the reader buffer without bound.
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_CHUNKS = 2 ** 32;

/** What every chunk of one recording is bound to. */
export interface RecordingBinding {
  recordingId: string;
  subjectId: string;
  dekVersion: number;
}

/** Counters known once a stream has finished. */
export interface RecordingStreamStats {
  plaintextBytes: number;
  chunkCount: number;
}

function integrityError(reason: string): SigiloError {
  return new SigiloError('INTEGRITY_ERROR', `recording failed authentication: ${reason}`);
}

function chunkKey(dek: Buffer, salt: Buffer, b: RecordingBinding): Buffer {
  return hkdfSha256(
    dek,
    salt,
    `sigilo/recording/v1|${b.recordingId}|${b.subjectId}|${b.dekVersion}`,
    KEY_BYTES,
  );
}

function chunkNonce(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_BYTES);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, PREFIX_BYTES);
  return nonce;
}

function chunkAad(b: RecordingBinding, header: Buffer, index: number, final: boolean): Buffer {
  const label = `sigilo/recording-chunk/v1|${b.recordingId}|${b.subjectId}|${b.dekVersion}|${index}|${final ? 1 : 0}|`;
  return Buffer.concat([Buffer.from(label, 'utf8'), header]);
}

/** A Transform from plaintext to the sealed blob format; `stats` is complete after `end`. */
export class RecordingSealer extends Transform {
  readonly stats: RecordingStreamStats = { plaintextBytes: 0, chunkCount: 0 };
  private readonly header: Buffer;
  private readonly key: Buffer;
  private readonly prefix: Buffer;
  private readonly chunk: Buffer;
  private filled = 0;
  private headerSent = false;

  constructor(
    dek: Buffer,
    private readonly binding: RecordingBinding,
    private readonly chunkSize: number = RECORDING_CHUNK_BYTES,
  ) {
    super();
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_BYTES) {
      throw new RangeError(`recording chunk size must be 1..${MAX_CHUNK_BYTES} bytes`);
    }
    const salt = randomBytes(SALT_BYTES);
    this.prefix = randomBytes(PREFIX_BYTES);
    this.header = Buffer.concat([MAGIC, Buffer.alloc(9), salt, this.prefix]);
    this.header.writeUInt8(FORMAT_V1, 4);
    this.header.writeUInt32BE(binding.dekVersion, 5);
    this.header.writeUInt32BE(chunkSize, 9);
    this.key = chunkKey(dek, salt, binding);
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.sendHeader();
      let offset = 0;
      while (offset < data.length) {
        // A full chunk is sealed only once a further byte proves it is not the last one.
        if (this.filled === this.chunkSize) this.sealChunk(false);
        const n = data.copy(this.chunk, this.filled, offset);
        this.filled += n;
        offset += n;
      }
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.sendHeader();
      // Always exactly one final chunk: empty for an empty recording, full for an exact multiple of the size.
      this.sealChunk(true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(this.header);
  }

  private sealChunk(final: boolean): void {
    const index = this.stats.chunkCount;
    if (index >= MAX_CHUNKS) throw new RangeError('recording has too many chunks');
    const plaintext = this.chunk.subarray(0, this.filled);
    const { ciphertext, tag } = aesGcmEncrypt(
      this.key,
      chunkNonce(this.prefix, index),
      plaintext,
      chunkAad(this.binding, this.header, index, final),
    );
    this.stats.chunkCount += 1;
    this.stats.plaintextBytes += this.filled;
    this.filled = 0;
    // The chunk buffer is reused: the ciphertext is a fresh buffer, so pushing it is safe.
    this.push(Buffer.concat([ciphertext, tag], plaintext.length + TAG_BYTES));
  }
}

/** What the reader checks besides the tags (from the database row); absent fields are not checked. */
export interface RecordingExpectations {
  chunkSize?: number;
  plaintextBytes?: number;
  chunkCount?: number;
}

/**
 * A Transform from the sealed blob format to plaintext. Only authenticated chunks are released; a blob that is
 * cut short, reordered, extended or altered ends the stream with INTEGRITY_ERROR instead of a normal end.
 */
export class RecordingOpener extends Transform {
  readonly stats: RecordingStreamStats = { plaintextBytes: 0, chunkCount: 0 };
  private readonly header = Buffer.allocUnsafe(RECORDING_HEADER_BYTES);
  private headerFilled = 0;
  private key: Buffer | null = null;
  private prefix: Buffer | null = null;
  private segment: Buffer | null = null;
  private filled = 0;

  constructor(
    private readonly dek: Buffer,
    private readonly binding: RecordingBinding,
    private readonly expect: RecordingExpectations = {},
  ) {
    super();
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      let offset = 0;
      if (!this.segment) {
        const n = data.copy(this.header, this.headerFilled, offset);
        this.headerFilled += n;
        offset += n;
        if (this.headerFilled < RECORDING_HEADER_BYTES) return cb();
        this.readHeader();
      }
      const segment = this.segment!;
      while (offset < data.length) {
        // A full segment is opened as non-final only once a further byte proves more follows.
        if (this.filled === segment.length) this.openChunk(false);
        const n = data.copy(segment, this.filled, offset);
        this.filled += n;
        offset += n;
      }
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.segment) throw integrityError('header is incomplete');
      this.openChunk(true);
      const { plaintextBytes, chunkCount } = this.expect;
      if (plaintextBytes !== undefined && plaintextBytes !== this.stats.plaintextBytes) {
        throw integrityError('length differs from the recorded length');
      }
      if (chunkCount !== undefined && chunkCount !== this.stats.chunkCount) {
        throw integrityError('chunk count differs from the recorded count');
      }
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private readHeader(): void {
    const h = this.header;
    if (!h.subarray(0, MAGIC.length).equals(MAGIC) || h.readUInt8(4) !== FORMAT_V1) {
      throw integrityError('unknown blob format');
    }
    if (h.readUInt32BE(5) !== this.binding.dekVersion) throw integrityError('key version differs');
    const chunkSize = h.readUInt32BE(9);
    if (chunkSize < 1 || chunkSize > MAX_CHUNK_BYTES) throw integrityError('chunk size out of range');
    if (this.expect.chunkSize !== undefined && chunkSize !== this.expect.chunkSize) {
      throw integrityError('chunk size differs from the recorded size');
    }
    const salt = h.subarray(9 + 4, 9 + 4 + SALT_BYTES);
    this.prefix = Buffer.from(h.subarray(9 + 4 + SALT_BYTES));
    this.key = chunkKey(this.dek, salt, this.binding);
    this.segment = Buffer.allocUnsafe(chunkSize + TAG_BYTES);
  }

  private openChunk(final: boolean): void {
    const segment = this.segment!;
    if (this.filled < TAG_BYTES) throw integrityError('chunk is truncated');
    const index = this.stats.chunkCount;
    if (index >= MAX_CHUNKS) throw integrityError('too many chunks');
    const body = this.filled - TAG_BYTES;
    const plaintext = aesGcmDecrypt(
      this.key!,
      chunkNonce(this.prefix!, index),
      segment.subarray(0, body),
      segment.subarray(body, this.filled),
      chunkAad(this.binding, this.header, index, final),
    );
    this.stats.chunkCount += 1;
    this.stats.plaintextBytes += plaintext.length;
    this.filled = 0;
    // Decipher output is a fresh buffer, so reusing the segment buffer afterwards is safe.
    if (plaintext.length > 0) this.push(plaintext);
  }
}
