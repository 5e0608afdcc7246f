/**
 * P5 of SPEC §11: a retention sweep of expired records, through the gate (policy check per batch, one access-log
 * entry per subject per batch, batch record with SHA-256 digest, signed certificate), against a plain DELETE of the
 * same rows in the same engine in the same run.
 *
 * P5 proper is "1,000,000 expired CDRs ≤ 10 s" (`--quick`: 100,000): synthetic CDRs from 2015 are stored through the
 * real ingest (four accounts, attribution rules, 20,000 a batch), then only `sigilo.retention.run()` is timed: whole
 * expired UTC days go through the telecom targets' period path, then the identity sweep forgets the accounts. The
 * baseline is one plain DELETE of as many plaintext CDR rows in the same database. The core-table suite (support
 * tickets + messages, the item-by-item path; issue 18) is measured at 1,000,000 records in the full run (500,000
 * tickets with one message each; `--quick`: 40,000) against plain DELETEs of the same rows, with its projection.
 * `--only=` ids skip the half not asked for (the CDR half seeds a million CDRs through the ingest).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Sigilo } from '../src/app.ts';
import type { KeyedHasher } from '../src/crypto/keyed-hash.ts';
import { sealRowMac } from '../src/gate/row-mac.ts';
import type { Store } from '../src/store/store.ts';
import type { ParseOutcome } from '../src/telecom/formats/cdr-record.ts';
import { DEFAULT_ACCOUNTS, generateCdrs } from '../test/support/synthetic/synthetic-cdr.ts';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo, time } from './support.ts';

/** Optional override of how the CDR suite stores `n` CDRs whose retention ended (default: `seedExpiredCdrs`). */
export const cdrBench: { seed?: (sigilo: Sigilo, n: number) => Promise<void> } = {};

const TICKETS_PER_ACCOUNT = 100;
const CHUNK = 500;
const YEAR_MS = 365.25 * 86_400_000;

/** `row` with the row MAC the gate would write for it. */
function macced<R extends Record<string, unknown>>(
  h: KeyedHasher,
  table: string,
  row: R,
): R & { row_mac: Buffer } {
  return { ...row, row_mac: sealRowMac(h, table, row) };
}

function provenance(at: string) {
  return { source: 'import', collected_at: at, legal_basis: 'bench', policy_version: 1 };
}

/**
 * Seeds `tickets` resolved support tickets (one message each) resolved three years ago, spread over accounts that
 * each keep an active contract (so the identity sweep finds them still referenced and leaves them). Ciphertext
 * columns hold random bytes: a sweep never opens them. Each row gets the row MAC the gate would write (a sweep
 * checks it), under `sigilo`'s row-MAC key. Accounts hold TICKETS_PER_ACCOUNT tickets each, in `ticketIds` order;
 * `now` (default: the real clock) is the instant they are three years old at. Also used by test/retention.
 */
export async function seedExpiredTickets(
  sigilo: Sigilo,
  tickets: number,
  options: { now?: number } = {},
): Promise<{ ticketIds: string[]; accountIds: string[] }> {
  const store = sigilo.store;
  const hasher = await sigilo.keyring.rowMacHasher();
  const now = options.now ?? Date.now();
  const resolvedAt = new Date(now - 3 * YEAR_MS).toISOString();
  const openedAt = new Date(now - 3 * YEAR_MS - 86_400_000).toISOString();
  const accounts = Math.ceil(tickets / TICKETS_PER_ACCOUNT);
  const accountIds: string[] = [];
  for (let a = 0; a < accounts; a += CHUNK) {
    const ids = Array.from({ length: Math.min(CHUNK, accounts - a) }, () => uuidv7());
    accountIds.push(...ids);
    await store.db
      .insertInto('subjects')
      .values(ids.map((id) => ({ id, kind: 'account' as const, created_at: openedAt })))
      .execute();
    await store.db
      .insertInto('accounts')
      .values(
        ids.map((id) =>
          macced(hasher, 'accounts', {
            id,
            subject_id: id,
            kind: 'company',
            status: 'active',
            name_ct: randomBytes(48),
            tax_id_ct: randomBytes(40),
            tax_id_bidx: randomBytes(32),
            created_at: openedAt,
            updated_at: openedAt,
            ...provenance(openedAt),
          }),
        ),
      )
      .execute();
    await store.db
      .insertInto('contracts')
      .values(
        ids.map((id) =>
          macced(hasher, 'contracts', {
            id: uuidv7(),
            account_id: id,
            subject_id: id,
            status: 'active' as const,
            started_on: openedAt.slice(0, 10),
            ended_on: null,
            terms_ct: randomBytes(64),
            created_at: openedAt,
            updated_at: openedAt,
            ...provenance(openedAt),
          }),
        ),
      )
      .execute();
  }
  const ticketIds: string[] = [];
  for (let t = 0; t < tickets; t += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, tickets - t) }, (_, i) => {
      const account = accountIds[Math.floor((t + i) / TICKETS_PER_ACCOUNT)]!;
      return { id: uuidv7(), account };
    });
    ticketIds.push(...rows.map((r) => r.id));
    await store.db
      .insertInto('tickets')
      .values(
        rows.map((r) =>
          macced(hasher, 'tickets', {
            id: r.id,
            account_id: r.account,
            person_id: null,
            subject_id: r.account,
            channel: 'phone' as const,
            status: 'resolved' as const,
            guard_status: 'clear' as const,
            opened_at: openedAt,
            resolved_at: resolvedAt,
            title_ct: randomBytes(60),
            created_at: openedAt,
            updated_at: resolvedAt,
            ...provenance(openedAt),
          }),
        ),
      )
      .execute();
    await store.db
      .insertInto('ticket_messages')
      .values(
        rows.map((r) =>
          macced(hasher, 'ticket_messages', {
            id: uuidv7(),
            ticket_id: r.id,
            subject_id: r.account,
            author: 'customer' as const,
            guard_status: 'clear' as const,
            sent_at: openedAt,
            body_ct: randomBytes(200),
            created_at: openedAt,
            ...provenance(openedAt),
          }),
        ),
      )
      .execute();
  }
  return { ticketIds, accountIds };
}

/** The baseline: the same rows removed by plain DELETEs in one transaction, no policy, no log, no certificate. */
async function plainDelete(store: Store, ticketIds: string[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 0; i < ticketIds.length; i += 5000) {
      const part = ticketIds.slice(i, i + 5000);
      await tx.deleteFrom('ticket_messages').where('ticket_id', 'in', part).execute();
      await tx.deleteFrom('tickets').where('id', 'in', part).execute();
    }
  });
}

async function measure(
  dialect: 'sqlite' | 'postgres',
  tickets: number,
): Promise<{ seconds: number; baselineSeconds: number; records: number }> {
  // Sigilo's sweep.
  const a = await benchSigilo(dialect);
  let seconds: number;
  let records = 0;
  try {
    await seedExpiredTickets(a.sigilo, tickets);
    seconds = await time(async () => {
      const report = await a.sigilo.retention.run({ batchSize: ITEM_BATCH, trigger: 'bench' });
      records = report.totals.records;
    });
    if (records !== tickets * 2) throw new Error(`sweep deleted ${records} records, expected ${tickets * 2}`);
  } finally {
    await a.cleanup();
  }
  // Baseline on a fresh database of the same engine, same rows.
  const b = await benchSigilo(dialect);
  let baselineSeconds: number;
  try {
    const { ticketIds } = await seedExpiredTickets(b.sigilo, tickets);
    baselineSeconds = await time(() => plainDelete(b.store, ticketIds));
  } finally {
    await b.cleanup();
  }
  return { seconds, baselineSeconds, records };
}

/** Tickets (one message each) in the full run: 1,000,000 core records, measured, not projected. */
const FULL_TICKETS = 500_000;
/**
 * Items per sweep batch (one transaction, one policy check, one access-log entry and one batch record each). The
 * engine's default (500) keeps a batch's lock short for interactive writers; a bulk sweep of a backlog runs with
 * the larger batch the CLI's `--batch-size` allows, as the CDR suite does.
 */
const ITEM_BATCH = 5000;

/** P5 on CDRs (SQLite, and PostgreSQL when reachable) and the core-table item path (see the header). */
export async function run(
  opts: { quick?: boolean; postgres?: boolean; only?: readonly string[] } = {},
): Promise<BenchResult[]> {
  const wanted = (ids: readonly string[]): boolean => !opts.only || ids.some((id) => opts.only!.includes(id));
  const tickets = Number(process.env.SIGILO_BENCH_RETENTION_TICKETS ?? (opts.quick ? 20_000 : FULL_TICKETS));
  const results: BenchResult[] = [];
  const dialects = opts.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);
  for (const dialect of dialects) {
    const ids = dialect === 'sqlite' ? ['P5', 'P5-projected'] : ['P5-pg', 'P5-pg-projected'];
    if (!wanted(ids)) continue;
    const m = await measure(dialect, tickets);
    const projected = (1_000_000 / m.records) * m.seconds;
    const full = m.records >= 1_000_000;
    results.push({
      id: ids[0]!,
      what:
        `retention sweep through the gate, ${dialect}: ${m.records.toLocaleString('en')} expired core records ` +
        `(tickets + messages, the item-by-item path, ${ITEM_BATCH.toLocaleString('en')} tickets a batch)`,
      value: Number(m.seconds.toFixed(2)),
      unit: 's',
      baseline: 'plain DELETE of the same rows, same engine, same run',
      baselineValue: Number(m.baselineSeconds.toFixed(2)),
      ratio: Number((m.seconds / m.baselineSeconds).toFixed(2)),
      ratioMeaning: 'time ratio = Sigilo time / baseline time',
      // Issue 18: 1,000,000 core records in <= 10 s on SQLite, measured at that size (the full run); PostgreSQL
      // is reported. A smaller run (--quick) has no pass/fail: see the projection below.
      ...(dialect === 'sqlite' && full ? { target: '<= 10 s', pass: m.seconds <= 10 } : {}),
    });
    results.push({
      id: ids[1]!,
      what: `1,000,000 expired records at the measured ${dialect} rate (item path; whole-day CDR deletion is faster)`,
      value: Number(projected.toFixed(1)),
      unit: 's',
      baseline: 'SPEC §11 P5 target',
      baselineValue: 10,
      ratio: Number((projected / 10).toFixed(2)),
      // Informational (equal to the measurement in the full run).
      ratioMeaning: 'time ratio = Sigilo time / baseline time',
    });
  }
  // The real P5: CDRs through the telecom retention targets (whole expired days go as periods).
  const n = Number(process.env.SIGILO_BENCH_RETENTION_CDRS ?? (opts.quick ? 100_000 : 1_000_000));
  for (const dialect of dialects) {
    const id = dialect === 'sqlite' ? 'P5-cdr' : 'P5-cdr-pg';
    if (!wanted([id])) continue;
    const m = await measureCdrs(dialect, n);
    results.push({
      id,
      what: `retention sweep through the gate of ${m.records.toLocaleString('en')} expired CDRs, ${dialect}`,
      value: Number(m.seconds.toFixed(2)),
      unit: 's',
      baseline: `plain DELETE of ${n.toLocaleString('en')} plaintext CDR rows, same engine, same run`,
      baselineValue: Number(m.baselineSeconds.toFixed(2)),
      ratio: Number((m.seconds / m.baselineSeconds).toFixed(2)),
      ratioMeaning: 'time ratio = Sigilo time / baseline time',
      target: '<= 10 s',
      pass: m.seconds <= 10 && m.records >= n,
    });
  }
  return results;
}

const CDR_CNPJS = ['11.222.333/0001-81', '12.ABC.345/01DE-35', '04.252.011/0001-10', '40.688.134/0001-61'];
// Far enough back that every generated call is more than five years old.
const CDR_START = new Date('2015-01-05T11:00:00.000Z');

async function* cdrOutcomes(n: number): AsyncGenerator<ParseOutcome> {
  for (const record of generateCdrs({ count: n, start: CDR_START })) yield { ok: true, record };
}

/** Default seeding: `n` synthetic CDRs from 2015 through the real ingest (attribution rules, 20,000 a batch). */
async function seedExpiredCdrs(sigilo: Sigilo, n: number): Promise<void> {
  for (const [i, code] of DEFAULT_ACCOUNTS.entries()) {
    const id = await sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
      sigilo.services.accounts.create(s, { kind: 'company', name: `Cliente ${i}`, taxId: CDR_CNPJS[i]! }),
    );
    await sigilo.gate.run(benchCtx('provisioning', 'provisioning'), (s) =>
      sigilo.services.attributionRules.add(s, 'accountcode', code, id),
    );
  }
  const r = await sigilo.services.telecomIngest.ingestCdrs(
    benchCtx('network_platform', 'provisioning'),
    cdrOutcomes(n),
    { batchSize: 20_000 },
  );
  if (r.stored !== n) throw new Error(`seeded ${r.stored} CDRs, expected ${n}`);
}

/** The baseline table: the same number of CDRs as plaintext rows, one row each, indexed by start time. */
async function seedPlainCdrs(store: Store, n: number): Promise<void> {
  await sql`create table plain_cdrs (id text primary key, account text not null, started_at text not null,
    caller text, callee text, disposition text, direction text, bill_sec integer)`.execute(store.db);
  await sql`create index plain_cdrs_started_idx on plain_cdrs (started_at)`.execute(store.db);
  let rows: unknown[][] = [];
  const flush = async (): Promise<void> => {
    if (rows.length === 0) return;
    const values = rows.map((r) => sql`(${sql.join(r)})`);
    await sql`insert into plain_cdrs values ${sql.join(values)}`.execute(store.db);
    rows = [];
  };
  let i = 0;
  for (const c of generateCdrs({ count: n, start: CDR_START })) {
    rows.push([
      `${c.naturalKey}#${i++}`,
      c.accountCode ?? '',
      c.startedAt,
      c.caller,
      c.callee,
      c.disposition,
      c.direction,
      c.billSec,
    ]);
    if (rows.length >= 2000) await flush();
  }
  await flush();
}

async function measureCdrs(
  dialect: 'sqlite' | 'postgres',
  n: number,
): Promise<{ seconds: number; baselineSeconds: number; records: number }> {
  const seed = cdrBench.seed ?? seedExpiredCdrs;
  const a = await benchSigilo(dialect);
  let seconds: number;
  let baselineSeconds: number;
  let records = 0;
  try {
    if (!a.sigilo.retention.registry.targets().some((t) => t.category === 'call_record')) {
      throw new Error('no call_record retention target is registered');
    }
    await seed(a.sigilo, n);
    seconds = await time(async () => {
      const report = await a.sigilo.retention.run({ batchSize: 5000, trigger: 'bench' });
      // The run also forgets the four accounts (identity sweep): timed, but not counted as CDRs.
      records = report.targets.find((t) => t.category === 'call_record')?.records ?? 0;
    });
    // Plain rows of the same engine, deleted with one statement: what removing this many rows costs at least.
    await seedPlainCdrs(a.store, n);
    baselineSeconds = await time(async () => {
      await a.store.transaction(async (tx) => {
        await sql`delete from plain_cdrs where started_at < ${'2021-01-01'}`.execute(tx);
      });
    });
  } finally {
    await a.cleanup();
  }
  return { seconds, baselineSeconds, records };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const postgres = !process.argv.includes('--no-postgres');
  for (const r of await run({ quick: process.argv.includes('--quick'), postgres }))
    console.log(JSON.stringify(r));
}
