/**
 * A pluggable target as the telecom module will write one (here over a throw-away table of fake CDRs, by UTC day):
 * whole expired days go through the period path, days a hold touches go record by record, and the records the
 * hold covers stay.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { GateSession } from '../gate/gate.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import { createTestSigilo, ctx } from '../../test/support/sigilo.ts';
import { DIALECTS } from '../../test/support/stores.ts';
import { digestIds } from './deletion-certificate.ts';
import type {
  DeleteResult,
  RetentionItem,
  RetentionPeriod,
  RetentionTarget,
  ScanQuery,
  ScanResult,
} from './retention-target.ts';
import { anchoredNextExpiry, anchoredScan, type AnchorRange } from './targets/anchored-scan.ts';

interface CdrRow {
  id: string;
  anchor: string;
  account_id: string;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();

class FakeCdrTarget implements RetentionTarget {
  readonly id = 'test.cdrs';
  readonly category = 'call_record';
  readonly description = 'registros de chamadas (teste)';
  readonly order = 10;
  drops: string[] = [];

  supports(rule: RetentionRule): boolean {
    return rule.kind === 'after' && rule.anchor === 'record_created';
  }

  private fetch(db: Tx) {
    return async (r: AnchorRange): Promise<CdrRow[]> => {
      const conds = [sql`1 = 1`];
      if (r.max !== undefined) conds.push(sql`started_at <= ${r.max}`);
      if (r.min !== undefined) conds.push(sql`started_at >= ${r.min}`);
      if (r.after) conds.push(sql`(started_at, id) > (${r.after[0]}, ${r.after[1]})`);
      const rows = await sql<CdrRow>`
        select id, started_at as anchor, account_id from test_cdrs where ${sql.join(conds, sql` and `)}
        order by started_at, id limit ${r.limit}`.execute(db);
      return rows.rows;
    };
  }

  scan(q: ScanQuery): Promise<ScanResult> {
    return anchoredScan(q, 'instant', this.fetch(q.db), (row) => ({
      id: row.id,
      subjectId: row.account_id,
      accounts: [row.account_id],
      people: [],
      from: row.anchor,
      to: row.anchor,
    }));
  }

  nextExpiry(q: Omit<ScanQuery, 'after' | 'limit' | 'dryRun'>): Promise<string | null> {
    return anchoredNextExpiry(q.clock, q.rule, 'instant', this.fetch(q.db));
  }

  async delete(session: GateSession, items: readonly RetentionItem[]): Promise<DeleteResult> {
    // A real target deletes through a gate extension (src/gate/*.gate.ts) that authorises and logs.
    if (!session.may('call_record', 'delete')) throw new Error('not allowed');
    for (const i of items) await sql`delete from test_cdrs where id = ${i.id}`.execute(session.tx);
    return { records: items.length, subjects: [...new Set(items.map((i) => i.subjectId))] };
  }

  async references(db: Tx, subjectIds: readonly string[]): Promise<Set<string>> {
    const rows = await sql<{ account_id: string }>`select distinct account_id from test_cdrs`.execute(db);
    return new Set(rows.rows.map((r) => r.account_id).filter((a) => subjectIds.includes(a)));
  }

  readonly periods = {
    list: async (db: Tx, endsBy: string): Promise<RetentionPeriod[]> => {
      const days = await sql<{ day: string }>`select distinct day from test_cdrs order by day`.execute(db);
      return days.rows
        .map((d) => ({ key: `cdr/${d.day}`, from: `${d.day}T00:00:00.000Z`, to: nextDay(d.day) }))
        .filter((p) => p.to <= endsBy);
    },
    drop: async (session: GateSession, p: RetentionPeriod) => {
      const day = p.key.slice(4);
      const rows = await sql<{ id: string; account_id: string }>`
        select id, account_id from test_cdrs where day = ${day}`.execute(session.tx);
      await sql`delete from test_cdrs where day = ${day}`.execute(session.tx);
      this.drops.push(day);
      return {
        items: rows.rows.length,
        records: rows.rows.length,
        subjects: [...new Set(rows.rows.map((r) => r.account_id))],
        digest: digestIds(rows.rows.map((r) => r.id)),
      };
    },
  };
}

describe.each(DIALECTS)('a plugged-in target with whole-period deletion on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('drops whole expired days, goes record by record where a hold reaches, and keeps what the hold covers', async () => {
    const t = await createTestSigilo(dialect);
    cleanup = t.cleanup;
    const { sigilo, clock } = t;
    const [a, b] = await sigilo.gate.run(ctx('support_agent', 'contracting'), async (s) => [
      await sigilo.services.accounts.create(s, {
        kind: 'company',
        name: 'A Ltda',
        taxId: '11.222.333/0001-81',
      }),
      await sigilo.services.accounts.create(s, {
        kind: 'company',
        name: 'B Ltda',
        taxId: '04.252.011/0001-10',
      }),
    ]);
    await sql`create table test_cdrs (id text primary key, account_id text not null, day text not null,
      started_at text not null)`.execute(sigilo.store.db);
    const cdrs: [string, string, string][] = [];
    for (const day of ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03']) {
      for (const account of [a, b]) {
        for (const n of [1, 2]) cdrs.push([`${day}-${account === a ? 'a' : 'b'}${n}`, account, day]);
      }
    }
    for (const [id, account, day] of cdrs) {
      await sql`insert into test_cdrs values (${id}, ${account}, ${day}, ${`${day}T12:00:00.000Z`})`.execute(
        sigilo.store.db,
      );
    }
    const target = new FakeCdrTarget();
    sigilo.retention.registry.register(target);

    // Records of 1 Dec expire at 12:00Z on 1 Dec 2031, before their day does: they go one by one, on time;
    // 30 Nov has wholly expired and goes as one period.
    clock.set('2031-12-01T11:59:59.999Z');
    await sigilo.retention.run();
    expect(target.drops).toEqual(['2026-11-30']);
    clock.set('2031-12-01T12:00:00.000Z');
    await sigilo.retention.run();
    const left = async () =>
      (await sql<{ id: string }>`select id from test_cdrs order by id`.execute(sigilo.store.db)).rows.map(
        (r) => r.id,
      );
    expect(await left()).toEqual([
      '2026-12-02-a1',
      '2026-12-02-a2',
      '2026-12-02-b1',
      '2026-12-02-b2',
      '2026-12-03-a1',
      '2026-12-03-a2',
      '2026-12-03-b1',
      '2026-12-03-b2',
    ]);

    // A preservation hold on account A's call records of 2 December (Brasília): that day, and 3 December (UTC),
    // which the window reaches until 02:59Z, are swept record by record.
    clock.set('2031-12-02T00:00:00.000Z');
    await sigilo.retention.holds.create(ctx('legal', null), {
      kind: 'preservation',
      scope: { kind: 'account', id: a },
      categories: ['call_record'],
      window: { from: '2026-12-02', to: '2026-12-02' },
      reason: 'Requerimento cautelar',
      authorityRequestRef: 'IP 9/2031',
    });
    clock.set('2031-12-10T00:00:00.000Z');
    const report = await sigilo.retention.run();
    expect(target.drops).toEqual(['2026-11-30']);
    expect(await left()).toEqual(['2026-12-02-a1', '2026-12-02-a2']);
    expect(report.targets.find((r) => r.target === 'test.cdrs')).toMatchObject({ items: 6, held: 2 });

    const auditor = ctx('auditor', null);
    const certs = await sigilo.retention.certificates.list(auditor);
    // The last sweep also forgot account B: none of its records is left and nothing else refers to it.
    expect(certs.map((c) => c.totals.items)).toEqual([7, 4, 4]);
    expect(certs[0]?.categories).toEqual(['call_record', 'name']);
    expect(certs[0]?.totals.shreddedSubjects).toBe(1);
    const first = await sigilo.retention.certificates.get(auditor, certs[2]!.id);
    expect(first.body.entries[0]?.hashes.batches).toEqual([
      digestIds(cdrs.filter(([, , d]) => d === '2026-11-30').map(([id]) => id)),
    ]);
    for (const c of certs)
      expect(await sigilo.retention.certificates.verify(auditor, c.id)).toEqual({ ok: true });
  });
});
