/**
 * The newest signed chain head, kept outside the database (SIGILO_AUDIT_HEAD_FILE): someone who can write the
 * database can drop the newest entries and move the head row back, but cannot make this file agree, since it is
 * signed with the Ed25519 key the database holds only wrapped. Written atomically (temporary file, fsync, rename),
 * mode 0600.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../config/private-files.ts';
import { headMessage } from './access-log.entry.ts';

/** A head as this file records it. */
export interface SignedHead {
  seq: number;
  hash: Buffer;
  signedAt: string;
  /** The log's checkpoint cadence and epoch (as its checkpoints sign them). */
  every: number;
  epoch: number;
  signature: Buffer;
}

/** What reading the file found. */
export type HeadFileState =
  { kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'valid'; head: SignedHead };

/** Reads and writes the signed head file at `file`. */
export class AccessLogHeadFile {
  constructor(
    readonly file: string,
    private readonly verify: (message: Buffer, signature: Buffer) => boolean,
  ) {}

  /** Reads the file and checks its signature (a file that does not parse or verify is `invalid`, never thrown). */
  read(): HeadFileState {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      return {
        kind: 'invalid',
        problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { kind: 'invalid', problem: 'is not JSON' };
    }
    const p = parsed as Record<string, unknown>;
    if (
      typeof p !== 'object' ||
      p === null ||
      p.v !== 1 ||
      !Number.isSafeInteger(p.seq) ||
      (p.seq as number) < 0 ||
      typeof p.hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(p.hash) ||
      typeof p.signedAt !== 'string' ||
      !Number.isSafeInteger(p.every) ||
      (p.every as number) < 1 ||
      !Number.isSafeInteger(p.epoch) ||
      (p.epoch as number) < 0 ||
      typeof p.signature !== 'string'
    ) {
      return { kind: 'invalid', problem: 'does not have the signed-head shape' };
    }
    const head: SignedHead = {
      seq: p.seq as number,
      hash: Buffer.from(p.hash, 'hex'),
      signedAt: p.signedAt,
      every: p.every as number,
      epoch: p.epoch as number,
      signature: Buffer.from(p.signature, 'base64'),
    };
    if (
      !this.verify(headMessage(head.seq, head.hash, head.signedAt, head.every, head.epoch), head.signature)
    ) {
      return { kind: 'invalid', problem: 'signature is not valid under the trusted access-log key' };
    }
    return { kind: 'valid', head };
  }

  /** Replaces the file with `head`: a reader sees the old file or the new one, never a torn one. */
  async write(head: SignedHead): Promise<void> {
    const body = JSON.stringify({
      v: 1,
      seq: head.seq,
      hash: head.hash.toString('hex'),
      signedAt: head.signedAt,
      every: head.every,
      epoch: head.epoch,
      signature: head.signature.toString('base64'),
    });
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fh = await fs.promises.open(tmp, 'w', PRIVATE_FILE_MODE);
    try {
      await fh.writeFile(`${body}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, this.file);
  }
}

/**
 * A restore rolls the log back on purpose: the signed head of the replaced database is moved aside (kept as
 * evidence, `<file>.before-restore-<time>`), and the next start begins a new one with an entry saying so.
 */
export function retireHeadFileForRestore(file: string, now: Date = new Date()): string | null {
  const aside = `${file}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    fs.renameSync(file, aside);
    return aside;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
