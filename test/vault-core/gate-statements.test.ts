/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- counts statements by wrapping the drivers' statement methods (better-sqlite3's Statement, pg's Client.query), which their types do not describe as patchable. */
/**
 * What one gated operation costs the database, counted at the driver (BEGIN and COMMIT included): a read by id, a
 * lookup by phone and a sealed write of a person. A change that adds a round trip to these paths fails here.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSigilo, ctx } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { logEntries } from '../support/vault.ts';

type TestSigilo = Awaited<ReturnType<typeof createTestSigilo>>;

let sqls: string[] | null = null;
const probe = new SqliteDatabase(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();
for (const m of ['run', 'all', 'get', 'iterate']) {
  const f = statementProto[m];
  statementProto[m] = function (this: { source: string }, ...a: unknown[]) {
    sqls?.push(this.source);
    return f.apply(this, a);
  };
}
// eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped and called with its own `this` below
const pgQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
  const q = a[0] as string | { text?: string } | undefined;
  sqls?.push((typeof q === 'string' ? q : q?.text) ?? '');
  return pgQuery.apply(this, a);
} as never;

/** The statements `fn` sends, after one warm-up run of it (compiled shapes, keys unwrapped). */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  await fn();
  // A read within a few ms of the last append joins the group commit (two transactions, shared with whoever else
  // is appending: src/access-log/access-log.writer.ts BURST_MS); counted here is a lone read, which appends in
  // its own transaction.
  await new Promise((r) => setTimeout(r, 20));
  sqls = [];
  try {
    await fn();
    return sqls;
  } finally {
    sqls = null;
  }
}

describe.each(DIALECTS)('statements per gated operation on %s', (dialect) => {
  let t: TestSigilo;
  let personId: string;
  let n = 0;
  const phone = '(11) 94444-1212';
  const create = () =>
    t.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      t.sigilo.services.people.create(s, {
        name: `Pessoa ${++n}`,
        phones: [`(11) 95${String(n).padStart(3, '0')}-1212`],
        emails: [`p${n}@exemplo.com.br`],
      }),
    );
  const read = () =>
    t.sigilo.gate.run(ctx('support_agent', 'support'), (s) => t.sigilo.services.people.get(s, personId));
  const lookup = () =>
    t.sigilo.gate.run(ctx('support_agent', 'support'), (s) =>
      t.sigilo.services.people.findByContact(s, 'phone', phone),
    );

  beforeAll(async () => {
    t = await createTestSigilo(dialect);
    personId = await t.sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
      t.sigilo.services.people.create(s, {
        name: 'Pessoa Contada',
        phones: [phone],
        emails: ['c@ex.com.br'],
      }),
    );
  });
  afterAll(() => t.cleanup());

  // BEGIN; people; processing blocks; the data key; account links; the head of the person's link set; contact
  // points; addresses; the head advanced
  // where this instance left it; the entry (on PostgreSQL in the same statement as the advance); COMMIT.
  const log = dialect === 'postgres' ? 1 : 2;
  it(`a read by id takes ${9 + log} statements, its log append included`, async () => {
    const s = await statementsOf(read);
    expect(s.length).toBe(9 + log);
    expect(s.filter((q) => /access_log_head/.test(q))).toHaveLength(1);
    expect(s.filter((q) => /^select .* from "data_keys"/.test(q))).toHaveLength(1);
  });

  it('a lookup by phone takes one more (the blind-index match)', async () => {
    expect((await statementsOf(lookup)).length).toBe(10 + log);
  });

  // BEGIN; subject; its empty block set; its empty link set; the retiring mark of the master-key version it wraps under; data key;
  // person; two contact points; head and entry; COMMIT.
  it(`a sealed write of a person with a phone and an e-mail takes ${10 + log} statements`, async () => {
    const s = await statementsOf(create);
    expect(s.length).toBe(10 + log);
    // A subject created in the transaction has no key to look up, no shred to check and no block to read; the
    // one select is the rotation's retiring mark (src/keys), which a write must see inside its transaction.
    expect(s.filter((q) => /^select /.test(q))).toHaveLength(1);
    expect(s.filter((q) => /^select /.test(q))[0]).toMatch(/kek_versions/);
  });

  it('another instance appending in between costs what the locked read of the head did (12 statements) and keeps one chain', async () => {
    const other = await t.reopen();
    await other.gate.run(ctx('support_agent', 'support'), (s) => other.services.people.get(s, personId));
    const c = ctx('support_agent', 'support');
    let seen: string[] = [];
    sqls = seen;
    try {
      await t.sigilo.gate.run(c, (s) => t.sigilo.services.people.get(s, personId));
    } finally {
      sqls = null;
    }
    // The advance finds the head moved and returns it, locked; the entry is linked from there and the head set.
    expect(seen.length).toBe(12);
    expect(seen.filter((q) => /access_log_head/.test(q))).toHaveLength(2);
    seen = [];
    expect((await logEntries(t.sigilo)).filter((e) => e.requestId === c.requestId)).toHaveLength(1);
    // Back to the usual count once this instance knows the head again.
    expect((await statementsOf(read)).length).toBe(9 + log);
    const v = await t.sigilo.accessLog.verify();
    expect(v.ok).toBe(true);
  });

  it('an append whose transaction rolls back leaves no trace in the next append', async () => {
    const { store, accessLog } = t.sigilo;
    const before = (await accessLog.verify()).entries;
    const entry = (await logEntries(t.sigilo)).at(-1)!;
    await expect(
      store.transaction(async (tx) => {
        await accessLog.writer.append(tx, [{ ...entry, requestId: 'rolled-back' }]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // The head this process remembers is now ahead of the database: the next append must find the real one.
    await read();
    await lookup();
    const v = await accessLog.verify();
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(before + 2);
    expect((await logEntries(t.sigilo)).some((e) => e.requestId === 'rolled-back')).toBe(false);
  });
});
