import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupSqlite, restoreSqlite } from '../../src/retention/backup.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { expectSigiloError } from '../support/vault.ts';

const dpo = (): ReturnType<typeof ctx> => ctx('dpo', 'subject_request');

// SQLite only: restoring a PostgreSQL dump goes through the same journal (src/retention/backup-restore.test.ts
// covers both dialects for shreds in general); this checks the subject-request path reaches the journal.
describe('a deletion request and a restored backup', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('does not bring a shredded subject back', async () => {
    const t = await createTestSigilo('sqlite');
    cleanup = t.cleanup;
    const { sigilo } = t;
    const pedro = await sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      sigilo.services.people.create(s, { name: 'Pedro Alves', phones: ['(11) 91234-0000'] }),
    );
    const backupFile = path.join(t.dir, 'backups', 'before.db');
    await backupSqlite(sigilo.store, backupFile);

    const r = await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.create(s, { subjectId: pedro, type: 'deletion', channel: 'email' }),
    );
    await sigilo.gate.run(dpo(), (s) =>
      sigilo.services.subjectRequests.verifyIdentity(s, r.id, {
        method: 'document_check',
        documentKind: 'cnh',
        reference: 'DPO-8',
      }),
    );
    const answer = await sigilo.gate.run(dpo(), (s) => sigilo.services.subjectAnswers.deletion(s, r.id));
    expect(answer.shredded).toBe(true);
    // What the route does after the transaction commits.
    await sigilo.retention.journal.record([answer.subjectId]);

    await sigilo.close();
    await restoreSqlite({ dbFile: path.join(t.dir, 'sigilo.db'), backupFile, dataDir: t.dir });
    const restored = await t.reopen();
    await expectSigiloError(
      restored.gate.run(ctx('support_agent', 'support'), (s) => restored.services.people.get(s, pedro)),
      'SUBJECT_SHREDDED',
    );
  });
});
