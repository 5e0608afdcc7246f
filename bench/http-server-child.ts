/**
 * One Sigilo HTTP server in a process of its own, for P3 (bench/http.bench.ts): it opens the store the parent seeded
 * (SQLite file or PostgreSQL schema), builds the app as the real server does, adds the plaintext baseline route
 * (same token check, same JSON, no gate) and listens on a free loopback port. It talks to the parent over IPC:
 * `{ port }` once listening; on `'cpu'` it answers its CPU time so far; on `'close'` it closes and exits.
 * Usage: node --import tsx bench/http-server-child.ts <sqlite|postgres> <data dir> [schema]
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { openSigilo } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { SigiloError } from '../src/errors.ts';
import { buildApp } from '../src/http/build-app.ts';
import { createLogger } from '../src/http/logger.ts';
import { LocalKeyFileProvider } from '../src/keys/local-key-file.provider.ts';
import { openPostgresStore, openSqliteStore } from '../src/store/store.ts';
import { StaffTokenService } from '../src/tokens/staff-token.service.ts';
import { PG_URL } from './support.ts';

const [dialect, dir, schema] = process.argv.slice(2);
if (!dir || (dialect !== 'sqlite' && dialect !== 'postgres'))
  throw new Error('usage: <sqlite|postgres> <dir> [schema]');
const send = (m: unknown): void => void process.send?.(m);

const config = loadConfig({ SIGILO_DATA_DIR: dir, SIGILO_LOG_LEVEL: 'silent' });
const store =
  dialect === 'sqlite'
    ? openSqliteStore(path.join(dir, 'sigilo.db'))
    : openPostgresStore({ connectionString: PG_URL, schema: schema!, maxConnections: 10 });
const keyProvider = await LocalKeyFileProvider.open(path.join(dir, 'master.key'));
const sigilo = await openSigilo(config, { store, keyProvider });
const tokens = new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), sigilo.now, {
  defaultTtlDays: 1,
  cacheMs: config.auth.tokenCacheMs,
  accessLog: sigilo.accessLog.writer,
  labels: sigilo.tokenLabels,
});
// SIGILO_BENCH_LOG=info measures the per-request log line as production writes it (to /dev/null here).
const logLevel = process.env.SIGILO_BENCH_LOG === 'info' ? 'info' : 'silent';
const logger = createLogger(logLevel, logLevel === 'info' ? fs.createWriteStream('/dev/null') : undefined);
// Log transactions per answer: every append is one (a lone read's own transaction or one group commit).
let appends = 0;
const writer = sigilo.accessLog.writer;
const append = writer.append.bind(writer);
writer.append = (tx, entries) => {
  appends++;
  return append(tx, entries);
};
const app = await buildApp(sigilo, config, { logger, tokens });
app.post('/bench/plain-lookup', async (request) => {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer) throw new SigiloError('UNAUTHENTICATED', 'token required');
  await tokens.authenticate(bearer);
  const { phone } = request.body as { phone: string };
  const { rows } = await sql<{ id: number; name: string; phone: string; email: string }>`
    select id, name, phone, email from bench_plain_people where phone = ${phone}`.execute(sigilo.store.db);
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
let profiler: Session | null = null;
process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m && 'profile' in m) {
    // A CPU profile of one load phase (SIGILO_BENCH_CPU_PROF): started and stopped by the parent around it.
    const file = (m as { profile: string | null }).profile;
    void (async () => {
      if (file === null) {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
      } else if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        fs.writeFileSync(file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = null;
      }
      send({ profiled: file });
    })();
  } else if (m === 'cpu') {
    const u = process.cpuUsage();
    send({ usage: { cpuUs: u.user + u.system, appends } });
  } else if (m === 'close') {
    void (async () => {
      await app.close();
      await sigilo.close();
      send({ closed: true });
      process.disconnect();
      process.exit(0);
    })();
  }
});
send({ port: (app.server.address() as { port: number }).port });
