/**
 * Shared by the crash, multi-instance and rotation-under-load proofs and their `npm run soak` versions: an isolated
 * installation (temp data directory, and on PostgreSQL a fresh schema) that child processes open through the
 * environment, `sigilo` run as a real child process (so SIGKILL ends it as a power cut or OOM kill would), and
 * plain-column counts read from outside. No vitest import: bench/soak runs these modules under plain tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { openConfiguredStore, openSigilo, type Sigilo } from '../../src/app.ts';
import { runCli } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Store, StoreDialect } from '../../src/store/store.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

/** A private installation that in-process calls and child processes share. */
export interface ProofInstallation {
  readonly dialect: StoreDialect;
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Opens this installation's Sigilo in this process (the caller closes it). */
  open(): Promise<Sigilo>;
  /** Opens only the store (plain columns), for counts taken from outside the process under test. */
  store(): Store;
  cleanup(): Promise<void>;
}

/** Creates the installation and runs `sigilo init` in it; `pgUrl` is required for PostgreSQL. */
export async function proofInstallation(
  dialect: StoreDialect,
  pgUrl: string | null,
  extraEnv: Record<string, string> = {},
): Promise<ProofInstallation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-proof-'));
  const env: Record<string, string> = {
    SIGILO_DATA_DIR: path.join(dir, 'data'),
    SIGILO_LOG_LEVEL: 'warn',
    SIGILO_INGEST_WORKERS: '0',
    ...extraEnv,
  };
  let drop = async (): Promise<void> => {};
  if (dialect === 'postgres') {
    if (!pgUrl) throw new Error('PostgreSQL proof requested without a database URL');
    const schema = `proof_${randomBytes(5).toString('hex')}`;
    await pgQuery(pgUrl, `create schema ${schema}`);
    env.SIGILO_DATABASE_URL = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    drop = () => pgQuery(pgUrl, `drop schema ${schema} cascade`);
  }
  const init = await cliInProcess(env, 'init');
  if (init.code !== 0) throw new Error(`sigilo init failed (${init.code}): ${init.err}`);
  return {
    dialect,
    dir,
    env,
    open: () => openSigilo(loadConfig(env)),
    store: () => openConfiguredStore(loadConfig(env)),
    cleanup: async () => {
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Whether PostgreSQL answers at `url` (bench/soak decides its dialects with it; tests use the global setup). */
export async function postgresReachable(url: string): Promise<boolean> {
  try {
    await pgQuery(url, 'select 1');
    return true;
  } catch {
    return false;
  }
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** `sigilo <argv>` in this process (the command's own code, not a copy of it). */
export async function cliInProcess(
  env: Record<string, string>,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await runCli(argv, { out, err, env: { ...env } });
  return { code, out: out.text, err: err.text };
}

/** A `sigilo` child process with its output kept. */
export interface CliChild {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out(): string;
  err(): string;
}

/**
 * Starts `node --import tsx src/cli/main.ts <argv>` (the command itself, not bin/sigilo.js, whose wrapper would
 * outlive a SIGKILL sent to it and leave the real process running).
 */
export function spawnCli(env: Record<string, string>, ...argv: string[]): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, out: () => out, err: () => err };
}

/** Whether the child has ended. */
export function ended(c: CliChild): boolean {
  return c.child.exitCode !== null || c.child.signalCode !== null;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 20 ms until it is true, the child ends, or `timeoutMs` passes; true when the probe held. */
export async function until(
  probe: () => Promise<boolean>,
  c: CliChild | null,
  timeoutMs = 60_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if ((c && ended(c)) || Date.now() > deadline) return false;
    await sleep(20);
  }
}

/** A small deterministic PRNG (mulberry32), so a failing trial can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `sigilo audit verify --json` in this process: whether the chain and checkpoints verify, and how many entries. */
export async function auditVerify(
  env: Record<string, string>,
): Promise<{ ok: boolean; entries: number; problem?: string }> {
  const r = await cliInProcess(env, 'audit', 'verify', '--json');
  const report = JSON.parse(r.out) as {
    ok: boolean;
    entries: number;
    firstBroken?: { seq: number; problem: string };
  };
  return {
    ok: r.code === 0 && report.ok,
    entries: report.entries,
    ...(report.firstBroken
      ? { problem: `seq ${report.firstBroken.seq}: ${report.firstBroken.problem}` }
      : {}),
  };
}

/** Stored CDRs of `accountId` (the sum of the segments' counts) and how many distinct natural keys they hold. */
export async function cdrCounts(
  store: Store,
  accountId: string,
  dayRange: { from?: string; before?: string } = {},
): Promise<{ records: number; distinctKeys: number }> {
  // record_keys is a keyed-hash column, outside the plain view services get: read here as opaque bytes.
  const { rows } = await sql<{ record_count: number | string; record_keys: Uint8Array | null }>`
    select record_count, record_keys from telecom_segments
    where kind = 'cdr' and account_id = ${accountId}
      and day >= ${dayRange.from ?? '0000-01-01'} and day < ${dayRange.before ?? '9999-12-31'}`.execute(
    store.db,
  );
  let records = 0;
  const keys = new Set<string>();
  for (const r of rows) {
    records += Number(r.record_count);
    // Scheme byte, then 16-byte keyed hashes (telecom.table.ts): opaque, no personal value is read.
    const buf = r.record_keys ? Buffer.from(r.record_keys) : Buffer.alloc(0);
    for (let i = 1; i + 16 <= buf.length; i += 16) keys.add(buf.subarray(i, i + 16).toString('hex'));
  }
  return { records, distinctKeys: keys.size };
}

/** One company account created through the gate; returns its id. */
export async function createAccount(sigilo: Sigilo, name: string, taxId: string): Promise<string> {
  return sigilo.gate.run(proofCtx('support_agent', 'contracting'), (s) =>
    sigilo.services.accounts.create(s, { kind: 'company', name, taxId }),
  );
}

let counter = 0;
/** An access context for the proofs (request ids unique per process). */
export function proofCtx(role: string, purpose: string | null) {
  counter += 1;
  return {
    actor: `proof-${role}`,
    role,
    purpose,
    requestId: `proof-${process.pid}-${counter}`,
    justification: 'reliability proof',
  };
}

/** Valid CNPJs (check digits computed) for the `n`-th synthetic company. */
export function cnpj(n: number): string {
  const base = String(10_000_000 + n).padStart(8, '0') + '0001';
  const digit = (s: string, weights: number[]): number => {
    const sum = [...s].reduce((acc, ch, i) => acc + Number(ch) * weights[i]!, 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  const d1 = digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = digit(base + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return `${base}${d1}${d2}`;
}

/** A `sigilo serve` child on a free port, once it listens. */
export interface ServerChild extends CliChild {
  readonly url: string;
  /** SIGTERM, then the exit; SIGKILL if it has not stopped within 20 s. */
  stop(): Promise<void>;
}

/** Starts `sigilo serve --port 0` on the installation `env` and waits for its URL. */
export async function startServer(env: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const c = spawnCli({ ...env, SIGILO_LOG_LEVEL: 'warn', ...extraEnv }, 'serve', '--port', '0');
  let url: string | undefined;
  await until(
    () => {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(c.out())?.[1];
      return Promise.resolve(url !== undefined);
    },
    c,
    120_000,
  );
  if (!url) {
    c.child.kill('SIGKILL');
    throw new Error(`sigilo serve did not start: ${c.err().split('\n').slice(0, 3).join(' ')}`);
  }
  const server: ServerChild = {
    ...c,
    url,
    stop: async () => {
      if (ended(c)) return;
      c.child.kill('SIGTERM');
      const timer = setTimeout(() => c.child.kill('SIGKILL'), 20_000);
      await c.exited;
      clearTimeout(timer);
    },
  };
  return server;
}

/** A staff token of `role` created with `sigilo tokens create` (roles that need a second approver are refused). */
export async function staffToken(env: Record<string, string>, role: string): Promise<string> {
  const r = await cliInProcess(env, 'tokens', 'create', '--role', role, '--label', `proof ${role}`);
  if (r.code !== 0) throw new Error(`tokens create --role ${role} failed: ${r.err.split('\n')[0]}`);
  return r.out.trim();
}

/** One HTTP call: status and parsed body (null when not JSON); network failures come back as status 0. */
export async function call(
  url: string,
  token: string,
  method: string,
  route: string,
  purpose: string | null,
  body?: unknown,
): Promise<{ status: number; body: unknown; code?: string }> {
  try {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(purpose ? { 'sigilo-purpose': purpose } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const code = (parsed as { error?: { code?: string } } | null)?.error?.code;
    return { status: res.status, body: parsed, ...(code ? { code } : {}) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: null, code: cause ?? (err instanceof Error ? err.name : 'error') };
  }
}
