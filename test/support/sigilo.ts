import path from 'node:path';
import { initSigilo, openSigilo, type Sigilo } from '../../src/app.ts';
import { loadConfig, type SigiloConfig } from '../../src/config/config.ts';
import type { AccessContext } from '../../src/gate/access-context.ts';
import { LocalKeyFileProvider } from '../../src/keys/local-key-file.provider.ts';
import type { StoreDialect } from '../../src/store/store.ts';
import { createTestStore } from './stores.ts';

/** A settable clock for tests that walk time forward. */
export interface TestClock {
  now: () => Date;
  set(iso: string): void;
  advanceDays(days: number): void;
}

/** A clock starting at `iso`. */
export function testClock(iso = '2026-11-26T12:00:00.000Z'): TestClock {
  let t = new Date(iso).getTime();
  return {
    now: () => new Date(t),
    set: (v) => {
      t = new Date(v).getTime();
    },
    advanceDays: (d) => {
      t += d * 86_400_000;
    },
  };
}

/** A fully initialised Sigilo on a fresh store of `dialect`, with its own key file; `cleanup` removes it all. */
export async function createTestSigilo(
  dialect: StoreDialect,
  options: { clock?: TestClock; checkpointEvery?: number } = {},
): Promise<{
  sigilo: Sigilo;
  config: SigiloConfig;
  dir: string;
  /** Environment for a child process that should open this same Sigilo. */
  env: Record<string, string>;
  clock: TestClock;
  cleanup: () => Promise<void>;
  reopen: () => Promise<Sigilo>;
}> {
  const t = await createTestStore(dialect, { migrate: false });
  const clock = options.clock ?? testClock();
  const config = loadConfig({
    SIGILO_DATA_DIR: t.dir,
    SIGILO_LOG_LEVEL: 'silent',
    SIGILO_CHECKPOINT_EVERY: String(options.checkpointEvery ?? 1000),
  });
  const keyFile = path.join(t.dir, 'master.key');
  const keyProvider = await LocalKeyFileProvider.create(keyFile);
  await initSigilo(config, { store: t.store, keyProvider, now: clock.now });
  const sigilo = await openSigilo(config, { store: t.store, keyProvider, now: clock.now });
  const opened: Sigilo[] = [];
  return {
    sigilo,
    config,
    dir: t.dir,
    env: t.env,
    clock,
    reopen: async () => {
      const s = await openSigilo(config, {
        store: t.reopen(),
        keyProvider: await LocalKeyFileProvider.open(keyFile),
        now: clock.now,
      });
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      // Pending refusal summaries and the head file are written before the store goes (no timer fires later).
      await sigilo.accessLog.security.close().catch(() => undefined);
      await sigilo.accessLog.writer.close();
      await sigilo.services.telecomIngest.close(); // ingest worker threads; the store is closed below
      await t.cleanup();
    },
  };
}

let requestCounter = 0;
/** An access context for `role` and `purpose` (request ids unique per test run). */
export function ctx(role: string, purpose: string | null, actor = `${role}-1`): AccessContext {
  requestCounter += 1;
  return { actor, role, purpose, requestId: `req-${requestCounter}`, justification: 'test' };
}

/** The subject portal's context, acting for one data subject (it can reach nothing without one). */
export function portalCtx(purpose: string | null, subjectId: string): AccessContext {
  return { ...ctx('subject_portal', purpose), actingForSubject: subjectId };
}

/** Sample people and accounts: valid identifiers that tests assert never leak into logs. */
export const SAMPLE = {
  companyName: 'Acme Telecomunicações Ltda',
  cnpj: '11.222.333/0001-81',
  personName: 'Maria da Silva Souza',
  cpf: '529.982.247-25',
  phone: '(11) 98765-4321',
  phoneE164: '+5511987654321',
  email: 'Maria.Souza@Example.com.br',
  ip: '200.160.2.3',
  address: {
    street: 'Avenida Paulista',
    number: '1578',
    district: 'Bela Vista',
    city: 'São Paulo',
    state: 'SP',
    cep: '01310-200',
  },
  password: 'correct horse battery staple',
  sipSecret: 'sip-s3cr3t-9f8e7d',
} as const;
