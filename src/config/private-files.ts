/**
 * File modes of everything Sigilo writes: files 0600, directories 0700, and a data (or key) directory that group
 * or others may write is refused, since whoever can write it can swap the database, the journal or the key file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SigiloError } from '../errors.ts';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** The umask of every Sigilo process: nothing it creates is readable by group or others, whatever the call. */
export const PRIVATE_UMASK = 0o077;

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** The `code` of a Node system error (ENOENT, EACCES...), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/**
 * Throws DATA_DIR_INSECURE when `dir` exists and group or others may write it (`what` names it in the message);
 * a path that exists but is not a directory is CONFIG_INVALID. A missing directory passes: it is created 0700.
 */
export function assertPrivateDirectory(dir: string, what: string, variable: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw new SigiloError('CONFIG_INVALID', `invalid configuration: ${variable}: cannot read ${dir}`, {
      issues: [{ variable, problem: `cannot read ${dir} (${errnoOf(err) ?? 'error'})` }],
    });
  }
  if (!stat.isDirectory()) {
    throw new SigiloError('CONFIG_INVALID', `invalid configuration: ${variable}: ${dir} is not a directory`, {
      issues: [{ variable, problem: `${dir} is not a directory` }],
    });
  }
  // Windows has no POSIX modes; its ACLs are the operator's job there.
  if (process.platform !== 'win32' && (stat.mode & 0o022) !== 0) {
    throw new SigiloError(
      'DATA_DIR_INSECURE',
      `${what} ${dir} is writable by group or others (mode ${octal(stat.mode)}); run: chmod 700 ${dir}`,
      { path: dir, mode: octal(stat.mode) },
    );
  }
}

/**
 * Checks that `dir` can be created: its nearest existing ancestor is a directory this process may write.
 * Nothing is created.
 */
export function assertCreatableDirectory(dir: string, variable: string): void {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe)) {
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  if (probe === path.resolve(dir)) return;
  try {
    fs.accessSync(probe, fs.constants.W_OK | fs.constants.X_OK);
    if (!fs.statSync(probe).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw new SigiloError(
      'CONFIG_INVALID',
      `invalid configuration: ${variable}: ${dir} cannot be created (${probe}: ${errnoOf(err) ?? 'error'})`,
      { issues: [{ variable, problem: `cannot create ${dir} in ${probe}` }] },
    );
  }
}

/**
 * Creates `file` empty with mode 0600 when it does not exist, and narrows an existing one to 0600. SQLite gives
 * its -wal and -shm files the mode of the database file, so creating the database this way keeps all three private.
 */
export function ensurePrivateFile(file: string): void {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, PRIVATE_FILE_MODE);
  try {
    if (process.platform !== 'win32' && (fs.fstatSync(fd).mode & 0o077) !== 0) {
      fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates a new, empty `file` with mode 0600; CONFLICT when it exists (never overwrites). */
export function createPrivateFile(file: string, resource: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') {
      throw new SigiloError('CONFLICT', `the ${resource} file already exists: ${file}`, {
        resource,
        path: file,
      });
    }
    throw err;
  }
  fs.closeSync(fd);
}
