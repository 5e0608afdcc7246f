/**
 * The rotation window (issue 14, docs/operations.md "Key rotation"): a writer that took the old master-key version
 * before a rotation, and commits after it, must not leave a key wrapped under a version the rotation retired
 * (unreadable once the process restarts). Both interleavings are forced, without sleeps: a writer whose view of
 * the key file stops at the old version (the clock frozen, so it never re-reads the file), and, on PostgreSQL, a
 * writer transaction held open across the rotation (released once the rotation finished, or is seen waiting on it).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sigilo } from '../../src/app.ts';
import { sealedView, type Tx } from '../../src/store/store.ts';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { JOAO, MARIA, seedCustomer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

async function kekVersionsOfDataKeys(sigilo: Sigilo): Promise<number[]> {
  const rows = await sealedView(sigilo.store.db).selectFrom('data_keys').select('kek_version').execute();
  return [...new Set(rows.map((r) => r.kek_version))].sort();
}

/** A new subject row and its first data key, in `tx` (what the gate does for a new account or person). */
async function newSubjectKey(sigilo: Sigilo, tx: Tx, id: string): Promise<void> {
  await tx
    .insertInto('subjects')
    .values({ id, kind: 'person', created_at: new Date().toISOString(), shredded_at: null })
    .execute();
  await sigilo.keyring.currentDataKey(tx, id);
}

describe.each(DIALECTS)('master-key rotation against writers holding the old version on %s', (dialect) => {
  let t: TestSigilo;
  beforeEach(async () => {
    t = await createTestSigilo(dialect);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await t.cleanup();
  });

  it('a writer whose key file view is stale wraps a new subject under the new version, not the retired one', async () => {
    // The writer's provider re-reads the key file at most once a (wall-clock) second: with the clock frozen after
    // its first wrap it keeps answering version 1, as a process that took the version long before committing.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10_000 });
    await seedCustomer(t.sigilo, MARIA);
    const rotator = await t.reopen();
    const rotation = await rotator.keyring.rotateMasterKey(rotator.store);
    expect(rotation).toMatchObject({ newVersion: 2, retired: [1] });

    const joao = await seedCustomer(t.sigilo, JOAO);

    expect(await kekVersionsOfDataKeys(t.sigilo)).toEqual([2]);
    const restarted = await t.reopen();
    const person = await restarted.gate.run(ctx('support_agent', 'support'), (s) =>
      restarted.services.people.get(s, joao.personId),
    );
    expect(person.name).toBe(JOAO.personName);
  });

  it.runIf(dialect === 'postgres')(
    'a writer transaction open across the rotation commits a key the rotation rewraps before it retires',
    async () => {
      const subjectId = randomUUID();
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let wrapped!: () => void;
      const wrappedYet = new Promise<void>((r) => (wrapped = r));
      const writer = t.sigilo.store.transaction(async (tx) => {
        await newSubjectKey(t.sigilo, tx, subjectId);
        wrapped();
        await held;
      });
      await wrappedYet;

      const rotator = await t.reopen();
      let settled = false;
      const rotation = rotator.keyring.rotateMasterKey(rotator.store).finally(() => (settled = true));
      // Release the writer once the rotation is done (the window) or waits on the writer's version row (closed).
      for (;;) {
        if (settled) break;
        const waiting = await sql<{ n: string }>`
          select count(*) as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%kek_versions%'`.execute(rotator.store.db);
        if (Number(waiting.rows[0]?.n ?? 0) > 0) break;
        await new Promise((r) => setImmediate(r));
      }
      release();
      await writer;
      expect(await rotation).toMatchObject({ newVersion: 2, retired: [1] });

      expect(await kekVersionsOfDataKeys(t.sigilo)).toEqual([2]);
      const restarted = await t.reopen();
      const key = await restarted.store.transaction((tx) => restarted.keyring.dataKey(tx, subjectId, 1));
      expect(key).toHaveLength(32);
    },
  );
});
