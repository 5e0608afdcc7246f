/**
 * The token cache across instances (docs/configuration.md, SIGILO_TOKEN_CACHE_MS): two apps over one database, as
 * two stateless instances behind a balancer are. A token revoked through instance A is refused by A at once and
 * by B within the cache time, over HTTP; B never answers with it after that bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { buildApp, type SigiloApp } from '../http/build-app.ts';
import { createLogger } from '../http/logger.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { createTestSigilo } from '../../test/support/sigilo.ts';
import { StaffTokenService } from './staff-token.service.ts';

const CACHE_MS = 400;

describe.each(DIALECTS)('a revoked token on two instances over one %s database', (dialect) => {
  let t: Awaited<ReturnType<typeof createTestSigilo>>;
  const instances: { app: SigiloApp; tokens: StaffTokenService }[] = [];
  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    const config = loadConfig({
      SIGILO_DATA_DIR: t.dir,
      SIGILO_LOG_LEVEL: 'silent',
      SIGILO_TOKEN_CACHE_MS: String(CACHE_MS),
    });
    for (const sigilo of [t.sigilo, await t.reopen()] as Sigilo[]) {
      // As the server builds it, on real time: the bound is measured, not simulated.
      const tokens = new StaffTokenService(
        sigilo.store,
        () => sigilo.policies.policy(),
        () => new Date(),
        {
          defaultTtlDays: 1,
          cacheMs: config.auth.tokenCacheMs,
          accessLog: sigilo.accessLog.writer,
          labels: sigilo.tokenLabels,
        },
      );
      const app = await buildApp(sigilo, config, { logger: createLogger('silent'), tokens });
      await app.ready();
      instances.push({ app, tokens });
    }
  });
  afterAll(async () => {
    for (const i of instances) await i.app.close();
    await t.cleanup();
  });

  it('is refused by the revoking instance at once and by the other within SIGILO_TOKEN_CACHE_MS', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const { token, info } = await a.tokens.create({
      role: 'billing',
      label: 'two instances',
      createdBy: 'cli',
    });
    const me = (i: typeof a) =>
      i.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    // Both instances hold the token's row in their cache.
    expect((await me(a)).statusCode).toBe(200);
    expect((await me(b)).statusCode).toBe(200);

    await a.tokens.revoke(info.id, 'cli');
    const revokedAt = performance.now();
    const here = await me(a);
    expect(here.statusCode).toBe(401);
    expect(here.json()).toMatchObject({ error: { code: 'TOKEN_REVOKED' } });

    let refusedAfter: number | null = null;
    while (refusedAfter === null && performance.now() - revokedAt < CACHE_MS * 5) {
      const there = await me(b);
      if (there.statusCode === 401) {
        expect(there.json()).toMatchObject({ error: { code: 'TOKEN_REVOKED' } });
        refusedAfter = performance.now() - revokedAt;
      } else {
        expect(there.statusCode).toBe(200);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect(refusedAfter).not.toBeNull();
    // The cached row was read before the revocation, so it expires within CACHE_MS of it (slack: a request on a loaded machine).
    expect(refusedAfter!).toBeLessThanOrEqual(CACHE_MS + 300);
    // And stays refused.
    for (let i = 0; i < 5; i++) expect((await me(b)).statusCode).toBe(401);
  });
});
