import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ctx as accessCtx, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { openSigilo } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { StaffTokenService } from '../tokens/staff-token.service.ts';
import { runCli } from './main.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** An environment for one isolated installation: a temp data dir, and on PostgreSQL a fresh schema. */
async function installation(
  dialect: string,
): Promise<{ env: NodeJS.ProcessEnv; dir: string; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-cli-'));
  const env: NodeJS.ProcessEnv = { SIGILO_DATA_DIR: path.join(dir, 'data'), SIGILO_LOG_LEVEL: 'info' };
  let drop = async () => {};
  if (dialect === 'postgres') {
    const url = inject('postgresUrl')!;
    const schema = `cli_${randomBytes(5).toString('hex')}`;
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
    cleanup: async () => {
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function cli(
  env: NodeJS.ProcessEnv,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await runCli(argv, { out, err, env });
  return { code, out: out.text, err: err.text };
}

const TOKEN = /sgl_[A-Za-z0-9_-]{43}/;

describe.each(DIALECTS)('sigilo CLI on %s', (dialect) => {
  let inst: Awaited<ReturnType<typeof installation>>;
  let adminToken: string;
  beforeAll(async () => {
    inst = await installation(dialect);
  });
  afterAll(async () => inst.cleanup());

  it('init creates the key file (0600), database and policy, and prints an admin token once', async () => {
    const first = await cli(inst.env, 'init');
    expect(first.code).toBe(0);
    expect(first.out).toContain('policy      version 1');
    adminToken = TOKEN.exec(first.out)![0];
    expect(first.err).not.toContain(adminToken);
    const keyFile = path.join(inst.env.SIGILO_DATA_DIR!, 'master.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    const again = await cli(inst.env, 'init');
    expect(again.code).toBe(0);
    expect(again.out).toContain('already initialised');
    expect(again.out).not.toMatch(TOKEN);
  });

  it('tokens create prints the token once; list never shows it; revoke ends it', async () => {
    const created = await cli(
      inst.env,
      'tokens',
      'create',
      '--role',
      'support_agent',
      '--label',
      'balcão',
      '--ttl-days',
      '7',
    );
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(TOKEN);
    expect(created.err).not.toContain(token);
    expect(created.err).toContain('"event":"token.created"');

    const list = await cli(inst.env, 'tokens', 'list', '--json');
    const tokens = JSON.parse(list.out) as { id: string; role: string; label: string }[];
    expect(tokens.map((t) => t.role).sort()).toEqual(['admin', 'support_agent']);
    expect(list.out).not.toContain(token);
    expect(list.out).not.toContain(adminToken);

    const id = tokens.find((t) => t.label === 'balcão')!.id;
    expect((await cli(inst.env, 'tokens', 'revoke', id)).out).toContain(`revoked ${id}`);
    const sigilo = await openSigilo(loadConfig(inst.env));
    try {
      const service = new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), sigilo.now, {
        defaultTtlDays: 30,
      });
      await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
      expect((await service.authenticate(adminToken)).role).toBe('admin');
    } finally {
      await sigilo.close();
    }
    const again = await cli(inst.env, 'tokens', 'revoke', id);
    expect(again.code).toBe(1);
    expect(again.err).toContain('CONFLICT');
    const bad = await cli(inst.env, 'tokens', 'create', '--role', 'root');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('VALIDATION_FAILED');
  });

  it('keys rotate rewraps the data keys and the data stays readable', async () => {
    let sigilo = await openSigilo(loadConfig(inst.env));
    const personId = await sigilo.gate.run(accessCtx('support_agent', 'contracting'), (s) =>
      sigilo.services.people.create(s, { name: SAMPLE.personName, phones: [SAMPLE.phone] }),
    );
    await sigilo.close();
    const rotated = await cli(inst.env, 'keys', 'rotate', '--json');
    expect(rotated.code).toBe(0);
    const result = JSON.parse(rotated.out) as { newVersion: number; rewrapped: number };
    expect(result.newVersion).toBe(2);
    expect(result.rewrapped).toBeGreaterThan(0);
    sigilo = await openSigilo(loadConfig(inst.env));
    try {
      const person = await sigilo.gate.run(accessCtx('support_agent', 'support'), (s) =>
        sigilo.services.people.get(s, personId),
      );
      expect(person.name).toBe(SAMPLE.personName);
    } finally {
      await sigilo.close();
    }
  });

  it('audit verify passes on an intact log and exits 1 naming the first broken entry after tampering', async () => {
    const ok = await cli(inst.env, 'audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/access log OK: [1-9]\d* entries/);
    const sigilo = await openSigilo(loadConfig(inst.env));
    try {
      await sigilo.store.db
        .updateTable('access_log')
        .set({ actor: 'someone-else' })
        .where('seq', '=', 1)
        .execute();
    } finally {
      await sigilo.close();
    }
    const broken = await cli(inst.env, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at entry 1');
    const json = await cli(inst.env, 'audit', 'verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, firstBroken: { seq: 1 } });
  });

  it('policy show and render read the published policy', async () => {
    const shown = await cli(inst.env, 'policy', 'show', '--format', 'json');
    expect((JSON.parse(shown.out) as { version: number }).version).toBe(1);
    const html = await cli(inst.env, 'policy', 'render', '--format', 'html');
    expect(html.out).toMatch(/<h1/);
    expect(html.out).toContain('dados sensíveis');
  });
});

describe('sigilo CLI without a store', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('policy validate accepts the default policy and lists every problem of a bad one', async () => {
    const good = await cli({}, 'policy', 'validate', 'src/policy/default-policy.yaml');
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^valid: version 1/);
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'version: 0\ncategories: []\n');
    const bad = await cli({}, 'policy', 'validate', file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('POLICY_INVALID');
    expect(bad.err.split('\n').filter((l) => l.startsWith('  - ')).length).toBeGreaterThan(1);
  });

  it('policy render --file renders a document that was never published', async () => {
    const res = await cli({}, 'policy', 'render', '--file', 'src/policy/default-policy.yaml');
    expect(res.out).toMatch(/^# Política de Privacidade/);
  });

  it('commands that need a database say how to initialise one', async () => {
    const res = await cli({ SIGILO_DATA_DIR: path.join(dir, 'empty') }, 'audit', 'verify');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/KEY_FILE_MISSING|NOT_INITIALISED/);
  });

  it('refuses to serve plain HTTP on a non-loopback address, saying why', async () => {
    const res = await cli(
      { SIGILO_DATA_DIR: path.join(dir, 'refuse') },
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    );
    expect(res.code).toBe(1);
    expect(res.err).toContain('refusing to serve plain HTTP on 0.0.0.0');
    expect(res.err).toContain('--insecure-http');
  });

  it('serve on an empty data directory initialises it, prints URL, docs URL and the admin token, and stops', async () => {
    const env = { SIGILO_DATA_DIR: path.join(dir, 'serve'), SIGILO_LOG_LEVEL: 'warn' };
    const out = new Capture();
    const stop = new AbortController();
    const running = runCli(['serve', '--port', '0'], { out, err: new Capture(), env, signal: stop.signal });
    const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.text)?.[1]);
    expect(out.text).toContain(`API docs (OpenAPI): ${url}/docs`);
    const token = TOKEN.exec(out.text)![0];
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ role: 'admin' });
    stop.abort();
    expect(await running).toBe(0);

    // Second start: same data, no new token printed.
    const out2 = new Capture();
    const stop2 = new AbortController();
    const running2 = runCli(['serve', '--port', '0'], {
      out: out2,
      err: new Capture(),
      env,
      signal: stop2.signal,
    });
    await waitFor(() => /listening on/.exec(out2.text)?.[0]);
    expect(out2.text).not.toMatch(TOKEN);
    stop2.abort();
    expect(await running2).toBe(0);
  });

  it('`npm start` (tsx src/cli/main.ts serve) runs as a real process and stops on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SIGILO_DATA_DIR: path.join(dir, 'process'),
      SIGILO_HTTP_PORT: '0',
      SIGILO_LOG_LEVEL: 'warn',
    };
    delete env.SIGILO_DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1], 20_000);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(text).toMatch(TOKEN);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
