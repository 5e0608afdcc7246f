import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { FilesystemBlobStore } from './filesystem.blob-store.ts';

describe('file-system blob store', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-blobs-'));
    dir = path.join(root, 'recordings');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const files = () =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);

  it('stores, reads, checks and deletes a blob', async () => {
    const store = FilesystemBlobStore.open(dir);
    const key = randomUUID();
    const data = randomBytes(300_000);
    expect(await store.put(key, Readable.from([data.subarray(0, 1), data.subarray(1)]))).toEqual({
      bytes: data.length,
    });
    expect((await buffer(await store.get(key))).equals(data)).toBe(true);
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    const err = await store.get(key).catch((e: unknown) => e);
    expect(isSigiloError(err, 'NOT_FOUND')).toBe(true);
  });

  it('leaves nothing under any name when the body fails half-way', async () => {
    const store = FilesystemBlobStore.open(dir);
    const key = randomUUID();
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent > 200_000) return void this.destroy(new Error('client went away'));
        sent += 65_536;
        this.push(randomBytes(65_536));
      },
    });
    await expect(store.put(key, failing)).rejects.toThrow('client went away');
    expect(await store.exists(key)).toBe(false);
    expect(files()).toEqual([]);
  });

  it('tightens a loose directory to 0700 and removes temporary files left by a crash', async () => {
    fs.mkdirSync(path.join(dir, 'ab'), { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    const stale = path.join(dir, 'ab', '.tmp-abcdefgh-1');
    const fresh = path.join(dir, 'ab', '.tmp-abcdefgh-2');
    fs.writeFileSync(stale, 'x');
    fs.writeFileSync(fresh, 'x');
    const old = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(stale, old, old);
    FilesystemBlobStore.open(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(stale)).toBe(false);
    // A young one may be an upload in progress in another process.
    expect(fs.existsSync(fresh)).toBe(true);
  });

  it('refuses keys that could name a path outside the store', async () => {
    const store = FilesystemBlobStore.open(dir);
    for (const key of ['../../etc/passwd', 'a/b/cdefghij', '.tmp-abcdefgh', 'short']) {
      await expect(store.exists(key)).rejects.toThrow('malformed blob key');
    }
  });
});
