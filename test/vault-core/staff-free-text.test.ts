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
const TOKEN_LABEL = 'notebook da Josefina Bezerra';
const OLD_TOKEN_LABEL = 'celular do Teodoro Albuquerque';

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

  it('a staff token label is sealed under the staff-text key, and listed as it was typed', async () => {
    const { info } = await h.tokens.create({ role: 'auditor', label: TOKEN_LABEL, createdBy: 'test' });
    expect(info.label).toBe(TOKEN_LABEL);
    const listed = await h.tokens.list();
    expect(listed.find((t) => t.id === info.id)?.label).toBe(TOKEN_LABEL);
    const res = await h.app.inject({ method: 'GET', url: '/v1/tokens', headers: await h.headers('admin') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(TOKEN_LABEL);
    expect(await scanForClear(h.sigilo.store, ['Josefina', 'Bezerra'])).toEqual([]);
    // A label copied onto another token's row does not open there.
    const other = listed.find((t) => t.id !== info.id)!;
    const db = h.sigilo.store.db as unknown as Kysely<{ staff_tokens: { id: string; label_ct: Buffer } }>;
    const row = await db
      .selectFrom('staff_tokens')
      .select('label_ct')
      .where('id', '=', info.id)
      .executeTakeFirstOrThrow();
    const saved = await db
      .selectFrom('staff_tokens')
      .select('label_ct')
      .where('id', '=', other.id)
      .executeTakeFirstOrThrow();
    await db.updateTable('staff_tokens').set({ label_ct: row.label_ct }).where('id', '=', other.id).execute();
    await expect(h.tokens.list()).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' });
    await db
      .updateTable('staff_tokens')
      .set({ label_ct: saved.label_ct })
      .where('id', '=', other.id)
      .execute();
  });

  it('labels stored in clear before are sealed at the next start, and the clear column goes', async () => {
    const db = h.sigilo.store.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const migrator = new Migrator({ db, provider: migrationProvider });
    const down = await migrator.migrateTo('2026-12-04T1500-attribution-rules-sealed');
    expect(down.error).toBeUndefined();
    // The old schema: the label in clear.
    await db.updateTable('credentials').set({ label: OLD_LABEL }).where('id', '=', credentialId).execute();
    await db.updateTable('staff_tokens').set({ label: OLD_TOKEN_LABEL }).execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await scanForClear(h.sigilo.store, ['Epaminondas'])).not.toEqual([]);
    expect(await scanForClear(h.sigilo.store, ['Teodoro'])).not.toEqual([]);

    const next = await h.reopen();
    expect(await scanForClear(next.store, ['Epaminondas', 'Zulmira', 'Teodoro', 'Josefina'])).toEqual([]);
    expect(new Set((await h.tokens.list()).map((t) => t.label))).toEqual(new Set([OLD_TOKEN_LABEL]));
    const labels = await next.gate.run(ctx('provisioning', 'provisioning'), (s) =>
      next.services.credentials.list(s, personId),
    );
    expect(labels.map((l) => l.label)).toContain(OLD_LABEL);
    const log = await next.store.db
      .selectFrom('access_log')
      .select(['operation', 'role', 'subject_id', 'reason'])
      .where('request_id', '=', 'start:seal-legacy-columns')
      .execute();
    expect(log).toContainEqual({
      operation: 'seal_legacy',
      role: 'system',
      subject_id: personId,
      reason: 'credentials.label',
    });
    expect(log).toContainEqual(
      expect.objectContaining({
        operation: 'seal_legacy',
        subject_id: null,
        reason: expect.stringMatching(/^staff_tokens\.label: \d+$/) as unknown,
      }),
    );
    expect((await next.accessLog.verify()).ok).toBe(true);
  });
});
