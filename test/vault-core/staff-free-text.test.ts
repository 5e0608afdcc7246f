/**
 * Free text staff type may hold personal data (issue 13 §6): a credential's label is sealed like its secret, and
 * still comes back to whoever may list or reveal the credential. Labels stored in clear before are sealed at the
 * next start and their clear column dropped.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { createTestApp, seedCustomer, type TestApp } from '../support/http.ts';
import { ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { scanFiles, scanForClear } from '../support/raw-scan.ts';

const LABEL = 'SIP do ramal da Zulmira Quaresma';
const OLD_LABEL = 'chave API do Epaminondas Teixeira';

describe.each(DIALECTS)('staff free text on %s', (dialect) => {
  let h: TestApp;
  let personId: string;
  let credentialId: string;

  beforeAll(async () => {
    h = await createTestApp(dialect);
    personId = (await seedCustomer(h.sigilo)).personId;
  });
  afterAll(async () => h?.cleanup());

  it('a credential label is sealed, and listed and revealed as it was typed', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/people/${personId}/provisioning-secrets`,
      headers: await h.headers('provisioning', 'provisioning'),
      payload: { label: LABEL, secret: 'segredo-sip-123456' },
    });
    expect(res.statusCode, res.body).toBe(201);
    credentialId = res.json<{ id: string }>().id;
    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/people/${personId}/credentials`,
      headers: await h.headers('provisioning', 'provisioning'),
    });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).toContain(LABEL);
    const reveal = await h.app.inject({
      method: 'POST',
      url: `/v1/credentials/${credentialId}/reveal`,
      headers: await h.headers('provisioning', 'provisioning'),
    });
    expect(reveal.json<{ label: string }>().label).toBe(LABEL);

    expect(await scanForClear(h.sigilo.store, ['Zulmira', 'Quaresma'])).toEqual([]);
    if (dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(truncate)`.execute(h.sigilo.store.db);
      expect(scanFiles(h.config.dataDir, ['Zulmira', 'Quaresma'])).toEqual([]);
    }
  });

  it('labels stored in clear before are sealed at the next start, and the clear column goes', async () => {
    const db = h.sigilo.store.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const migrator = new Migrator({ db, provider: migrationProvider });
    const down = await migrator.migrateTo('2026-12-04T1500-attribution-rules-sealed');
    expect(down.error).toBeUndefined();
    // The old schema: the label in clear.
    await db.updateTable('credentials').set({ label: OLD_LABEL }).where('id', '=', credentialId).execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await scanForClear(h.sigilo.store, ['Epaminondas'])).not.toEqual([]);

    const next = await h.reopen();
    expect(await scanForClear(next.store, ['Epaminondas', 'Zulmira'])).toEqual([]);
    const labels = await next.gate.run(ctx('provisioning', 'provisioning'), (s) =>
      next.services.credentials.list(s, personId),
    );
    expect(labels.map((l) => l.label)).toContain(OLD_LABEL);
    const log = await next.store.db
      .selectFrom('access_log')
      .select(['operation', 'role', 'subject_id', 'reason'])
      .where('request_id', '=', 'start:seal-legacy-columns')
      .execute();
    expect(log).toEqual([
      { operation: 'seal_legacy', role: 'system', subject_id: personId, reason: 'credentials.label' },
    ]);
    expect((await next.accessLog.verify()).ok).toBe(true);
  });
});
