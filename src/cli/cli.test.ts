import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Capture, cli, installation, modeOf, TOKEN, waitFor, walk } from '../../test/support/cli.ts';
import { ctx as accessCtx, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { openSigilo } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { StaffTokenService } from '../tokens/staff-token.service.ts';
import { runCli } from './main.ts';

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
        accessLog: sigilo.accessLog.writer,
        labels: sigilo.tokenLabels,
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

  it('policy publish holds a loosening version for a second DPO; approve and diff', async () => {
    const doc = YAML.parse(fs.readFileSync('src/policy/default-policy.yaml', 'utf8')) as {
      version: number;
      retention: { category: string; rule: unknown }[];
    };
    doc.version = 2;
    doc.retention.find((r) => r.category === 'support_recording')!.rule = {
      kind: 'after',
      anchor: 'record_created',
      period: 'P4Y',
    };
    const file = path.join(inst.dir, 'policy-v2.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    const proposed = await cli(inst.env, 'policy', 'publish', file, '--by', 'dpo-ana');
    expect(proposed.out).toContain('waiting for a second DPO: version 2');
    expect(proposed.out).toContain('segundo encarregado');
    const self = await cli(inst.env, 'policy', 'approve', '2', '--by', 'dpo-ana');
    expect(self.code).toBe(1);
    expect(self.err).toContain('SECOND_APPROVAL_REQUIRED');
    const approved = await cli(inst.env, 'policy', 'approve', '2', '--by', 'dpo-bruno');
    expect(approved.out).toContain('published version 2');
    const diff = await cli(inst.env, 'policy', 'diff', '1', '2');
    expect(diff.out).toMatch(/Retenção de Gravações dos atendimentos: .+ para 4 anos/);
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
    const url2 = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out2.text)?.[1]);
    expect(out2.text).not.toMatch(TOKEN);

    // The first token is lost: an operator on the server mints a new admin token with the data directory
    // (docs/operations.md, "Recovering admin access"), while the server runs.
    const recovered = await cli(
      env,
      'tokens',
      'create',
      '--role',
      'admin',
      '--label',
      'recuperação de acesso',
    );
    expect(recovered.code).toBe(0);
    const adminAgain = TOKEN.exec(recovered.out)![0];
    const me2 = await fetch(`${url2}/v1/me`, { headers: { authorization: `Bearer ${adminAgain}` } });
    expect(await me2.json()).toMatchObject({ role: 'admin' });
    stop2.abort();
    expect(await running2).toBe(0);
  });

  it.each([
    { how: '`npm start`', command: 'npm', args: ['start'], signal: 'SIGTERM' as const },
    {
      how: '`npm run sigilo -- serve`',
      command: 'npm',
      args: ['run', 'sigilo', '--', 'serve'],
      signal: 'SIGTERM' as const,
    },
    {
      how: '`bin/sigilo.js serve` (npx sigilo)',
      command: process.execPath,
      args: ['bin/sigilo.js', 'serve'],
      signal: 'SIGINT' as const,
    },
  ])(
    '$how stops on $signal sent to the PID the operator sees: the request in flight completes, the process tree is gone, the log says so',
    async ({ command, args, signal }) => {
      const dataDir = path.join(dir, `process-${args.join('-').replace(/[^a-z]+/g, '-')}`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SIGILO_DATA_DIR: dataDir,
        SIGILO_HTTP_PORT: '0',
        SIGILO_LOG_LEVEL: 'info',
        SIGILO_SHUTDOWN_GRACE_SECONDS: '20',
      };
      delete env.SIGILO_DATABASE_URL;
      const server = startProcess(command, args, env);
      let tree: number[] = [];
      try {
        const url = await waitFor(
          () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.out())?.[1],
          60_000,
        );
        // The banner after the URL may come in a later chunk of the pipe.
        const admin = await waitFor(() => TOKEN.exec(server.out())?.[0]);
        tree = [server.child.pid!, ...descendants(server.child.pid!)];
        expect(tree.length).toBeGreaterThan(1);

        // Headers are in (the server answered 100 Continue, so the request is routed), half the body is not.
        const inFlight = slowPost(`${url}/v1/tokens`, admin, { role: 'auditor', label: 'em voo' });
        await inFlight.routed;
        process.kill(server.child.pid!, signal);
        await waitFor(() => (server.err().includes('"msg":"shutting down"') ? true : undefined), 30_000);
        inFlight.finish();
        const answer = await inFlight.response;
        expect(answer.status).toBe(201);
        expect(answer.body).toMatch(TOKEN);

        expect(await server.exited).toEqual({ code: 0, signal: null });
        const stoppedAt = Date.now();
        // tsx's esbuild service ends when its parent's pipe closes, a moment after the parent.
        const survivors = await waitFor(() => {
          const left = tree.filter(alive);
          return left.length === 0 || Date.now() - stoppedAt > 10_000 ? left : undefined;
        }, 15_000);
        expect(survivors.map(commandOf)).toEqual([]);
        const log = server
          .err()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg: string; event?: string; signal?: string });
        const messages = log.map((l) => l.msg);
        expect(messages).toContain('shutting down');
        expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('request completed'));
        expect(log.find((l) => l.event === 'server.shutting_down')?.signal).toBe(signal);
        expect(log.some((l) => l.event === 'server.drain_timeout')).toBe(false);
        expect(server.err()).not.toContain(admin);

        // The process ran with umask 077: everything it created is private.
        for (const f of walk(dataDir))
          expect(modeOf(f), f).toBe(fs.statSync(f).isDirectory() ? 0o700 : 0o600);
      } finally {
        // A failed run must not leave servers behind: the children first (npm killed first would orphan them).
        const pid = server.child.pid!;
        const left = new Set([...tree, ...(alive(pid) ? descendants(pid) : [])]);
        left.delete(pid);
        for (const p of left) if (alive(p)) process.kill(p, 'SIGKILL');
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
      }
    },
    120_000,
  );
});

interface RunningProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): RunningProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** Every process below `pid`, from the process table. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [p, pp] of table) {
      if (pp !== parent) continue;
      found.push(p);
      queue.push(p);
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return `${pid} ${execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A POST whose body is held back after the headers; `routed` resolves once the server sent 100 Continue. */
function slowPost(
  url: string,
  token: string,
  json: unknown,
): { routed: Promise<void>; finish(): void; response: Promise<{ status: number; body: string }> } {
  const body = JSON.stringify(json);
  // A keep-alive client that never closes: the server must end the idle connection itself.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const req = http.request(url, {
    method: 'POST',
    agent,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const routed = new Promise<void>((resolve) =>
    req.once('continue', () => {
      req.write(body.slice(0, 5));
      resolve();
    }),
  );
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
  });
  return { routed, finish: () => req.end(body.slice(5)), response };
}
