/**
 * A1/A2 (issue 16): an authority search by number over stored CDRs — 500 accounts, a year of days (10,000,000
 * records in full, 200,000 with --quick; SIGILO_BENCH_AUTHORITY_CDRS overrides) — through the whole workflow:
 * the approved request's search (gate, segment headers, Bloom term filters, decryption, exact match, access log)
 * and the signed, age-encrypted package. Measured: time to the first result and to the whole package, against a
 * plaintext indexed query of the same rows (SQLite, index on caller and on callee, same run): time to its first
 * row and to all rows. Ingest is not timed here (P1 is).
 * A1-pg/A2-pg: the same on PostgreSQL (when reachable; 1,000,000 CDRs in full, 100,000 with --quick,
 * SIGILO_BENCH_AUTHORITY_PG_CDRS overrides) against the same rows in a plain PostgreSQL table with the same indexes
 * (first row: the query with `limit 1`; all rows: the query).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { ParsedCdr, ParseOutcome } from '../src/telecom/formats/cdr-record.ts';
import { Prng } from '../test/support/synthetic/prng.ts';
import type { BenchResult } from './bench-result.ts';
import pg from 'pg';
import { benchCtx, benchSigilo, PG_URL, time } from './support.ts';

const ACCOUNTS = 500;
const DAY = 86_400_000;
const START = Date.UTC(2025, 11, 1);
const TARGET = '+5511987654321';
/** One call in this many involves the target (caller or callee, any account). */
const HIT_EVERY = 1000;

/** A valid CNPJ from a 12-digit base (check digits computed). */
function cnpj(base: number): string {
  const digits = String(base).padStart(12, '0').split('').map(Number);
  const check = (ds: number[]): number => {
    const weights =
      ds.length === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const sum = ds.reduce((s, d, i) => s + d * weights[i]!, 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  digits.push(check(digits));
  digits.push(check(digits));
  return digits.join('');
}

/** The calls of one account: `count` calls spread over the 365 days, every HIT_EVERY-th with the target. */
function* calls(account: number, count: number, globalOffset: number): Generator<ParsedCdr> {
  const rnd = new Prng(account + 1);
  const own = `+5511300${String(account).padStart(5, '0')}`;
  for (let i = 0; i < count; i++) {
    const start = START + Math.floor((i / count) * 365 * DAY) + Math.floor(rnd.next() * 60_000);
    const other =
      (globalOffset + i) % HIT_EVERY === 0
        ? TARGET
        : `+55119${String(Math.floor(rnd.next() * 1e8)).padStart(8, '0')}`;
    const outbound = rnd.next() < 0.5;
    const dur = 5 + Math.floor(rnd.next() * 300);
    yield {
      naturalKey: `generic:a${account}-${i}`,
      platform: 'generic',
      platformId: `a${account}-${i}`,
      linkedId: null,
      startedAt: new Date(start).toISOString(),
      answeredAt: new Date(start + 2000).toISOString(),
      endedAt: new Date(start + 2000 + dur * 1000).toISOString(),
      durationSec: dur + 2,
      billSec: dur,
      caller: outbound ? own : other,
      callee: outbound ? other : own,
      callerName: null,
      accountCode: null,
      context: null,
      channel: null,
      dstChannel: null,
      username: null,
      sourceIp: null,
      disposition: 'answered',
      direction: outbound ? 'outbound' : 'inbound',
      sourceLine: i + 1,
    };
  }
}

async function* outcomes(gen: Generator<ParsedCdr>): AsyncGenerator<ParseOutcome> {
  for (const record of gen) yield { ok: true, record };
}

/** The baseline: the same rows in a plain SQLite table with indexes on caller and callee; first row and all rows. */
function plaintextQuery(records: number, perAccount: number[]): { first: number; all: number; rows: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-bench-plain-'));
  const db = new SqliteDatabase(path.join(dir, 'plain.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`create table cdrs (account_id integer, natural_key text, started_at text, answered_at text,
      ended_at text, duration_sec integer, bill_sec integer, caller text, callee text, direction text,
      disposition text)`);
    const insert = db.prepare('insert into cdrs values (?,?,?,?,?,?,?,?,?,?,?)');
    const batch = db.transaction((rows: ParsedCdr[], account: number) => {
      for (const r of rows) {
        insert.run(
          account,
          r.naturalKey,
          r.startedAt,
          r.answeredAt,
          r.endedAt,
          r.durationSec,
          r.billSec,
          r.caller,
          r.callee,
          r.direction,
          r.disposition,
        );
      }
    });
    let offset = 0;
    for (let a = 0; a < ACCOUNTS; a++) {
      let rows: ParsedCdr[] = [];
      for (const r of calls(a, perAccount[a]!, offset)) {
        rows.push(r);
        if (rows.length === 5000) {
          batch(rows, a);
          rows = [];
        }
      }
      batch(rows, a);
      offset += perAccount[a]!;
    }
    db.exec(
      'create index cdrs_caller on cdrs (caller, started_at); create index cdrs_callee on cdrs (callee, started_at)',
    );
    void records;
    const q = db.prepare(
      `select * from cdrs where (caller = ? or callee = ?) and started_at >= ? and started_at <= ? order by started_at`,
    );
    const from = new Date(START).toISOString();
    const to = new Date(START + 366 * DAY).toISOString();
    const t0 = process.hrtime.bigint();
    let first = 0;
    let rows = 0;
    const out: unknown[] = [];
    for (const row of q.iterate(TARGET, TARGET, from, to)) {
      if (rows === 0) first = Number(process.hrtime.bigint() - t0) / 1e9;
      out.push(row);
      rows++;
    }
    const all = Number(process.hrtime.bigint() - t0) / 1e9;
    return { first, all, rows };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The plaintext baseline on PostgreSQL: the same rows in a plain table (own schema), same indexes. */
async function plaintextQueryPg(perAccount: number[]): Promise<{ first: number; all: number; rows: number }> {
  const schema = `bench_plain_${process.pid}_${Date.now()}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`create schema ${schema}`);
    await c.query(`create table ${schema}.cdrs (account_id integer, natural_key text, started_at text,
      answered_at text, ended_at text, duration_sec integer, bill_sec integer, caller text, callee text,
      direction text, disposition text)`);
    let offset = 0;
    for (let a = 0; a < ACCOUNTS; a++) {
      let rows: unknown[] = [];
      const flush = async () => {
        if (!rows.length) return;
        const n = rows.length / 11;
        const values = Array.from(
          { length: n },
          (_, i) => `(${Array.from({ length: 11 }, (_, j) => `$${i * 11 + j + 1}`).join(',')})`,
        ).join(',');
        await c.query(`insert into ${schema}.cdrs values ${values}`, rows);
        rows = [];
      };
      for (const r of calls(a, perAccount[a]!, offset)) {
        rows.push(a, r.naturalKey, r.startedAt, r.answeredAt, r.endedAt, r.durationSec, r.billSec, r.caller);
        rows.push(r.callee, r.direction, r.disposition);
        if (rows.length >= 11 * 2000) await flush();
      }
      await flush();
      offset += perAccount[a]!;
    }
    await c.query(`create index on ${schema}.cdrs (caller, started_at)`);
    await c.query(`create index on ${schema}.cdrs (callee, started_at)`);
    await c.query(`analyze ${schema}.cdrs`);
    const q = `select * from ${schema}.cdrs where (caller = $1 or callee = $1) and started_at >= $2
      and started_at <= $3 order by started_at`;
    const params = [TARGET, new Date(START).toISOString(), new Date(START + 366 * DAY).toISOString()];
    const first = await time(async () => void (await c.query(`${q} limit 1`, params)));
    let rows = 0;
    const all = await time(async () => void (rows = (await c.query(q, params)).rowCount ?? 0));
    return { first, all, rows };
  } finally {
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  }
}

export async function run(opts: { quick?: boolean; postgres?: boolean } = {}): Promise<BenchResult[]> {
  const records = Number(process.env.SIGILO_BENCH_AUTHORITY_CDRS ?? (opts.quick ? 200_000 : 10_000_000));
  // 0 skips SQLite (a PostgreSQL-only run).
  const out = records > 0 ? await measure('sqlite', records) : [];
  if (opts.postgres) {
    const pgRecords = Number(
      process.env.SIGILO_BENCH_AUTHORITY_PG_CDRS ?? (opts.quick ? 100_000 : 1_000_000),
    );
    out.push(...(await measure('postgres', pgRecords)));
  }
  return out;
}

function split(records: number): number[] {
  return Array.from(
    { length: ACCOUNTS },
    (_, a) => Math.floor(records / ACCOUNTS) + (a < records % ACCOUNTS ? 1 : 0),
  );
}

async function measure(dialect: 'sqlite' | 'postgres', records: number): Promise<BenchResult[]> {
  const perAccount = split(records);
  const b = await benchSigilo(dialect);
  let first = 0;
  let whole = 0;
  let found = 0;
  try {
    const { sigilo } = b;
    const ids: string[] = [];
    for (let a = 0; a < ACCOUNTS; a++) {
      ids.push(
        await sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
          sigilo.services.accounts.create(s, {
            kind: 'company',
            name: `Cliente ${a}`,
            taxId: cnpj(10_000_000 + a * 7),
          }),
        ),
      );
    }
    let offset = 0;
    for (let a = 0; a < ACCOUNTS; a++) {
      const report = await sigilo.services.telecomIngest.ingestCdrs(
        benchCtx('network_platform', 'provisioning'),
        outcomes(calls(a, perAccount[a]!, offset)),
        { accountId: ids[a]! },
      );
      if (report.stored !== perAccount[a]) throw new Error(`account ${a}: stored ${report.stored}`);
      offset += perAccount[a]!;
    }
    const svc = sigilo.services.authorityRequests;
    const legal = (actor: string) => ({ ...benchCtx('legal', 'authority_order'), actor });
    const request = await sigilo.gate.run(legal('legal-a'), (s) =>
      svc.create(s, {
        externalReference: 'BENCH 1/2026',
        authority: { name: 'Vara de benchmark', type: 'judge' },
        legalBasis: 'Marco Civil da Internet, Art. 22',
        courtOrderRef: 'Processo 0000001-00.2026.8.26.0000',
        requestTypes: ['cdrs'],
        targets: [{ kind: 'number', value: TARGET }],
        window: { from: new Date(START).toISOString(), to: new Date(START + 366 * DAY).toISOString() },
        deadline: new Date(START + 400 * DAY).toISOString(),
      }),
    );
    await sigilo.gate.run(legal('legal-b'), (s) => svc.approve(s, request.id, { reasons: 'benchmark' }));
    const recipient = await identityToRecipient(await generateX25519Identity());
    const t0 = process.hrtime.bigint();
    whole = await time(async () => {
      const built = await sigilo.gate.run(legal('legal-a'), (s) =>
        svc.buildPackage(
          s,
          request.id,
          { recipient },
          {
            onFirstResult: () => (first = Number(process.hrtime.bigint() - t0) / 1e9),
          },
        ),
      );
      found = built.found[0]?.count ?? 0;
    });
  } finally {
    await b.cleanup();
  }
  const base =
    dialect === 'sqlite' ? plaintextQuery(records, perAccount) : await plaintextQueryPg(perAccount);
  if (base.rows !== found) throw new Error(`Sigilo found ${found} calls, the plaintext query ${base.rows}`);
  const n = `${dialect}, ${records.toLocaleString('en')} CDRs, ${ACCOUNTS} accounts, 365 days, ${found.toLocaleString('en')} hits`;
  const suffix = dialect === 'sqlite' ? '' : '-pg';
  const engine = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  return [
    {
      id: `A1${suffix}`,
      what: `authority search by number, time to first result (${n})`,
      value: Number((first * 1000).toFixed(1)),
      unit: 'ms',
      baseline: `plaintext ${engine} indexed query (caller/callee index), time to first row, same rows, same run`,
      baselineValue: Number((base.first * 1000).toFixed(3)),
      ratio: Number((first / Math.max(base.first, 1e-6)).toFixed(1)),
      ratioMeaning: 'time ratio = Sigilo time / baseline time',
    },
    {
      id: `A2${suffix}`,
      what: `authority search by number, whole signed encrypted package (${n})`,
      value: Number((whole * 1000).toFixed(1)),
      unit: 'ms',
      baseline: `plaintext ${engine} indexed query, all rows, same rows, same run`,
      baselineValue: Number((base.all * 1000).toFixed(3)),
      ratio: Number((whole / Math.max(base.all, 1e-6)).toFixed(1)),
      ratioMeaning: 'time ratio = Sigilo time / baseline time',
    },
  ];
}
