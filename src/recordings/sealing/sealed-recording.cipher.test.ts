import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../../errors.ts';
import {
  RECORDING_CHUNK_BYTES,
  RECORDING_HEADER_BYTES,
  RecordingOpener,
  RecordingSealer,
  type RecordingBinding,
  type RecordingExpectations,
} from './sealed-recording.cipher.ts';

const DEK = randomBytes(32);
const BINDING: RecordingBinding = { recordingId: 'rec-1', subjectId: 'subject-1', dekVersion: 1 };
const TAG = 16;

/** Feeds `plaintext` in pieces of `piece` bytes, so chunk boundaries never line up with writes. */
function source(plaintext: Buffer, piece = 7_919): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < plaintext.length; i += piece) pieces.push(plaintext.subarray(i, i + piece));
  return Readable.from(pieces);
}

async function seal(plaintext: Buffer, chunkSize?: number, binding = BINDING): Promise<Buffer> {
  const sealer = new RecordingSealer(DEK, binding, chunkSize);
  const out: Buffer[] = [];
  sealer.on('data', (c: Buffer) => out.push(c));
  await pipeline(source(plaintext), sealer);
  return Buffer.concat(out);
}

async function open(
  blob: Buffer,
  binding = BINDING,
  expect: RecordingExpectations = {},
  dek = DEK,
): Promise<Buffer> {
  return buffer(source(blob, 5_003).pipe(new RecordingOpener(dek, binding, expect)));
}

/** The chunks of a blob sealed with `chunkSize`, header first. */
function split(blob: Buffer, chunkSize: number): { header: Buffer; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  for (let i = RECORDING_HEADER_BYTES; i < blob.length; i += chunkSize + TAG) {
    chunks.push(blob.subarray(i, i + chunkSize + TAG));
  }
  return { header: blob.subarray(0, RECORDING_HEADER_BYTES), chunks };
}

async function expectIntegrityError(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isSigiloError(err, 'INTEGRITY_ERROR')).toBe(true);
}

describe('recording stream cipher', () => {
  it.each([0, 1, 63, 64, 65, 128, 1_000])('round-trips %i bytes with 64-byte chunks', async (n) => {
    const plaintext = randomBytes(n);
    const blob = await seal(plaintext, 64);
    expect(blob.length).toBe(RECORDING_HEADER_BYTES + n + TAG * Math.max(1, Math.ceil(n / 64)));
    expect((await open(blob)).equals(plaintext)).toBe(true);
  });

  it('round-trips with the default 64 KiB chunks, including an exact multiple', async () => {
    for (const n of [3 * RECORDING_CHUNK_BYTES, 3 * RECORDING_CHUNK_BYTES + 5]) {
      const plaintext = randomBytes(n);
      const blob = await seal(plaintext);
      expect(split(blob, RECORDING_CHUNK_BYTES).chunks).toHaveLength(n % RECORDING_CHUNK_BYTES ? 4 : 3);
      expect(
        (await open(blob, BINDING, { chunkSize: RECORDING_CHUNK_BYTES, plaintextBytes: n })).equals(
          plaintext,
        ),
      ).toBe(true);
    }
  });

  it('never reuses a nonce prefix or key: the same plaintext seals differently each time', async () => {
    const plaintext = Buffer.alloc(200, 7);
    const [a, b] = [await seal(plaintext, 64), await seal(plaintext, 64)];
    expect(a.subarray(RECORDING_HEADER_BYTES).equals(b.subarray(RECORDING_HEADER_BYTES))).toBe(false);
  });

  describe('refuses every tampering with INTEGRITY_ERROR', () => {
    const plaintext = randomBytes(64 * 4 + 20); // four full chunks and a short final one
    const sealed = seal(plaintext, 64);

    it('an altered byte in any chunk or in the header', async () => {
      const blob = await sealed;
      for (const at of [
        0,
        5,
        10,
        20,
        RECORDING_HEADER_BYTES,
        RECORDING_HEADER_BYTES + 100,
        blob.length - 1,
      ]) {
        const bad = Buffer.from(blob);
        bad[at]! ^= 0x01;
        await expectIntegrityError(open(bad));
      }
    });

    it('two chunks swapped', async () => {
      const { header, chunks } = split(await sealed, 64);
      await expectIntegrityError(open(Buffer.concat([header, chunks[1]!, chunks[0]!, ...chunks.slice(2)])));
    });

    it('the last chunk truncated, or the blob cut anywhere', async () => {
      const blob = await sealed;
      for (const cut of [1, TAG, TAG + 1, 20 + TAG, 64])
        await expectIntegrityError(open(blob.subarray(0, blob.length - cut)));
      await expectIntegrityError(open(blob.subarray(0, RECORDING_HEADER_BYTES)));
      await expectIntegrityError(open(blob.subarray(0, 10)));
      await expectIntegrityError(open(Buffer.alloc(0)));
    });

    it('the final chunk dropped, also when the recording is an exact multiple of the chunk size', async () => {
      const { header, chunks } = split(await sealed, 64);
      await expectIntegrityError(open(Buffer.concat([header, ...chunks.slice(0, -1)])));
      const exact = split(await seal(randomBytes(64 * 3), 64), 64);
      expect(exact.chunks).toHaveLength(3);
      await expectIntegrityError(open(Buffer.concat([exact.header, ...exact.chunks.slice(0, -1)])));
    });

    it('a duplicate chunk appended or inserted', async () => {
      const { header, chunks } = split(await sealed, 64);
      await expectIntegrityError(open(Buffer.concat([header, ...chunks, chunks.at(-1)!])));
      await expectIntegrityError(open(Buffer.concat([header, chunks[0]!, ...chunks])));
    });

    it('chunks moved to another recording, subject or key version, or opened with another key', async () => {
      const blob = await sealed;
      await expectIntegrityError(open(blob, { ...BINDING, recordingId: 'rec-2' }));
      await expectIntegrityError(open(blob, { ...BINDING, subjectId: 'subject-2' }));
      await expectIntegrityError(open(blob, { ...BINDING, dekVersion: 2 }));
      await expectIntegrityError(open(blob, BINDING, {}, randomBytes(32)));
      // Splicing the header of another recording of the same subject onto these chunks.
      const other = await seal(plaintext, 64);
      await expectIntegrityError(
        open(
          Buffer.concat([other.subarray(0, RECORDING_HEADER_BYTES), blob.subarray(RECORDING_HEADER_BYTES)]),
        ),
      );
    });

    it('a length or chunk count that differs from the database row', async () => {
      const blob = await sealed;
      await expectIntegrityError(open(blob, BINDING, { plaintextBytes: plaintext.length - 1 }));
      await expectIntegrityError(open(blob, BINDING, { chunkCount: 4 }));
      await expectIntegrityError(open(blob, BINDING, { chunkSize: RECORDING_CHUNK_BYTES }));
    });
  });

  it('releases the authenticated prefix, then errors instead of ending when the tail is missing', async () => {
    const plaintext = randomBytes(64 * 3);
    const blob = await seal(plaintext, 64);
    const opener = new RecordingOpener(DEK, BINDING);
    const received: Buffer[] = [];
    opener.on('data', (c: Buffer) => received.push(c));
    const ended = new Promise((resolve, reject) => {
      opener.on('end', resolve);
      opener.on('error', reject);
    });
    source(blob.subarray(0, blob.length - (64 + TAG)), 5_003).pipe(opener);
    await expectIntegrityError(ended);
    expect(Buffer.concat(received).equals(plaintext.subarray(0, 64))).toBe(true);
  });
});
