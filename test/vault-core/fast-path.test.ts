import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { expectSigiloError, JOAO, logEntries, MARIA, seedCustomer, type Customer } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

/** Counts a request's access-log entries through a connection of its own (what another reader sees committed). */
async function committedCounter(
  t: TestSigilo,
  dialect: string,
): Promise<{ count: (requestId: string) => Promise<number>; close: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const db = new SqliteDatabase(path.join(t.dir, 'sigilo.db'), { readonly: true });
    const q = db.prepare('select count(*) as n from access_log where request_id = ?');
    return {
      count: (id) => Promise.resolve((q.get(id) as { n: number }).n),
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  const c = new pg.Client({ connectionString: t.env.SIGILO_DATABASE_URL });
  await c.connect();
  return {
    count: async (id) =>
      Number(
        (await c.query<{ n: string }>('select count(*) as n from access_log where request_id = $1', [id]))
          .rows[0]!.n,
      ),
    close: () => c.end(),
  };
}

describe.each(DIALECTS)('the interactive fast path on %s', (dialect) => {
  let t: TestSigilo;
  let maria: Customer;
  let joao: Customer;
  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    maria = await seedCustomer(t.sigilo, MARIA);
    joao = await seedCustomer(t.sigilo, JOAO);
  });
  afterAll(() => t.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it('concurrent reads share group commits, and none is answered before its entry is committed', async () => {
    const { gate, services, accessLog } = t.sigilo;
    const appends = vi.spyOn(accessLog.writer, 'append');
    const counter = await committedCounter(t, dialect);
    try {
      const before = (await logEntries(t.sigilo)).length;
      const seen = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const c = ctx('support_agent', 'support');
          const view = await gate.run(c, (s): Promise<unknown> =>
            i % 2 === 0
              ? services.people.get(s, maria.personId)
              : services.people.findByContact(s, 'phone', JOAO.phones[0]!),
          );
          expect(view).toBeTruthy();
          // Counted at the moment the answer is handed over, by a reader that sees only committed rows.
          seen.set(c.requestId, await counter.count(c.requestId));
        }),
      );
      const entries = (await logEntries(t.sigilo)).slice(before);
      // One entry per request: a read by id, and a lookup (the search and the read of the person found).
      expect(entries.length).toBe(40);
      for (const [requestId, n] of seen) {
        expect(n).toBe(entries.filter((e) => e.requestId === requestId).length);
        expect(n).toBeGreaterThan(0);
      }
      // Fewer appends than requests: reads joined each other's commits.
      expect(appends.mock.calls.length).toBeLessThan(40);
      const v = await accessLog.verify();
      expect(v.ok).toBe(true);
    } finally {
      await counter.close();
    }
  });

  it('a read whose group commit fails is not answered', async () => {
    const { gate, services, accessLog } = t.sigilo;
    const append = accessLog.writer.append.bind(accessLog.writer);
    let failed = false;
    vi.spyOn(accessLog.writer, 'append').mockImplementation(async (tx, entries) => {
      // The first append that carries several reads' entries (a group commit) fails.
      if (!failed && entries.length > 1) {
        failed = true;
        throw new Error('disk full');
      }
      return append(tx, entries);
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, joao.personId)),
      ),
    );
    expect(failed).toBe(true);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(1);
    for (const r of refused) expect(String(r.reason)).toMatch(/disk full/);
    expect((await accessLog.verify()).ok).toBe(true);
  });

  it('a session that writes keeps its entry in its own transaction while reads go by', async () => {
    const { gate, services, accessLog } = t.sigilo;
    const durable = vi.spyOn(accessLog.writer, 'appendDurable');
    const writer = ctx('support_agent', 'contracting');
    const renamer = ctx('support_agent', 'contracting');
    const reads = Array.from({ length: 10 }, () =>
      gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, maria.personId)),
    );
    await gate.run(renamer, (s) => services.people.rename(s, joao.personId, 'João Outro'));
    // The change rolls back: its allowed entry must go with it even with a group commit under way.
    const failing = gate.run(writer, async (s) => {
      await services.people.rename(s, maria.personId, 'Maria Outra');
      throw new Error('rolled back');
    });
    await expect(failing).rejects.toThrow('rolled back');
    await Promise.all(reads);
    const entries = await logEntries(t.sigilo);
    expect(entries.filter((e) => e.requestId === writer.requestId)).toEqual([]);
    expect(entries.filter((e) => e.requestId === renamer.requestId).map((e) => e.operation)).toEqual([
      'update',
    ]);
    // The reads went to group commits; the change's entry never did (it is atomic with the change).
    expect(durable).toHaveBeenCalled();
    const grouped = durable.mock.calls.flatMap(([batch]) => batch.map((e) => e.requestId));
    expect(grouped).not.toContain(renamer.requestId);
    const view = await gate.run(ctx('support_agent', 'support'), (s) =>
      services.people.get(s, maria.personId),
    );
    expect(view.name).toBe(MARIA.personName);
  });
  it('a shredded subject is unreadable at once with its key unwrapped in the cache, here and on another instance', async () => {
    const { gate, services } = t.sigilo;
    const shredCtx = () => ctx('system', 'legal_obligation');
    const read = (id: string) => gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, id));
    // Shred through this instance, with the key warm and reads under way.
    const here = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.people.create(s, { name: 'Pessoa Aqui', phones: ['(11) 91111-2222'] }),
    );
    expect((await read(here)).name).toBe('Pessoa Aqui');
    const [during] = await Promise.allSettled([
      read(here),
      gate.run(shredCtx(), (s) => s.shredSubject(here, 'teste')),
    ]);
    // The read under way is answered from before the shred or refused, never anything else (on PostgreSQL the
    // two run on their own connections, so either may come first).
    if (during.status === 'rejected')
      expect((during.reason as { code?: string }).code).toBe('SUBJECT_SHREDDED');
    else expect(during.value.name).toBe('Pessoa Aqui');
    await expectSigiloError(read(here), 'SUBJECT_SHREDDED');
    // Shred through another process on the same database: this one still holds the unwrapped key.
    const there = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.people.create(s, { name: 'Pessoa Lá', phones: ['(11) 93333-4444'] }),
    );
    expect((await read(there)).name).toBe('Pessoa Lá');
    const other = await t.reopen();
    await other.gate.run(shredCtx(), (s) => s.shredSubject(there, 'teste'));
    await expectSigiloError(read(there), 'SUBJECT_SHREDDED');
    await expectSigiloError(
      gate.run(ctx('support_agent', 'support'), (s) =>
        services.people.findByContact(s, 'phone', '(11) 93333-4444'),
      ),
      'SUBJECT_SHREDDED',
    );
  });

  it('a master-key rotation evicts every unwrapped key, and every subject stays readable', async () => {
    const { gate, services, keyring } = t.sigilo;
    const get = () =>
      gate.run(ctx('support_agent', 'support'), (s) => services.people.get(s, maria.personId));
    expect((await get()).name).toBe(MARIA.personName);
    const cache = (keyring as unknown as { cache: Map<string, unknown> }).cache;
    expect(cache.has(`${maria.personId}#1`)).toBe(true);
    await keyring.rotateMasterKey(t.sigilo.store);
    expect(cache.size).toBe(0);
    expect((await get()).name).toBe(MARIA.personName);
  });
  it('findViews reads phones, e-mails and IPs in one statement with the same rows and entries as three finds', async () => {
    const { gate } = t.sigilo;
    const views = ['phones', 'emails', 'ipAddresses'] as const;
    const spec = { where: { person_id: [maria.personId] }, orderBy: 'created_at' };
    const one = ctx('support_agent', 'support');
    const together = await gate.run(one, (s) => s.findViews(views, spec));
    const apart = ctx('support_agent', 'support');
    const separate = await gate.run(apart, async (s) => {
      const out = new Map<string, unknown>();
      for (const v of views) out.set(v, await s.find(v, spec));
      return out;
    });
    expect(together).toEqual(separate);
    expect(together.get('phones')!.length).toBeGreaterThan(0);
    const strip = (requestId: string) =>
      logEntries(t.sigilo).then((all) =>
        all
          .filter((e) => e.requestId === requestId)
          .map((e) => [e.operation, e.subjectId, e.categories, e.reason, e.outcome]),
      );
    expect(await strip(one.requestId)).toEqual(await strip(apart.requestId));
    expect(await strip(one.requestId)).not.toEqual([]);
  });
  it('a lookup by phone leaves one access-log entry naming every category it read, and a miss one entry too', async () => {
    const { gate, services } = t.sigilo;
    // No address and no IP: the reads that find nothing are part of this person's entry, not entries of their own.
    const id = await gate.run(ctx('support_agent', 'contracting'), (s) =>
      services.people.create(s, {
        name: 'Pessoa Só',
        phones: ['(11) 95555-6666'],
        emails: ['so@exemplo.com.br'],
      }),
    );
    const entriesOf = async (requestId: string) =>
      (await logEntries(t.sigilo))
        .filter((e) => e.requestId === requestId)
        .map((e) => [e.operation, e.subjectId, e.categories, e.reason, e.outcome]);
    const lookup = ctx('support_agent', 'support');
    const found = await gate.run(lookup, (s) => services.people.findByContact(s, 'phone', '11 95555 6666'));
    expect(found.map((p) => p.id)).toEqual([id]);
    expect(await entriesOf(lookup.requestId)).toEqual([
      ['search', id, ['email', 'ip_address', 'name', 'phone', 'postal_address'], null, 'allowed'],
    ]);
    const read = ctx('support_agent', 'support');
    await gate.run(read, (s) => services.people.get(s, id));
    expect(await entriesOf(read.requestId)).toEqual([
      ['read', id, ['email', 'ip_address', 'name', 'phone', 'postal_address'], null, 'allowed'],
    ]);
    const miss = ctx('support_agent', 'support');
    expect(await gate.run(miss, (s) => services.people.findByContact(s, 'phone', '11 97777 0000'))).toEqual(
      [],
    );
    expect(await entriesOf(miss.requestId)).toEqual([
      ['search', null, ['phone'], 'no matching record', 'allowed'],
    ]);
    // The subject's own view of the log names the lookup once, with every category.
    const own = (await t.sigilo.accessLog.repo.forSubject(t.sigilo.store.db, id)).filter(
      (e) => e.requestId === lookup.requestId,
    );
    expect(own.map((e) => e.operation)).toEqual(['search']);
  });
  it('a read with no other session under way appends its entry in its own transaction, committed when answered', async () => {
    const { gate, services, accessLog } = t.sigilo;
    const durable = vi.spyOn(accessLog.writer, 'appendDurable');
    const counter = await committedCounter(t, dialect);
    try {
      for (let i = 0; i < 3; i++) {
        // Alone means outside a burst too: a read within a few ms of the last append joins a group commit.
        await new Promise((r) => setTimeout(r, 20));
        const c = ctx('support_agent', 'support');
        expect((await gate.run(c, (s) => services.people.get(s, maria.personId))).name).toBe(
          MARIA.personName,
        );
        expect(await counter.count(c.requestId)).toBe(1);
      }
      expect(durable).not.toHaveBeenCalled();
      // Two at once: whichever comes second finds the other under way and goes to a group commit (which one is
      // second is up to the scheduler: on PostgreSQL the first may still be waiting for its connection).
      const pair = [ctx('support_agent', 'support'), ctx('support_agent', 'support')];
      await Promise.all(pair.map((c) => gate.run(c, (s) => services.people.get(s, joao.personId))));
      const grouped = durable.mock.calls.flatMap(([batch]) => batch.map((e) => e.requestId));
      expect(pair.some((c) => grouped.includes(c.requestId))).toBe(true);
      for (const c of pair) expect(await counter.count(c.requestId)).toBe(1);
      expect((await accessLog.verify()).ok).toBe(true);
    } finally {
      await counter.close();
    }
  });
});
