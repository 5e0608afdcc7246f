/** CLI test harness: an isolated installation per suite, and `sigilo` run in-process with captured output. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { inject } from 'vitest';
import { openSigilo } from '../../src/app.ts';
import { runCli } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ctx, SAMPLE } from './sigilo.ts';

/** A writable that keeps what it was given. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A staff token as Sigilo prints it. */
export const TOKEN = /sgl_[A-Za-z0-9_-]{43}/;

export interface Installation {
  env: NodeJS.ProcessEnv;
  /** A private temp directory; the data directory is `<dir>/data`. */
  dir: string;
  /** PostgreSQL only: the schema this installation lives in. */
  schema?: string;
  cleanup: () => Promise<void>;
}

/** An environment for one isolated installation: a temp data dir, and on PostgreSQL a fresh schema. */
export async function installation(dialect: string): Promise<Installation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-cli-'));
  const env: NodeJS.ProcessEnv = { SIGILO_DATA_DIR: path.join(dir, 'data'), SIGILO_LOG_LEVEL: 'info' };
  let drop = async () => {};
  let schema: string | undefined;
  if (dialect === 'postgres') {
    const url = inject('postgresUrl')!;
    schema = `cli_${randomBytes(5).toString('hex')}`;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    env.SIGILO_DATABASE_URL = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    drop = async () => {
      const d = new pg.Client({ connectionString: url });
      await d.connect();
      await d.query(`drop schema ${schema} cascade`);
      await d.end();
    };
  }
  return {
    env,
    dir,
    ...(schema ? { schema } : {}),
    cleanup: async () => {
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `sigilo <argv>` in this process with `env`; returns the exit status and what it printed. */
export async function cli(
  env: NodeJS.ProcessEnv,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await runCli(argv, { out, err, env });
  return { code, out: out.text, err: err.text };
}

/** Polls `probe` until it returns a value. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every path under `root` (itself included), directories and files. */
export function walk(root: string): string[] {
  const out = [root];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** The permission bits of `file`. */
export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** `sigilo init` for `inst`, then one company account created through the gate; returns the account id. */
export async function initWithAccount(inst: Installation): Promise<string> {
  const init = await cli(inst.env, 'init');
  if (init.code !== 0) throw new Error(`sigilo init failed: ${init.err}`);
  const sigilo = await openSigilo(loadConfig(inst.env));
  try {
    return await sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      sigilo.services.accounts.create(s, { kind: 'company', name: SAMPLE.companyName, taxId: SAMPLE.cnpj }),
    );
  } finally {
    await sigilo.close();
  }
}

/** One Asterisk cdr_csv line (Master.csv layout) with the account code `acme`; `start` lets a test break the row. */
export function asteriskCdrLine(uniqueId: string, start = '2026-11-20 10:00:00'): string {
  return (
    [
      'acme',
      '+5511987654321',
      '+5521998765432',
      'from-internal',
      '',
      'SIP/trunk-acme-0000001a',
      'SIP/vivo-0000001b',
      'Dial',
      'SIP/vivo,60,tT',
      start,
      '2026-11-20 10:00:05',
      '2026-11-20 10:01:00',
    ]
      .map((v) => `"${v}"`)
      .join(',') + `,60,55,"ANSWERED","DOCUMENTATION","${uniqueId}",""\n`
  );
}
