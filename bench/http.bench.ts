/**
 * P3 (SPEC §11): audited lookup by phone over HTTP, 32 connections, with autocannon. The baseline is the same
 * server in the same run answering the same lookup (same token check) from a plaintext table, without the gate:
 * the ratio is what purpose checks, decryption and the access log cost per request.
 *
 * Each server runs in a process of its own (bench/http-server-child.ts) built as the real server is; autocannon runs
 * in this process, so on a 2-core machine the load generator competes with the servers for the CPU but never for
 * their event loop. Figures: P3 on embedded SQLite (one server); P3-pg on PostgreSQL (one server); P3-pg-2proc two
 * server processes on one PostgreSQL database (the production layout: stateless instances behind a balancer; the
 * 32 connections are split evenly between them). `-busy` is the servers' CPU time (user + system, all server
 * processes) per answer, which moves far less with the machine's load than requests per second do.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo } from './support.ts';
import { StaffTokenService } from '../src/tokens/staff-token.service.ts';

const CONNECTIONS = 32;

type Bench = Awaited<ReturnType<typeof benchSigilo>>;

/** Runs P3 on SQLite, and on PostgreSQL with one and two server processes when it is available. */
export async function run(
  opts: { quick?: boolean; postgres?: boolean; only?: string[] } = {},
): Promise<BenchResult[]> {
  const people = opts.quick ? 300 : 2000;
  const seconds = opts.quick ? 3 : 10;
  const out: BenchResult[] = [];
  const wanted = (prefix: string): boolean => !opts.only || opts.only.some((id) => id.startsWith(prefix));
  if (wanted('P3') && (!opts.only || opts.only.some((id) => !id.startsWith('P3-pg')))) {
    const sqlite = await measure('sqlite', people, seconds, [1]);
    out.push(...figures('P3', 'SQLite', sqlite[0]!, seconds, people, true));
  }
  if (opts.postgres && wanted('P3-pg')) {
    const [one, two] = await measure('postgres', people, seconds, [1, 2]);
    out.push(...figures('P3-pg', 'PostgreSQL, one server process', one!, seconds, people, true));
    out.push(
      ...figures(
        'P3-pg-2proc',
        'PostgreSQL, two server processes on one database',
        two!,
        seconds,
        people,
        true,
      ),
    );
    out.push({
      id: 'P3-pg-scaling',
      what: 'audited lookups per second with two server processes over one (PostgreSQL, 2-core machine shared with autocannon and PostgreSQL)',
      value: Number((two!.gated.rate / one!.gated.rate).toFixed(2)),
      unit: '×',
      baseline: 'the plaintext server, two processes over one',
      baselineValue: Number((two!.plain.rate / one!.plain.rate).toFixed(2)),
      ratio: Number((two!.plain.rate / one!.plain.rate / (two!.gated.rate / one!.gated.rate)).toFixed(2)),
      ratioMeaning: 'baseline scaling / Sigilo scaling',
    });
  }
  return out;
}

interface Load {
  rate: number;
  total: number;
  p99: number;
  cpuUsPerRequest: number;
  /** Access-log transactions (lone reads' own and group commits) per answer. */
  appendsPerRequest: number;
}
interface Measured {
  processes: number;
  gated: Load;
  plain: Load;
  entriesPerRequest: number;
}

/** Seeds one store, then for each process count starts that many servers on it and loads both routes. */
async function measure(
  dialect: 'sqlite' | 'postgres',
  people: number,
  seconds: number,
  processCounts: number[],
): Promise<Measured[]> {
  const b = await benchSigilo(dialect);
  try {
    const phones = await seed(b, people);
    const tokens = new StaffTokenService(b.sigilo.store, () => b.sigilo.policies.policy(), b.sigilo.now, {
      defaultTtlDays: 1,
      accessLog: b.sigilo.accessLog.writer,
      labels: b.sigilo.tokenLabels,
    });
    const { token } = await tokens.create({ role: 'support_agent', label: 'bench', createdBy: 'bench' });
    const body = JSON.stringify({ phone: phones[Math.floor(people / 2)]! });
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'sigilo-purpose': 'support',
    };
    const results: Measured[] = [];
    for (const n of processCounts) {
      const servers = await Promise.all(Array.from({ length: n }, () => startServer(dialect, b)));
      try {
        const load = (route: string, duration: number): Promise<Load> =>
          loadAll(servers, route, duration, headers, body);
        await load('/v1/people/lookup', 1); // warm-up (JIT, caches, pool)
        const logBefore = await countLog(b);
        const gated = await load('/v1/people/lookup', seconds);
        const logAfter = await countLog(b);
        await load('/bench/plain-lookup', 1);
        const plain = await load('/bench/plain-lookup', seconds);
        results.push({ processes: n, gated, plain, entriesPerRequest: (logAfter - logBefore) / gated.total });
      } finally {
        await Promise.all(servers.map((s) => s.close()));
      }
    }
    return results;
  } finally {
    await b.cleanup();
  }
}

async function seed(b: Bench, people: number): Promise<string[]> {
  const { sigilo } = b;
  const phones: string[] = [];
  const id = b.store.dialect === 'postgres' ? sql`id serial primary key` : sql`id integer primary key`;
  await sql`create table bench_plain_people (${id}, name text, phone text, email text)`.execute(
    sigilo.store.db,
  );
  await sql`create index bench_plain_people_phone on bench_plain_people (phone)`.execute(sigilo.store.db);
  for (let i = 0; i < people; i++) {
    const sub = String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, '0');
    const row = { name: `Pessoa ${i} da Silva`, phone: `+55119${sub}`, email: `pessoa${i}@exemplo.com.br` };
    phones.push(row.phone);
    await sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
      sigilo.services.people.create(s, { name: row.name, phones: [row.phone], emails: [row.email] }),
    );
    await sql`insert into bench_plain_people (name, phone, email) values (${row.name}, ${row.phone}, ${row.email})`.execute(
      sigilo.store.db,
    );
  }
  return phones;
}

interface Server {
  port: number;
  /** Starts (null) or stops and writes (a file) a CPU profile of the server. */
  profile(file: string | null): Promise<void>;
  cpuUs(): Promise<{ cpuUs: number; appends: number }>;
  close(): Promise<void>;
}

/** Forks bench/http-server-child.ts on the seeded store and waits until it listens. */
async function startServer(dialect: 'sqlite' | 'postgres', b: Bench): Promise<Server> {
  const child: ChildProcess = fork(
    path.join(import.meta.dirname, 'http-server-child.ts'),
    [dialect, b.dir, ...(b.schema ? [b.schema] : [])],
    {
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.SIGILO_BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SIGILO_BENCH_CPU_PROF}`]
          : []),
      ],
      env: { ...process.env, SIGILO_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T>(key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>): void => {
        if (!(key in m)) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m[key] as T);
      };
      const onExit = (code: number | null): void =>
        reject(new Error(`bench server exited (${code}) before ${key}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const port = await next<number>('port');
  return {
    port,
    profile: async (file) => {
      const p = next<string | null>('profiled');
      child.send({ profile: file });
      await p;
    },
    cpuUs: () => {
      const p = next<{ cpuUs: number; appends: number }>('usage');
      child.send('cpu');
      return p;
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('close');
      await exited;
    },
  };
}

/** Loads `route` on every server at once, the 32 connections split between them; sums what they answered. */
async function loadAll(
  servers: Server[],
  route: string,
  duration: number,
  headers: Record<string, string>,
  body: string,
): Promise<Load> {
  // SIGILO_BENCH_CPU_PROF=<dir>: each server writes a CPU profile of each load phase longer than the warm-up.
  const profDir = duration > 1 ? process.env.SIGILO_BENCH_CPU_PROF : undefined;
  if (profDir) await Promise.all(servers.map((s) => s.profile(null)));
  const cpuBefore = await Promise.all(servers.map((s) => s.cpuUs()));
  const runs = await Promise.all(
    servers.map((s) =>
      autocannon({
        url: `http://127.0.0.1:${s.port}${route}`,
        connections: CONNECTIONS / servers.length,
        duration,
        method: 'POST',
        headers,
        body,
        // A shared machine can stall a server for seconds; a timeout would count as an error, not as latency.
        timeout: 30,
      }),
    ),
  );
  const cpuAfter = await Promise.all(servers.map((s) => s.cpuUs()));
  if (profDir) {
    const name = `${route.replace(/\W+/g, '_')}-${servers.length}proc-${Date.now()}`;
    await Promise.all(servers.map((s, i) => s.profile(path.join(profDir, `${name}-${i}.cpuprofile`))));
  }
  for (const r of runs) {
    if (r.non2xx || r.errors) {
      throw new Error(
        `${route} on ${servers.length} server(s), ${duration} s: ${r.non2xx} non-2xx answers, ${r.errors} errors (${r.timeouts} timeouts)`,
      );
    }
  }
  const total = runs.reduce((n, r) => n + r.requests.total, 0);
  const cpu = cpuAfter.reduce((n, c, i) => n + c.cpuUs - cpuBefore[i]!.cpuUs, 0);
  const appends = cpuAfter.reduce((n, c, i) => n + c.appends - cpuBefore[i]!.appends, 0);
  return {
    rate: Math.round(runs.reduce((n, r) => n + r.requests.average, 0)),
    total,
    // Conservative over several servers: the worse of their p99s.
    p99: Math.max(...runs.map((r) => r.latency.p99)),
    cpuUsPerRequest: cpu / Math.max(total, 1),
    appendsPerRequest: appends / Math.max(total, 1),
  };
}

function figures(
  id: string,
  engine: string,
  m: Measured,
  seconds: number,
  people: number,
  withTargets: boolean,
): BenchResult[] {
  const { gated, plain } = m;
  return [
    {
      id,
      what: `audited lookup by phone over HTTP, ${CONNECTIONS} connections, ${seconds} s, ${engine} (${people} people; ${m.entriesPerRequest.toFixed(2)} access-log entries and ${gated.appendsPerRequest.toFixed(2)} log transactions per request)`,
      value: gated.rate,
      unit: 'req/s',
      baseline: 'same server, same token check, plaintext table, no gate',
      baselineValue: plain.rate,
      ratio: Number((plain.rate / gated.rate).toFixed(2)),
      ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
      ...(withTargets ? { target: '≥ 5,000 req/s', pass: gated.rate >= 5000 } : {}),
    },
    {
      id: `${id}-p99`,
      what: `p99 latency of the same run`,
      value: gated.p99,
      unit: 'ms',
      baseline: 'same server, plaintext table, no gate',
      baselineValue: plain.p99,
      ratio: Number((gated.p99 / Math.max(plain.p99, 0.001)).toFixed(2)),
      ratioMeaning: 'for times: Sigilo time / baseline time',
      ...(withTargets ? { target: '≤ 20 ms', pass: gated.p99 <= 20 } : {}),
    },
    {
      id: `${id}-busy`,
      what: `server CPU time (user + system, ${m.processes} process${m.processes > 1 ? 'es' : ''}) per answer in the same run`,
      value: Math.round(gated.cpuUsPerRequest),
      unit: 'µs',
      baseline: 'same server, plaintext table, no gate',
      baselineValue: Math.round(plain.cpuUsPerRequest),
      ratio: Number((gated.cpuUsPerRequest / Math.max(plain.cpuUsPerRequest, 0.001)).toFixed(2)),
      ratioMeaning: 'for times: Sigilo time / baseline time',
    },
  ];
}

async function countLog(b: Bench): Promise<number> {
  const row = await b.sigilo.store.db
    .selectFrom('access_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
