import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { KEY_FILE_FORMAT, LocalKeyFileProvider } from './local-key-file.provider.ts';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sigilo-keys-'));
  file = path.join(dir, 'keys', 'master.key');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isSigiloError(err) ? err.code : `not a SigiloError: ${String(err)}`;
  }
  return 'no error';
}

interface KeyFileJson {
  format: string;
  current: number;
  keys: { version: number; key: string; createdAt: string }[];
}
const readJson = async (): Promise<KeyFileJson> => JSON.parse(await readFile(file, 'utf8')) as KeyFileJson;

describe('LocalKeyFileProvider', () => {
  it('creates a 0600 file in a 0700 directory holding version 1', async () => {
    const p = await LocalKeyFileProvider.create(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const json = await readJson();
    expect(json.format).toBe(KEY_FILE_FORMAT);
    expect(json.current).toBe(1);
    expect(json.keys).toHaveLength(1);
    expect(Buffer.from(json.keys[0]!.key, 'base64')).toHaveLength(32);
    expect(p.kind).toBe('local-file');
    expect(p.currentVersion()).toBe(1);
    expect(p.getKek(1).toString('base64')).toBe(json.keys[0]!.key);
  });

  it('reopens the same key', async () => {
    const created = await LocalKeyFileProvider.create(file);
    const opened = await LocalKeyFileProvider.open(file);
    expect(opened.getKek(1).equals(created.getKek(1))).toBe(true);
    expect(opened.versions()).toEqual([1]);
  });

  it('refuses to overwrite an existing key file', async () => {
    const first = await LocalKeyFileProvider.create(file);
    expect(await codeOf(LocalKeyFileProvider.create(file))).toBe('CONFLICT');
    expect((await LocalKeyFileProvider.open(file)).getKek(1).equals(first.getKek(1))).toBe(true);
  });

  it('refuses a file readable by group or others, telling the operator to chmod 600', async () => {
    await LocalKeyFileProvider.create(file);
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(file, mode);
      try {
        await LocalKeyFileProvider.open(file);
        expect.unreachable();
      } catch (err) {
        expect(isSigiloError(err, 'KEY_FILE_INSECURE'), mode.toString(8)).toBe(true);
        expect((err as Error).message).toContain('chmod 600');
      }
    }
    await chmod(file, 0o400); // read-only for the owner is fine
    await expect(LocalKeyFileProvider.open(file)).resolves.toBeInstanceOf(LocalKeyFileProvider);
  });

  it('reports a missing file as KEY_FILE_MISSING', async () => {
    expect(await codeOf(LocalKeyFileProvider.open(file))).toBe('KEY_FILE_MISSING');
  });

  it('reports unreadable content as KEY_FILE_INVALID without quoting it', async () => {
    await LocalKeyFileProvider.create(file);
    const good = await readJson();
    const secret = good.keys[0]!.key;
    const variants: unknown[] = [
      `{"format":"${KEY_FILE_FORMAT}","keys":[{"key":"${secret}"`, // truncated JSON containing the key
      'garbage',
      { ...good, format: 'other/1' },
      { ...good, current: 2 },
      { ...good, keys: [] },
      { ...good, keys: [{ ...good.keys[0], key: secret.slice(0, 20) }] },
      { ...good, keys: [good.keys[0], good.keys[0]] },
    ];
    for (const v of variants) {
      await writeFile(file, typeof v === 'string' ? v : JSON.stringify(v), { mode: 0o600 });
      try {
        await LocalKeyFileProvider.open(file);
        expect.unreachable();
      } catch (err) {
        expect(isSigiloError(err, 'KEY_FILE_INVALID')).toBe(true);
        const shown = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).cause)}`;
        expect(shown).not.toContain(secret.slice(0, 20));
      }
    }
  });

  it('adds and retires versions, persisting each change', async () => {
    const p = await LocalKeyFileProvider.create(file);
    const v1 = p.getKek(1);
    expect(await p.addVersion()).toBe(2);
    expect(p.currentVersion()).toBe(2);
    expect(p.getKek(2).equals(v1)).toBe(false);

    let reopened = await LocalKeyFileProvider.open(file);
    expect(reopened.versions()).toEqual([1, 2]);
    expect(reopened.currentVersion()).toBe(2);
    expect(reopened.getKek(1).equals(v1)).toBe(true);
    expect(reopened.getKek(2).equals(p.getKek(2))).toBe(true);

    await p.retireVersion(1);
    expect(p.versions()).toEqual([2]);
    let code = 'no error';
    try {
      p.getKek(1);
    } catch (err) {
      code = isSigiloError(err) ? err.code : String(err);
    }
    expect(code).toBe('KEY_NOT_FOUND');
    reopened = await LocalKeyFileProvider.open(file);
    expect(reopened.versions()).toEqual([2]);

    // The rewrite keeps the file private and leaves no temporary files behind.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['master.key']);
  });

  it('serialises concurrent rotations and refuses to retire the current or an unknown version', async () => {
    const p = await LocalKeyFileProvider.create(file);
    expect((await Promise.all([p.addVersion(), p.addVersion(), p.addVersion()])).sort()).toEqual([2, 3, 4]);
    expect((await LocalKeyFileProvider.open(file)).versions()).toEqual([1, 2, 3, 4]);
    expect(await codeOf(p.retireVersion(4))).toBe('CONFLICT');
    expect(await codeOf(p.retireVersion(9))).toBe('KEY_NOT_FOUND');
    expect(p.versions()).toEqual([1, 2, 3, 4]);
  });

  it('sees a version added by another process when asked for it', async () => {
    const server = await LocalKeyFileProvider.create(file);
    const cli = await LocalKeyFileProvider.open(file);
    await cli.addVersion();
    expect(server.getKek(2).equals(cli.getKek(2))).toBe(true);
  });
});
