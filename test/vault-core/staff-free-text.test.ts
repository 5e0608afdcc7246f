/**
 * Free text staff type may hold personal data (issue 13 §6): a credential's label is sealed like its secret, and
 * still comes back to whoever may list or reveal the credential; a token's label, a legal hold's reasons and
 * references, and the details of the histories of holds, authority requests and subject requests are sealed too
 * and still come back to the roles that may read them. Text stored in clear before is sealed at the next start and
 * its clear column dropped.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { createTestApp, seedCustomer, type TestApp } from '../support/http.ts';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';
import { ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { scanFiles, scanForClear } from '../support/raw-scan.ts';

const LABEL = 'SIP do ramal da Zulmira Quaresma';
const OLD_LABEL = 'chave API do Epaminondas Teixeira';
const TOKEN_LABEL = 'notebook da Josefina Bezerra';
const OLD_TOKEN_LABEL = 'celular do Teodoro Albuquerque';
// A legal hold's text, and an authority decision's reasons: each distinctive word must never be found in clear.
const HOLD_REASON = 'Litígio movido pela Leocádia Fagundes';
const AUTHORITY_REF = 'Ofício Quitéria-2026';
const COURT_REF = 'Processo Belmira-0099';
const EXTEND_REASON = 'Prorrogação pedida pelo Anacleto Rebouças';
const RELEASE_REASON = 'Acordo homologado com a Gertrudes Valadares';
const DECISION_REASONS = 'Ordem não cita o Ermenegildo Sarmento';
const HOLD_WORDS = ['Leocádia', 'Quitéria', 'Belmira', 'Anacleto', 'Gertrudes', 'Ermenegildo'];
const OLD_HOLD_REASON = 'Pedido antigo do Policarpo Quaresma';
const OLD_EVENT_REASON = 'Nota antiga da Filomena Borba';
const OLD_DECISION = 'Decisão antiga sobre o Casimiro Abreu';
const OLD_WORDS = ['Policarpo', 'Filomena', 'Casimiro'];

describe.each(DIALECTS)('staff free text on %s', (dialect) => {
  let h: TestApp;
  let personId: string;
  let accountId: string;
  let credentialId: string;
  let holdId: string;
  let authorityId: string;
  let subjectRequestId: string;

  beforeAll(async () => {
    h = await createTestApp(dialect);
    ({ personId, accountId } = await seedCustomer(h.sigilo));
  });

  /** Every clear hit of `words` in any table, and (SQLite) in the database and WAL files. */
  const clearHits = async (words: string[]): Promise<string[]> => {
    const hits = await scanForClear(h.sigilo.store, words);
    if (dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(truncate)`.execute(h.sigilo.store.db);
      hits.push(...scanFiles(h.config.dataDir, words));
    }
    return hits;
  };
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

  it("a legal hold's reasons and references and its history are sealed, and read back by the roles that may", async () => {
    const legal = await h.headers('legal', 'legal_obligation');
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: legal,
      payload: {
        kind: 'preservation',
        scope: { kind: 'account', id: accountId },
        categories: ['call_record'],
        reason: HOLD_REASON,
        authorityRequestRef: AUTHORITY_REF,
        expiresAt: '2026-12-20',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    holdId = created.json<{ id: string }>().id;
    for (const [url, payload] of [
      [`/v1/holds/${holdId}/extend`, { expiresAt: '2026-12-27', reason: EXTEND_REASON }],
      [`/v1/holds/${holdId}/court-request`, { ref: COURT_REF }],
      [`/v1/holds/${holdId}/release`, { reason: RELEASE_REASON }],
    ] as const) {
      const res = await h.app.inject({ method: 'POST', url, headers: legal, payload });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
    for (const role of ['legal', 'dpo', 'auditor']) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/holds/${holdId}`,
        headers: await h.headers(role, 'legal_obligation'),
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{
        hold: Record<string, unknown>;
        history: { kind: string; details: Record<string, unknown> }[];
      }>();
      expect(body.hold).toMatchObject({
        reason: HOLD_REASON,
        authorityRequestRef: AUTHORITY_REF,
        courtRequestRef: COURT_REF,
        releaseReason: RELEASE_REASON,
        status: 'released',
      });
      expect(body.history.find((e) => e.kind === 'extended')?.details.reason).toBe(EXTEND_REASON);
      expect(body.history.find((e) => e.kind === 'released')?.details.reason).toBe(RELEASE_REASON);
    }
    const list = await h.app.inject({ method: 'GET', url: '/v1/holds', headers: legal });
    expect(list.body).toContain(HOLD_REASON);
    // Roles the holds are not for see none of it.
    const denied = await h.app.inject({
      method: 'GET',
      url: `/v1/holds/${holdId}`,
      headers: await h.headers('support_agent', 'support'),
    });
    expect(denied.statusCode).toBe(403);
    // Each read of the text is in the access log, with no subject (a hold is not shown in the subject's history).
    const reads = await h.sigilo.store.db
      .selectFrom('access_log')
      .select(['operation', 'subject_id', 'outcome'])
      .where('operation', '=', 'legal_hold.read')
      .execute();
    expect(reads.length).toBeGreaterThanOrEqual(7);
    expect(reads.every((r) => r.subject_id === null && r.outcome === 'allowed')).toBe(true);
    expect(await clearHits(HOLD_WORDS)).toEqual([]);
  });

  it('a hold reason holding an identifier is refused, and the refusal does not echo it', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/holds',
      headers: await h.headers('legal', 'legal_obligation'),
      payload: {
        kind: 'litigation',
        scope: { kind: 'person', id: personId },
        categories: ['call_record'],
        reason: 'Cliente CPF 529.982.247-25 pediu',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ error: { code: string; details: unknown } }>().error).toMatchObject({
      code: 'SENSITIVE_DATA_DETECTED',
      details: { path: 'hold.reason', classes: ['cpf'] },
    });
    expect(res.body).not.toContain('529.982.247-25');
  });

  it("an authority decision's reasons are sealed in the request's history, never in the access log", async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/authority-requests',
      headers: await h.headers('legal', 'authority_order'),
      payload: cdrOrder({ externalReference: 'IP 4321/2026-DEIC' }),
    });
    expect(created.statusCode, created.body).toBe(201);
    authorityId = created.json<{ id: string }>().id;
    const flagged = await h.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${authorityId}/reject`,
      headers: await h.headers('legal', 'authority_order'),
      payload: { reasons: 'Titular do CPF 529.982.247-25' },
    });
    expect(flagged.statusCode).toBe(422);
    expect(flagged.json<{ error: { code: string } }>().error.code).toBe('SENSITIVE_DATA_DETECTED');
    expect(flagged.body).not.toContain('529.982.247-25');
    const rejected = await h.app.inject({
      method: 'POST',
      url: `/v1/authority-requests/${authorityId}/reject`,
      headers: await h.headers('legal', 'authority_order'),
      payload: { reasons: DECISION_REASONS },
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const read = await h.app.inject({
      method: 'GET',
      url: `/v1/authority-requests/${authorityId}`,
      headers: await h.headers('legal', 'authority_order'),
    });
    expect(read.statusCode, read.body).toBe(200);
    const history = read.json<{ history: { kind: string; details: Record<string, unknown> }[] }>().history;
    expect(history.find((e) => e.kind === 'rejected')?.details.reasons).toBe(DECISION_REASONS);
    expect(await clearHits(HOLD_WORDS)).toEqual([]);
  });

  it("a subject request's history is sealed and still shown to the DPO", async () => {
    const view = await h.sigilo.gate.run(ctx('dpo', 'subject_request'), (s) =>
      h.sigilo.services.subjectRequests.create(s, {
        subjectId: personId,
        type: 'access_complete',
        channel: 'email',
      }),
    );
    subjectRequestId = view.id;
    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/subject-requests/${subjectRequestId}`,
      headers: await h.headers('dpo', 'subject_request'),
    });
    expect(res.statusCode, res.body).toBe(200);
    const history = res.json<{ history: { kind: string; details: Record<string, unknown> }[] }>().history;
    expect(history[0]).toMatchObject({
      kind: 'received',
      details: { type: 'access_complete', channel: 'email' },
    });
    // No clear JSON left in any event table: only ids, kinds, times, actors and ciphertext.
    for (const table of ['subject_request_events', 'authority_request_events', 'legal_hold_events']) {
      const rows = (
        await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(h.sigilo.store.db)
      ).rows;
      expect(rows.length, table).toBeGreaterThan(0);
      for (const row of rows) {
        expect(Object.keys(row), table).not.toContain('details');
        expect(Buffer.isBuffer(row.details_ct), table).toBe(true);
      }
    }
  });

  it('labels stored in clear before are sealed at the next start, and the clear column goes', async () => {
    const db = h.sigilo.store.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const migrator = new Migrator({ db, provider: migrationProvider });
    const down = await migrator.migrateTo('2026-12-04T1500-attribution-rules-sealed');
    expect(down.error).toBeUndefined();
    // The old schema: the label in clear.
    await db.updateTable('credentials').set({ label: OLD_LABEL }).where('id', '=', credentialId).execute();
    await db.updateTable('staff_tokens').set({ label: OLD_TOKEN_LABEL }).execute();
    // And the hold and history text of before, in clear.
    await db
      .updateTable('legal_holds')
      .set({ reason: OLD_HOLD_REASON, release_reason: OLD_HOLD_REASON, authority_request_ref: AUTHORITY_REF })
      .where('id', '=', holdId)
      .execute();
    await db
      .updateTable('legal_hold_events')
      .set({ details: JSON.stringify({ reason: OLD_EVENT_REASON }) })
      .where('hold_id', '=', holdId)
      .execute();
    await db
      .updateTable('authority_request_events')
      .set({ details: JSON.stringify({ reasons: OLD_DECISION }) })
      .where('request_id', '=', authorityId)
      .execute();
    await db
      .updateTable('subject_request_events')
      .set({ details: JSON.stringify({ type: 'access_complete', note: 'old' }) })
      .where('request_id', '=', subjectRequestId)
      .execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    for (const word of OLD_WORDS) expect(await scanForClear(h.sigilo.store, [word])).not.toEqual([]);
    expect(await scanForClear(h.sigilo.store, ['Epaminondas'])).not.toEqual([]);
    expect(await scanForClear(h.sigilo.store, ['Teodoro'])).not.toEqual([]);

    const next = await h.reopen();
    expect(await scanForClear(next.store, ['Epaminondas', 'Zulmira', 'Teodoro', 'Josefina'])).toEqual([]);
    expect(await clearHits([...OLD_WORDS, ...HOLD_WORDS])).toEqual([]);
    const legal = ctx('legal', 'legal_obligation');
    expect(await next.retention.holds.get(legal, holdId)).toMatchObject({
      reason: OLD_HOLD_REASON,
      releaseReason: OLD_HOLD_REASON,
      authorityRequestRef: AUTHORITY_REF,
    });
    const holdHistory = await next.retention.holds.history(legal, holdId);
    expect(holdHistory.every((e) => e.details.reason === OLD_EVENT_REASON)).toBe(true);
    const authorityHistory = await next.gate.run(ctx('legal', 'authority_order'), (s) =>
      next.services.authorityRequests.history(s, authorityId),
    );
    expect(authorityHistory.map((e) => e.details)).toContainEqual({ reasons: OLD_DECISION });
    const requestHistory = await next.gate.run(ctx('dpo', 'subject_request'), (s) =>
      next.services.subjectRequests.history(s, subjectRequestId),
    );
    expect(requestHistory[0]?.details).toEqual({ type: 'access_complete', note: 'old' });
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
    for (const reason of [
      'legal_holds.reason: 1',
      'legal_hold_events.details: 4',
      'subject_request_events.details: 1',
    ]) {
      expect(log).toContainEqual(
        expect.objectContaining({ operation: 'seal_legacy', subject_id: null, reason }),
      );
    }
    expect(log).toContainEqual({
      operation: 'seal_legacy',
      role: 'system',
      subject_id: authorityId,
      reason: 'authority_request_events.details',
    });
    expect((await next.accessLog.verify()).ok).toBe(true);
  });
});
