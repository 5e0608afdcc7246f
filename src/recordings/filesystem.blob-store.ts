/**
 * The embedded default blob store: one file per blob under a private directory (0700, files 0600). A blob is
 * written to a temporary name, synced, then renamed, so a reader or a crash never sees half a blob under its key.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SigiloError } from '../errors.ts';
import { assertBlobKey, type BlobStore } from './blob-store.ts';

const TEMP_PREFIX = '.tmp-';
/** Temporary files older than this are leftovers of a crash, not an upload in progress. */
const STALE_TEMP_MS = 24 * 3_600_000;

/** Blobs as files in a directory tree sharded by the key's first two characters. */
export class FilesystemBlobStore implements BlobStore {
  readonly kind = 'filesystem' as const;

  private constructor(readonly dir: string) {}

  /** Opens (creating if needed) the store at `dir`, makes it private and removes stale temporary files. */
  static open(dir: string, now: () => Date = () => new Date()): FilesystemBlobStore {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The directory is Sigilo's own: tighten it even if an operator created it with a looser umask.
    fs.chmodSync(dir, 0o700);
    const store = new FilesystemBlobStore(path.resolve(dir));
    store.removeStaleTemporaries(now().getTime() - STALE_TEMP_MS);
    return store;
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    const final = this.pathOf(key);
    const shard = path.dirname(final);
    await fsp.mkdir(shard, { recursive: true, mode: 0o700 });
    const temp = path.join(shard, `${TEMP_PREFIX}${key}-${randomUUID()}`);
    const file = await fsp.open(temp, 'wx', 0o600);
    let bytes = 0;
    try {
      // for-await applies backpressure and destroys `body` if a write fails, which stops the upload upstream.
      for await (const chunk of body as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await file.write(chunk, offset);
          offset += bytesWritten;
        }
        bytes += chunk.length;
      }
      await file.sync();
      await file.close();
      await fsp.rename(temp, final);
    } catch (err) {
      await file.close().catch(() => undefined);
      await fsp.rm(temp, { force: true });
      throw err;
    }
    await syncDirectory(shard);
    return { bytes };
  }

  async get(key: string): Promise<Readable> {
    try {
      const file = await fsp.open(this.pathOf(key), 'r');
      return file.createReadStream({ highWaterMark: 64 * 1024 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SigiloError('NOT_FOUND', 'recording blob not found', { resource: 'recording' });
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return fsp.access(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  private pathOf(key: string): string {
    assertBlobKey(key);
    return path.join(this.dir, key.slice(0, 2).toLowerCase(), key);
  }

  private removeStaleTemporaries(before: number): void {
    for (const shard of fs.readdirSync(this.dir, { withFileTypes: true })) {
      if (!shard.isDirectory()) continue;
      const dir = path.join(this.dir, shard.name);
      for (const name of fs.readdirSync(dir)) {
        if (!name.startsWith(TEMP_PREFIX)) continue;
        const file = path.join(dir, name);
        if (fs.statSync(file).mtimeMs < before) fs.rmSync(file, { force: true });
      }
    }
  }
}

/** Makes a rename durable: without it a crash can forget the new directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
