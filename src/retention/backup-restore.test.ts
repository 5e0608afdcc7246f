import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Sigilo } from '../app.ts';
import { isSigiloError } from '../errors.ts';
import { createTestSigilo, ctx, SAMPLE } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { backupPostgres, backupSqlite, restorePostgres, restoreSqlite } from './backup.ts';
import { buildCustomer } from '../../test/retention/retention.fixture.ts';
import { SHRED_JOURNAL_FILE } from './shred-journal.ts';

const CONTRACT_GOES = '2032-07-01T03:00:00.000Z';

async function readPerson(sigilo: Sigilo, id: string): Promise<unknown> {
  return sigilo.gate.run(ctx('support_agent', 'support'), (s) => sigilo.services.people.get(s, id));
}

describe.each(DIALECTS)('backup and restore on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('restoring a backup taken before a shred does not bring the subject back', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    // X: its contract ends and, five years later, the sweep shreds it. Y: still a customer.
    const x = await buildCustomer(sigilo, clock, {
      signedOn: '2026-11-26',
      ticketOpenedAt: '2027-01-08T14:00:00.000Z',
      ticketResolvedAt: '2027-01-10T12:00:00.000Z',
      endedOn: '2027-06-30',
    });
    const y = await buildCustomer(sigilo, clock, {
      signedOn: '2027-08-01',
      ticketOpenedAt: '2027-09-08T14:00:00.000Z',
      ticketResolvedAt: '2027-09-10T12:00:00.000Z',
      endedOn: null,
    });

    const backupFile = path.join(t.dir, 'backups', `before-shred.${dialect === 'sqlite' ? 'db' : 'dump'}`);
    const pgUrl = inject('postgresUrl');
    let schema: string | undefined;
    if (dialect === 'sqlite') {
      await backupSqlite(sigilo.store, backupFile);
    } else {
      schema = (await sql<{ s: string }>`select current_schema() as s`.execute(sigilo.store.db)).rows[0]!.s;
      fs.mkdirSync(path.dirname(backupFile), { recursive: true });
      await backupPostgres({ url: pgUrl!, file: backupFile, schema });
    }

    // Shreds after the backup: X by the retention sweep (journalled at once), Y's contact by another path
    // (an erasure request), which reaches the journal only through the ledger sync of the restore procedure.
    clock.set(CONTRACT_GOES);
    const report = await sigilo.retention.run();
    expect(report.totals.shreddedSubjects).toBe(3);
    await sigilo.gate.run(ctx('system', 'legal_obligation'), (s) =>
      s.shredSubject(y.contactId, 'erasure request'),
    );
    // Someone with write access to the data directory appends a line to shred Y's owner: no valid signature.
    fs.appendFileSync(
      path.join(t.dir, SHRED_JOURNAL_FILE),
      JSON.stringify({
        v: 1,
        subjectId: y.ownerId,
        shreddedAt: CONTRACT_GOES,
        reason: 'forged',
        signature: Buffer.alloc(64).toString('base64'),
      }) + '\n',
    );

    if (dialect === 'sqlite') {
      await sigilo.close();
      const { synced } = await restoreSqlite({
        dbFile: path.join(t.dir, 'sigilo.db'),
        backupFile,
        dataDir: t.dir,
      });
      expect(synced).toBe(1); // the erasure request's shred
    } else {
      await sigilo.retention.journal.sync();
      await sigilo.close();
      await restorePostgres({ url: pgUrl!, file: backupFile, schema: schema! });
    }

    const restored = await t.reopen();
    // The backup brought the wrapped keys back; opening Sigilo shredded them again before anything was served.
    expect(restored.retention.journal.lastReconcile).toMatchObject({ rejected: 1 });
    expect(restored.retention.journal.lastReconcile?.reshredded.sort()).toEqual(
      [x.accountId, x.ownerId, x.contactId, y.contactId].sort(),
    );
    for (const id of [x.ownerId, x.contactId, y.contactId]) {
      await expect(readPerson(restored, id)).rejects.toSatisfy((e) => isSigiloError(e, 'SUBJECT_SHREDDED'));
    }
    const keys = await restored.store.db
      .selectFrom('data_keys')
      .select('subject_id')
      .where('subject_id', 'in', [x.accountId, x.ownerId, x.contactId, y.contactId])
      .execute();
    expect(keys).toEqual([]);
    const ledger = await restored.store.db
      .selectFrom('shred_ledger')
      .select(['subject_id', 'shredded_at'])
      .where('subject_id', '=', x.ownerId)
      .executeTakeFirstOrThrow();
    expect(ledger.shredded_at).toBe(CONTRACT_GOES); // the original signed entry, not the re-application
    // Y's owner (forged line) and everything else in the backup are intact.
    expect(await readPerson(restored, y.ownerId)).toMatchObject({ name: SAMPLE.personName });
    expect((await restored.accessLog.verify()).ok).toBe(true);

    // The next sweep removes the unreadable leftovers the backup brought back.
    await restored.retention.run();
    const people = await restored.store.db
      .selectFrom('people')
      .select('id')
      .where('id', 'in', [x.ownerId, x.contactId])
      .execute();
    expect(people).toEqual([]);
    // Opening again finds nothing more to do.
    const again = await t.reopen();
    expect(again.retention.journal.lastReconcile?.reshredded).toEqual([]);
  });
});
