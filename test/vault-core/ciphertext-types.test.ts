/**
 * An attacker who can write the database but holds no key stores something that is not a ciphertext where one
 * belongs: text, an integer, NULL or zero bytes, in a sealed field, a wrapped key, a telecom segment payload or a
 * recording's key reference. Every read must fail with INTEGRITY_ERROR, logged by the gate as an error entry like
 * a bad tag, and over HTTP answer 500 INTEGRITY_ERROR, never the generic INTERNAL_ERROR of a crash.
 *
 * On PostgreSQL a bytea column holds only bytes, so text, integers and NULL need DDL there (the attacker can run
 * it too): the column is replaced by one of another type. On SQLite a blob column takes text and integers as
 * they are; NULL needs the same replacement (the column is NOT NULL).
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateSession } from '../../src/gate/gate.ts';
import { buildApp } from '../../src/http/build-app.ts';
import { createLogger } from '../../src/http/logger.ts';
import { Keyring } from '../../src/keys/keyring.ts';
import { LocalKeyFileProvider } from '../../src/keys/local-key-file.provider.ts';
import type { StoreDialect } from '../../src/store/store.ts';
import { StaffTokenService } from '../../src/tokens/staff-token.service.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { entriesFor, expectSigiloError, seedCustomer, type Customer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;
type Wrong = 'text' | 'integer' | 'NULL' | 'zero bytes';
const WRONG: Wrong[] = ['text', 'integer', 'NULL', 'zero bytes'];

interface Cell {
  table: string;
  column: string;
  /** Which rows are altered. */
  where: Record<string, string>;
  /** The column's own type (default: bytes). */
  integer?: boolean;
}

/**
 * Stores a value of kind `wrong` in `cell` and returns how to put everything back. Where the column type cannot
 * hold it, the column is swapped for one that can (renamed away, a new one added), and swapped back after.
 */
async function storeWrong(
  t: TestSigilo,
  dialect: StoreDialect,
  cell: Cell,
  wrong: Wrong,
): Promise<() => Promise<void>> {
  const db = t.sigilo.store.db;
  const { table, column } = cell;
  const where = sql.join(
    Object.entries(cell.where).map(([k, v]) => sql`${sql.ref(k)} = ${v}`),
    sql` and `,
  );
  const value = { text: 'not a ciphertext', integer: 42, NULL: null, 'zero bytes': Buffer.alloc(0) }[wrong];
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const own = cell.integer ? 'integer' : bytes;
  // SQLite stores any type in any column but NULL in a NOT NULL one; PostgreSQL only the column's own type.
  const fitsAsIs =
    dialect === 'sqlite' ? wrong !== 'NULL' : wrong === (cell.integer ? 'integer' : 'zero bytes');
  if (fitsAsIs) {
    const saved = await sql<{
      k: string;
      v: unknown;
    }>`select ${sql.ref(column)} as v, ${sql.raw(keyExpr(cell))} as k from ${sql.table(table)} where ${where}`.execute(
      db,
    );
    await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where ${where}`.execute(db);
    return async () => {
      for (const r of saved.rows) {
        await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${r.v} where ${sql.raw(keyExpr(cell))} = ${r.k}`.execute(
          db,
        );
      }
    };
  }
  const type = { text: 'text', integer: 'integer', NULL: own, 'zero bytes': bytes }[wrong];
  const saved = `${column}_saved`;
  await sql`alter table ${sql.table(table)} rename column ${sql.ref(column)} to ${sql.ref(saved)}`.execute(
    db,
  );
  await sql`alter table ${sql.table(table)} add column ${sql.ref(column)} ${sql.raw(type)}`.execute(db);
  if (value !== null) {
    await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where ${where}`.execute(db);
  }
  return async () => {
    await sql`alter table ${sql.table(table)} drop column ${sql.ref(column)}`.execute(db);
    await sql`alter table ${sql.table(table)} rename column ${sql.ref(saved)} to ${sql.ref(column)}`.execute(
      db,
    );
  };
}

/** A text key naming each altered row (data_keys has no id column). */
function keyExpr(cell: Cell): string {
  return cell.table === 'data_keys' ? `subject_id || '#' || version` : 'id';
}

describe.each(DIALECTS)('ciphertexts of the wrong type on %s', (dialect) => {
  let t: TestSigilo;
  let customer: Customer;
  let personSubject: string;
  let accountSubject: string;
  let recordingId: string;
  let recordingSubject: string;

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    customer = await seedCustomer(t.sigilo);
    const db = t.sigilo.store.db;
    personSubject = (
      await db
        .selectFrom('people')
        .select('subject_id')
        .where('id', '=', customer.personId)
        .executeTakeFirstOrThrow()
    ).subject_id;
    accountSubject = (
      await db
        .selectFrom('accounts')
        .select('subject_id')
        .where('id', '=', customer.accountId)
        .executeTakeFirstOrThrow()
    ).subject_id;
    const report = await t.sigilo.services.telecomIngest.ingestObjects(
      ctx('network_platform', 'provisioning'),
      'cdr',
      [
        {
          platformId: 'pbx-9:1',
          startedAt: '2026-11-20T12:00:00.000Z',
          answeredAt: '2026-11-20T12:00:05.000Z',
          endedAt: '2026-11-20T12:00:45.000Z',
          caller: '1101',
          callee: '011987654321',
          direction: 'outbound',
          disposition: 'answered',
        },
      ],
      { accountId: customer.accountId },
    );
    expect(report.stored).toBe(1);
    const stored = await t.sigilo.services.recordings.upload(
      ctx('support_agent', 'support'),
      customer.ticketId,
      Readable.from([Buffer.from('RIFF fake wav bytes')]),
      { contentType: 'audio/wav' },
    );
    recordingId = stored.id;
    recordingSubject = (
      await db
        .selectFrom('recordings')
        .select('subject_id')
        .where('id', '=', recordingId)
        .executeTakeFirstOrThrow()
    ).subject_id;
  });
  afterAll(async () => t?.cleanup());

  const readPerson = (s: GateSession) => t.sigilo.services.people.get(s, customer.personId);
  const readCalls = (s: GateSession) =>
    t.sigilo.services.telecomQuery.accountHistory(s, 'cdr', customer.accountId, {}, 100);
  const targets: { name: string; cell: () => Cell; read: (s: GateSession) => Promise<unknown> }[] = [
    {
      name: "a person's name (people.name_ct)",
      cell: () => ({ table: 'people', column: 'name_ct', where: { id: customer.personId } }),
      read: readPerson,
    },
    {
      name: 'a postal address, sealed JSON (addresses.address_ct)',
      cell: () => ({ table: 'addresses', column: 'address_ct', where: { subject_id: personSubject } }),
      read: readPerson,
    },
    {
      name: "the person's wrapped data key (data_keys.wrapped)",
      cell: () => ({ table: 'data_keys', column: 'wrapped', where: { subject_id: personSubject } }),
      read: readPerson,
    },
    {
      name: 'a telecom segment payload (telecom_segments.payload_ct)',
      cell: () => ({
        table: 'telecom_segments',
        column: 'payload_ct',
        where: { account_id: customer.accountId },
      }),
      read: readCalls,
    },
    {
      name: "the account's wrapped data key, read for its calls (data_keys.wrapped)",
      cell: () => ({ table: 'data_keys', column: 'wrapped', where: { subject_id: accountSubject } }),
      read: readCalls,
    },
  ];

  for (const target of targets) {
    it.each(WRONG)(`${target.name} holding %s: INTEGRITY_ERROR, logged as an error`, async (wrong) => {
      const restore = await storeWrong(t, dialect, target.cell(), wrong);
      try {
        const c = ctx('support_agent', 'support');
        await expectSigiloError(t.sigilo.gate.run(c, target.read), 'INTEGRITY_ERROR');
        const entries = await entriesFor(t.sigilo, c.requestId);
        expect(entries).toContainEqual(
          expect.objectContaining({
            outcome: 'error',
            reason: expect.stringMatching(/^INTEGRITY_ERROR/) as unknown,
          }),
        );
      } finally {
        await restore();
      }
      // Restored, the same read succeeds: the failure was the stored value.
      await t.sigilo.gate.run(ctx('support_agent', 'support'), target.read);
    });
  }

  it.each(WRONG)(
    'a recording whose key version holds %s cannot be downloaded: INTEGRITY_ERROR, logged',
    async (wrong) => {
      const cell: Cell = {
        table: 'recordings',
        column: 'key_version',
        where: { id: recordingId },
        integer: true,
      };
      const restore = await storeWrong(t, dialect, cell, wrong);
      try {
        const c = ctx('support_agent', 'support');
        await expectSigiloError(t.sigilo.services.recordings.download(c, recordingId), 'INTEGRITY_ERROR');
        expect(await entriesFor(t.sigilo, c.requestId)).toContainEqual(
          expect.objectContaining({ outcome: 'error' }),
        );
      } finally {
        await restore();
      }
      const { stream } = await t.sigilo.services.recordings.download(
        ctx('support_agent', 'support'),
        recordingId,
      );
      expect((await buffer(stream)).toString()).toBe('RIFF fake wav bytes');
    },
  );

  it.each(WRONG)(
    'a recording whose data key holds %s cannot be downloaded: INTEGRITY_ERROR, logged',
    async (wrong) => {
      const restore = await storeWrong(
        t,
        dialect,
        { table: 'data_keys', column: 'wrapped', where: { subject_id: recordingSubject } },
        wrong,
      );
      try {
        const c = ctx('support_agent', 'support');
        await expectSigiloError(t.sigilo.services.recordings.download(c, recordingId), 'INTEGRITY_ERROR');
        expect(await entriesFor(t.sigilo, c.requestId)).toContainEqual(
          expect.objectContaining({ outcome: 'error' }),
        );
      } finally {
        await restore();
      }
    },
  );

  it.each(WRONG)(
    'wrapped system key material holding %s stops the key ring from loading with INTEGRITY_ERROR',
    async (wrong) => {
      const provider = await LocalKeyFileProvider.open(path.join(t.dir, 'master.key'));
      for (const id of (await t.sigilo.store.db.selectFrom('key_material').select('id').execute()).map(
        (r) => r.id,
      )) {
        const restore = await storeWrong(
          t,
          dialect,
          { table: 'key_material', column: 'wrapped', where: { id } },
          wrong,
        );
        try {
          await expectSigiloError(new Keyring(provider).load(t.sigilo.store), 'INTEGRITY_ERROR');
        } finally {
          await restore();
        }
      }
      await new Keyring(provider).load(t.sigilo.store);
    },
  );

  it('answers 500 INTEGRITY_ERROR over HTTP, not INTERNAL_ERROR', async () => {
    const tokens = new StaffTokenService(t.sigilo.store, () => t.sigilo.policies.policy(), t.clock.now, {
      defaultTtlDays: 1,
      accessLog: t.sigilo.accessLog.writer,
      labels: t.sigilo.tokenLabels,
    });
    const app = await buildApp(t.sigilo, t.config, { logger: createLogger('silent'), tokens });
    const { token } = await tokens.create({ role: 'support_agent', label: 'wrong types', createdBy: 'test' });
    try {
      for (const wrong of WRONG) {
        const restore = await storeWrong(
          t,
          dialect,
          { table: 'people', column: 'name_ct', where: { id: customer.personId } },
          wrong,
        );
        try {
          const res = await app.inject({
            url: `/v1/people/${customer.personId}`,
            headers: { authorization: `Bearer ${token}`, 'sigilo-purpose': 'support' },
          });
          expect({
            wrong,
            status: res.statusCode,
            code: res.json<{ error: { code: string } }>().error.code,
          }).toEqual({
            wrong,
            status: 500,
            code: 'INTEGRITY_ERROR',
          });
        } finally {
          await restore();
        }
      }
    } finally {
      await app.close();
    }
  });
});
