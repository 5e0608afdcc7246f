/**
 * The embedded default key provider: master keys in a local JSON file, mode 0600, created at first start.
 * Every change rewrites the file atomically (temp file, fsync, rename, fsync of the directory), so a crash
 * leaves either the old or the new file, never a torn one. No key byte ever reaches a message or a log.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { SigiloError } from '../errors.ts';
import { KEY_BYTES } from '../crypto/aead.ts';
import type { KeyProvider } from './key-provider.ts';

export const KEY_FILE_FORMAT = 'sigilo-master-key/1';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
// Another process (say `sigilo keys rotate` next to `sigilo serve`) may add a version; re-reading the file for
// an unknown version lets this one follow, at most once a second so a corrupt row cannot hammer the disk.
const RELOAD_INTERVAL_MS = 1000;

const base64Key = z.string().refine((s) => {
  const bytes = Buffer.from(s, 'base64');
  const ok = bytes.length === KEY_BYTES && bytes.toString('base64') === s;
  bytes.fill(0);
  return ok;
}, `must be base64 of ${KEY_BYTES} bytes`);

const keyFileSchema = z
  .object({
    format: z.literal(KEY_FILE_FORMAT),
    current: z.number().int().positive(),
    keys: z
      .array(z.object({ version: z.number().int().positive(), key: base64Key, createdAt: z.iso.datetime() }))
      .min(1),
  })
  .refine((f) => new Set(f.keys.map((k) => k.version)).size === f.keys.length, 'key versions must be unique')
  .refine((f) => f.keys.some((k) => k.version === f.current), 'current version must be one of the keys');

type KeyFile = z.infer<typeof keyFileSchema>;

interface KeyEntry {
  key: Buffer;
  createdAt: string;
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function assertPrivate(mode: number, file: string): void {
  // Windows has no POSIX modes to check; the file's ACL is the operator's job there.
  if (process.platform === 'win32') return;
  if ((mode & 0o077) !== 0) {
    throw new SigiloError(
      'KEY_FILE_INSECURE',
      `master key file is readable or writable by group or others; run: chmod 600 ${file}`,
      { file, mode: `0${(mode & 0o777).toString(8)}` },
    );
  }
}

function parseKeyFile(text: string, file: string): Map<number, KeyEntry> & { current: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input, which here is key material: neither message nor cause is kept.
    throw new SigiloError('KEY_FILE_INVALID', 'master key file is not valid JSON', { file });
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    // Only paths: issue messages could echo values.
    const paths = parsed.error.issues.map((i) => i.path.join('.') || '(root)');
    throw new SigiloError('KEY_FILE_INVALID', 'master key file does not match the expected format', {
      file,
      paths,
    });
  }
  const entries = new Map<number, KeyEntry>();
  for (const k of parsed.data.keys) {
    entries.set(k.version, { key: Buffer.from(k.key, 'base64'), createdAt: k.createdAt });
  }
  return Object.assign(entries, { current: parsed.data.current });
}

/** Reads and checks the key file synchronously, through one descriptor so the checked file is the read one. */
function readKeyFileSync(file: string): Map<number, KeyEntry> & { current: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (err) {
    throw openError(err, file);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new SigiloError('KEY_FILE_INVALID', 'master key path is not a regular file', { file });
    assertPrivate(stat.mode, file);
    return parseKeyFile(readFileSync(fd, 'utf8'), file);
  } finally {
    closeSync(fd);
  }
}

function openError(err: unknown, file: string): SigiloError {
  const code = errno(err);
  if (code === 'ENOENT') {
    return new SigiloError('KEY_FILE_MISSING', 'master key file does not exist; run `sigilo init`', { file });
  }
  return new SigiloError('KEY_FILE_INVALID', 'master key file cannot be read', { file, errno: code });
}

function serialise(keys: Map<number, KeyEntry>, current: number): string {
  const doc: KeyFile = {
    format: KEY_FILE_FORMAT,
    current,
    keys: [...keys.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, e]) => ({ version, key: e.key.toString('base64'), createdAt: e.createdAt })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** What changes when the file is replaced (rename gives a new inode) or rewritten; null when it cannot be read. */
function fileStamp(file: string): string | null {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
}

async function writeAndSync(handle: FileHandle, text: string): Promise<void> {
  await handle.chmod(FILE_MODE); // the umask may have narrowed it further; never wider
  await handle.writeFile(text, 'utf8');
  await handle.sync();
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new directory entry (create or rename) durable; some platforms cannot open directories.
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL'].includes(errno(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/** Master keys kept in a local 0600 JSON file (the embedded default). */
export class LocalKeyFileProvider implements KeyProvider {
  readonly kind = 'local-file';
  readonly file: string;
  #keys: Map<number, KeyEntry>;
  #current: number;
  #lastReload = 0;
  #lastFollow = 0;
  #stamp: string | null;
  // Serialises this process's changes; each one re-reads the file first so it builds on the latest state.
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, keys: Map<number, KeyEntry>, current: number) {
    this.file = file;
    this.#keys = keys;
    this.#current = current;
    this.#stamp = fileStamp(file);
  }

  /** Creates a new key file holding version 1; refuses (CONFLICT) to overwrite an existing one. */
  static async create(file: string): Promise<LocalKeyFileProvider> {
    const resolved = path.resolve(file);
    const dir = path.dirname(resolved);
    // Only a directory created here gets 0700; an existing one is the operator's and left alone.
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const keys = new Map<number, KeyEntry>([
      [1, { key: randomBytes(KEY_BYTES), createdAt: new Date().toISOString() }],
    ]);
    let handle: FileHandle;
    try {
      handle = await open(resolved, 'wx', FILE_MODE);
    } catch (err) {
      if (errno(err) === 'EEXIST') {
        throw new SigiloError('CONFLICT', 'master key file already exists; refusing to overwrite it', {
          file: resolved,
        });
      }
      throw err;
    }
    try {
      await writeAndSync(handle, serialise(keys, 1));
    } catch (err) {
      await handle.close();
      // A half-written key file would block the next start with KEY_FILE_INVALID; remove it.
      await unlink(resolved).catch(() => undefined);
      throw err;
    }
    await handle.close();
    await syncDir(dir);
    return new LocalKeyFileProvider(resolved, keys, 1);
  }

  /** Opens an existing key file: KEY_FILE_MISSING, KEY_FILE_INSECURE (group/other access) or KEY_FILE_INVALID. */
  static open(file: string): Promise<LocalKeyFileProvider> {
    const resolved = path.resolve(file);
    // Synchronous on purpose: it runs once at start, and getKek needs the same reader for reloads.
    return new Promise((resolve) => {
      const state = readKeyFileSync(resolved);
      resolve(new LocalKeyFileProvider(resolved, state, state.current));
    });
  }

  /**
   * The version new keys are wrapped under. Another process (`sigilo keys rotate` next to `sigilo serve`) may
   * have added one: the file is checked at most once a second and re-read when it changed. A server that kept
   * wrapping under the version it started with wrote keys the rotation then retired from the file, unreadable
   * after a restart (rotation-under-load proof, issue 14).
   */
  currentVersion(): number {
    if (Date.now() - this.#lastFollow >= RELOAD_INTERVAL_MS) {
      this.#lastFollow = Date.now();
      const stamp = fileStamp(this.file);
      if (stamp !== null && stamp !== this.#stamp) {
        try {
          this.#adopt(readKeyFileSync(this.file), stamp);
        } catch {
          // An unreadable file now: keep what was read before; the next start reports the problem.
        }
      }
    }
    return this.#current;
  }

  /** Re-reads the file now if it changed (a writer whose master-key version another process is retiring). */
  refresh(): void {
    this.#lastFollow = Date.now();
    const stamp = fileStamp(this.file);
    if (stamp !== null && stamp !== this.#stamp) this.#adopt(readKeyFileSync(this.file), stamp);
  }

  getKek(version: number): Buffer {
    let entry = this.#keys.get(version);
    if (!entry && Date.now() - this.#lastReload >= RELOAD_INTERVAL_MS) {
      this.#lastReload = Date.now();
      const stamp = fileStamp(this.file);
      this.#adopt(readKeyFileSync(this.file), stamp);
      entry = this.#keys.get(version);
    }
    if (!entry) throw new SigiloError('KEY_NOT_FOUND', 'master key version is not available', { version });
    return Buffer.from(entry.key); // a copy: a caller that zeroes it must not zero the master key
  }

  versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  addVersion(): Promise<number> {
    return this.#change((keys) => {
      const version = Math.max(...keys.keys()) + 1;
      keys.set(version, { key: randomBytes(KEY_BYTES), createdAt: new Date().toISOString() });
      return { current: version, result: version };
    });
  }

  retireVersion(version: number): Promise<void> {
    return this.#change((keys, current) => {
      if (!keys.has(version)) {
        throw new SigiloError('KEY_NOT_FOUND', 'master key version is not available', { version });
      }
      if (version === current) {
        throw new SigiloError('CONFLICT', 'the current master key version cannot be retired', { version });
      }
      keys.delete(version);
      return { current, result: undefined };
    });
  }

  #adopt(state: Map<number, KeyEntry> & { current: number }, stamp: string | null): void {
    this.#keys = state;
    this.#current = state.current;
    this.#stamp = stamp;
  }

  #change<T>(
    mutate: (keys: Map<number, KeyEntry>, current: number) => { current: number; result: T },
  ): Promise<T> {
    const run = async (): Promise<T> => {
      const state = readKeyFileSync(this.file);
      const { current, result } = mutate(state, state.current);
      await this.#replaceFile(serialise(state, current));
      state.current = current;
      this.#adopt(state, fileStamp(this.file));
      return result;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #replaceFile(text: string): Promise<void> {
    const dir = path.dirname(this.file);
    const temp = path.join(
      dir,
      `.${path.basename(this.file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await writeAndSync(handle, text);
      await handle.close();
      await rename(temp, this.file);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await syncDir(dir);
  }
}
