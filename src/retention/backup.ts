/**
 * Backups and restores that never bring a shredded subject back (SPEC §6, §12; docs/operations.md).
 *
 * A database backup contains wrapped data keys; restoring one taken before a shred would make that subject readable
 * again. The shred journal (shred-journal.ts) lives in the data directory, is never part of a database backup, and
 * is replayed by every `openSigilo`: journalled subjects whose keys came back are shredded again before anything is
 * served. Before the database is overwritten, the current database's ledger is copied into the journal, so even a
 * shred that has not reached the journal yet survives the restore.
 */
import { retireHeadFileForRestore } from '../access-log/access-log.head-file.ts';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import {
  createPrivateFile,
  ensurePrivateFile,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
} from '../config/private-files.ts';
import { SigiloError } from '../errors.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../store/store.ts';
import { SHRED_JOURNAL_FILE, ShredJournal } from './shred-journal.ts';

const run = promisify(execFile);

/** Copies every database shred-ledger row missing from the journal in `dataDir` into it; returns how many. */
export function syncLedgerToJournal(store: Store, dataDir: string): Promise<number> {
  return new ShredJournal({ file: path.join(dataDir, SHRED_JOURNAL_FILE), store }).sync();
}

/** An online, consistent copy of the SQLite database (`VACUUM INTO`); the shred journal is deliberately not in it. */
export async function backupSqlite(store: Store, destFile: string): Promise<void> {
  if (store.dialect !== 'sqlite') {
    throw new SigiloError(
      'CONFIG_INVALID',
      'backupSqlite needs the SQLite store; use pg_dump for PostgreSQL',
    );
  }
  if (fs.existsSync(destFile)) {
    throw new SigiloError('CONFLICT', 'the backup file already exists', { resource: 'backup' });
  }
  fs.mkdirSync(path.dirname(destFile), { recursive: true, mode: PRIVATE_DIR_MODE });
  // VACUUM INTO fills an empty file it is given, keeping its mode: the copy is never readable by others.
  createPrivateFile(destFile, 'backup');
  try {
    await sql`vacuum into ${destFile}`.execute(store.db);
  } catch (err) {
    fs.rmSync(destFile, { force: true });
    throw err;
  }
  fs.chmodSync(destFile, PRIVATE_FILE_MODE);
}

/**
 * Replaces the SQLite database at `dbFile` with `backupFile`. No Sigilo may have it open. The current database's
 * shred ledger is first synced into the journal in `dataDir`; the next `openSigilo` re-applies the journal.
 */
export async function restoreSqlite(options: {
  dbFile: string;
  backupFile: string;
  dataDir: string;
  /** The signed access-log head of the database being replaced (SIGILO_AUDIT_HEAD_FILE): moved aside. */
  auditHeadFile?: string;
}): Promise<{
  synced: number;
}> {
  if (!fs.existsSync(options.backupFile)) {
    throw new SigiloError('NOT_FOUND', 'backup file not found', { resource: 'backup' });
  }
  let synced = 0;
  if (fs.existsSync(options.dbFile)) {
    const current = openSqliteStore(options.dbFile);
    try {
      synced = await syncLedgerToJournal(current, options.dataDir);
    } catch {
      // A damaged current database cannot add to the journal; what it holds was synced at its last start or sweep.
    } finally {
      await current.close();
    }
  }
  const tmp = `${options.dbFile}.restore-${process.pid}`;
  fs.copyFileSync(options.backupFile, tmp);
  fs.chmodSync(tmp, PRIVATE_FILE_MODE);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(options.dbFile + suffix, { force: true });
  fs.renameSync(tmp, options.dbFile);
  if (options.auditHeadFile) retireHeadFileForRestore(options.auditHeadFile);
  return { synced };
}

/** `pg_dump` of the database (or one schema) in custom format. */
export async function backupPostgres(options: { url: string; file: string; schema?: string }): Promise<void> {
  const args = ['--format=custom', `--file=${options.file}`, `--dbname=${options.url}`];
  if (options.schema) args.push(`--schema=${options.schema}`);
  fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: PRIVATE_DIR_MODE });
  // pg_dump truncates and writes the file it is given, keeping its 0600 mode.
  const existed = fs.existsSync(options.file);
  ensurePrivateFile(options.file);
  try {
    await run('pg_dump', args);
  } catch (err) {
    if (!existed) fs.rmSync(options.file, { force: true });
    throw err;
  }
  fs.chmodSync(options.file, PRIVATE_FILE_MODE);
}

/**
 * Restores a `pg_dump` file over the database (objects are dropped and recreated). Sync the ledger first
 * (`sigilo retention ledger sync`, or `syncLedgerToJournal`) on an instance whose data directory keeps the journal;
 * start that instance first after the restore so it re-applies the journal.
 */
export async function restorePostgres(options: {
  url: string;
  file: string;
  schema?: string;
  /** The signed access-log head of the database being replaced (SIGILO_AUDIT_HEAD_FILE): moved aside. */
  auditHeadFile?: string;
}): Promise<void> {
  const args = ['--clean', '--if-exists', '--no-owner', `--dbname=${options.url}`];
  if (options.schema) args.push(`--schema=${options.schema}`);
  args.push(options.file);
  await run('pg_restore', args);
  if (options.auditHeadFile) retireHeadFileForRestore(options.auditHeadFile);
}

/** Opens a PostgreSQL store for a ledger sync before a restore (the CLI uses it). */
export function openPostgresForSync(url: string, schema?: string): Store {
  return openPostgresStore({ connectionString: url, ...(schema ? { schema } : {}) });
}
