/**
 * P3 (SPEC §11): audited lookup by phone over HTTP, 32 connections, embedded SQLite, with autocannon. The
 * baseline is the same server in the same run answering the same lookup (same token check) from a plaintext
 * table, without the gate: the ratio is what purpose checks, decryption and the access log cost per request.
 */
import autocannon from 'autocannon';
import { sql } from 'kysely';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo } from './support.ts';
import { buildApp } from '../src/http/build-app.ts';
import { createLogger } from '../src/http/logger.ts';
import { loadConfig } from '../src/config/config.ts';
import { SigiloError } from '../src/errors.ts';
import { StaffTokenService } from '../src/tokens/staff-token.service.ts';

const CONNECTIONS = 32;

/** Runs P3 (SQLite only: the target is for the embedded default). */
export async function run(opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const people = opts.quick ? 300 : 2000;
  const seconds = opts.quick ? 3 : 10;
  const b = await benchSigilo('sqlite');
  try {
    const { sigilo } = b;
    const phones: string[] = [];
    await sql`create table bench_plain_people (id integer primary key, name text, phone text, email text)`.execute(
      sigilo.store.db,
    );
    await sql`create index bench_plain_people_phone on bench_plain_people (phone)`.execute(sigilo.store.db);
    for (let i = 0; i < people; i++) {
      const sub = String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, '0');
      const phone = `+55119${sub}`;
      const row = { name: `Pessoa ${i} da Silva`, phone, email: `pessoa${i}@exemplo.com.br` };
      phones.push(phone);
      await sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
        sigilo.services.people.create(s, { name: row.name, phones: [row.phone], emails: [row.email] }),
      );
      await sql`insert into bench_plain_people (name, phone, email) values (${row.name}, ${row.phone}, ${row.email})`.execute(
        sigilo.store.db,
      );
    }

    const config = loadConfig({
      SIGILO_DATA_DIR: b.sqliteFile!.replace(/\/[^/]+$/, ''),
      SIGILO_LOG_LEVEL: 'silent',
    });
    const tokens = new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), sigilo.now, {
      defaultTtlDays: 1,
      // As the server builds it (SIGILO_TOKEN_CACHE_MS): both the gated route and the baseline use it.
      cacheMs: config.auth.tokenCacheMs,
      accessLog: sigilo.accessLog.writer,
      labels: sigilo.tokenLabels,
    });
    const app = await buildApp(sigilo, config, { logger: createLogger('silent'), tokens });
    // The baseline lives in the same server: same token check, same JSON, no gate, plaintext rows.
    app.post('/bench/plain-lookup', async (request) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer) throw new SigiloError('UNAUTHENTICATED', 'token required');
      await tokens.authenticate(bearer);
      const { phone } = request.body as { phone: string };
      const { rows } = await sql<{ id: number; name: string; phone: string; email: string }>`
        select id, name, phone, email from bench_plain_people where phone = ${phone}`.execute(
        sigilo.store.db,
      );
      return {
        people: rows.map((r) => ({
          id: String(r.id),
          name: r.name,
          phones: [{ value: r.phone }],
          emails: [{ value: r.email }],
        })),
      };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const { token } = await tokens.create({ role: 'support_agent', label: 'bench', createdBy: 'bench' });
    const phone = phones[Math.floor(people / 2)]!;
    const body = JSON.stringify({ phone });
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'sigilo-purpose': 'support',
    };

    const load = async (path: string, duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        connections: CONNECTIONS,
        duration,
        method: 'POST',
        headers,
        body,
        // The load generator gets its own thread so it does not steal the server's event loop.
        workers: 1,
      });

    // Time the server's thread was busy per answer (autocannon runs in a worker thread of its own): on a shared,
    // loaded machine it moves far less than requests per second do.
    const busy = async (path: string) => {
      const before = performance.eventLoopUtilization();
      const result = await load(path, seconds);
      const elu = performance.eventLoopUtilization(before);
      return { result, usPerRequest: (elu.active * 1000) / Math.max(result.requests.total, 1) };
    };
    await load('/v1/people/lookup', 1); // warm-up
    const logBefore = await countLog(b);
    const { result: gated, usPerRequest: gatedUs } = await busy('/v1/people/lookup');
    const logAfter = await countLog(b);
    await load('/bench/plain-lookup', 1);
    const { result: plain, usPerRequest: plainUs } = await busy('/bench/plain-lookup');
    await app.close();
    for (const [name, r] of [
      ['Sigilo', gated],
      ['baseline', plain],
    ] as const) {
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    }
    const entriesPerRequest = (logAfter - logBefore) / gated.requests.total;
    const rate = Math.round(gated.requests.average);
    const baseRate = Math.round(plain.requests.average);
    return [
      {
        id: 'P3',
        what: `audited lookup by phone over HTTP, ${CONNECTIONS} connections, ${seconds} s, SQLite (${people} people; ${entriesPerRequest.toFixed(1)} access-log entries per request)`,
        value: rate,
        unit: 'req/s',
        baseline: 'same server, same token check, plaintext table, no gate',
        baselineValue: baseRate,
        ratio: Number((baseRate / rate).toFixed(2)),
        ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
        target: '≥ 5,000 req/s',
        pass: rate >= 5000,
      },
      {
        id: 'P3-p99',
        what: `p99 latency of the same run`,
        value: gated.latency.p99,
        unit: 'ms',
        baseline: 'same server, plaintext table, no gate',
        baselineValue: plain.latency.p99,
        ratio: Number((gated.latency.p99 / Math.max(plain.latency.p99, 0.001)).toFixed(2)),
        ratioMeaning: 'for times: Sigilo time / baseline time',
        target: '≤ 20 ms',
        pass: gated.latency.p99 <= 20,
      },
      {
        id: 'P3-busy',
        what: 'server thread busy per answer in the same run (event-loop utilisation × time / requests)',
        value: Math.round(gatedUs),
        unit: 'µs',
        baseline: 'same server, plaintext table, no gate',
        baselineValue: Math.round(plainUs),
        ratio: Number((gatedUs / Math.max(plainUs, 0.001)).toFixed(2)),
        ratioMeaning: 'for times: Sigilo time / baseline time',
      },
    ];
  } finally {
    await b.cleanup();
  }
}

async function countLog(b: Awaited<ReturnType<typeof benchSigilo>>): Promise<number> {
  const row = await b.sigilo.store.db
    .selectFrom('access_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
