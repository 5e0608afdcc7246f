/**
 * Vault core: sealed writes and gated reads of people with contact points (name, phone, e-mail, address),
 * against plaintext inserts and reads of the same rows into the same engine in the same run.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo, PG_URL, time } from './support.ts';

interface PersonRow {
  name: string;
  phone: string;
  email: string;
}

function people(n: number): PersonRow[] {
  const out: PersonRow[] = [];
  for (let i = 0; i < n; i++) {
    const sub = String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, '0');
    out.push({
      name: `Pessoa ${i} da Silva`,
      phone: `(11) 9${sub.slice(0, 4)}-${sub.slice(4)}`,
      email: `pessoa${i}@exemplo.com.br`,
    });
  }
  return out;
}

/** Sealed writes and gated reads (by id and by phone) vs plaintext. */
export async function run(opts: { people?: number; postgres?: boolean } = {}): Promise<BenchResult[]> {
  const n = opts.people ?? 2000;
  const rows = people(n);
  const results: BenchResult[] = [];
  for (const dialect of opts.postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
    const b = await benchSigilo(dialect);
    try {
      const { gate, services } = b.sigilo;
      const ids: string[] = [];
      const writeSeconds = await time(async () => {
        for (const r of rows) {
          ids.push(
            await gate.run(benchCtx('support_agent', 'contracting'), (s) =>
              services.people.create(s, { name: r.name, phones: [r.phone], emails: [r.email] }),
            ),
          );
        }
      });
      const readSeconds = await time(async () => {
        for (const id of ids)
          await gate.run(benchCtx('support_agent', 'support'), (s) => services.people.get(s, id));
      });
      const lookupSeconds = await time(async () => {
        for (const r of rows)
          await gate.run(benchCtx('support_agent', 'support'), (s) =>
            services.people.findByContact(s, 'phone', r.phone),
          );
      });
      const base =
        dialect === 'sqlite' ? sqliteBaseline(b.sqliteFile!, rows) : await postgresBaseline(b.schema!, rows);
      const entries = (await b.sigilo.accessLog.verify()).entries;
      const push = (id: string, what: string, secs: number, baseSecs: number, baseline: string): void => {
        const rate = n / secs;
        const baseRate = n / baseSecs;
        results.push({
          id,
          what: `${what}, ${dialect} (${n} people)`,
          value: Math.round(rate),
          unit: 'ops/s',
          baseline,
          baselineValue: Math.round(baseRate),
          ratio: Number((baseRate / rate).toFixed(2)),
          ratioMeaning: 'privacy tax = baseline rate / Sigilo rate',
        });
      };
      push(
        'V1',
        'sealed write of a person with phone and e-mail (3 rows, 1 access-log entry, 1 transaction)',
        writeSeconds,
        base.write,
        'plaintext insert of the same 3 rows in 1 transaction',
      );
      push(
        'V2',
        'gated read of a person by id (name, phones, e-mails; logged)',
        readSeconds,
        base.read,
        'plaintext select of the same rows by id',
      );
      push(
        'V3',
        'gated lookup by phone through the blind index (logged)',
        lookupSeconds,
        base.lookup,
        'plaintext select by phone = ?',
      );
      results.at(-1)!.what += `; access log holds ${entries} entries`;
    } finally {
      await b.cleanup();
    }
  }
  return results;
}

function sqliteBaseline(file: string, rows: PersonRow[]): { write: number; read: number; lookup: number } {
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'create table plain_people (id integer primary key, name text); create table plain_contacts (id integer primary key, person_id integer, kind text, value text); create index plain_contacts_value on plain_contacts (value); create index plain_contacts_person on plain_contacts (person_id)',
  );
  const ip = db.prepare('insert into plain_people (name) values (?)');
  const ic = db.prepare('insert into plain_contacts (person_id, kind, value) values (?, ?, ?)');
  const write = db.transaction((r: PersonRow) => {
    const id = ip.run(r.name).lastInsertRowid;
    ic.run(id, 'phone', r.phone);
    ic.run(id, 'email', r.email);
  });
  const t = (fn: () => void): number => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const w = t(() => rows.forEach((r) => write(r)));
  const gp = db.prepare('select * from plain_people where id = ?');
  const gc = db.prepare('select * from plain_contacts where person_id = ?');
  const r = t(() => {
    for (let i = 1; i <= rows.length; i++) {
      gp.get(i);
      gc.all(i);
    }
  });
  const byPhone = db.prepare(
    'select p.* from plain_contacts c join plain_people p on p.id = c.person_id where c.value = ?',
  );
  const l = t(() => rows.forEach((row) => byPhone.all(row.phone)));
  db.close();
  return { write: w, read: r, lookup: l };
}

async function postgresBaseline(
  schema: string,
  rows: PersonRow[],
): Promise<{ write: number; read: number; lookup: number }> {
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    await c.query(
      'create table plain_people (id serial primary key, name text); create table plain_contacts (id serial primary key, person_id int, kind text, value text); create index on plain_contacts (value); create index on plain_contacts (person_id)',
    );
    const w = await time(async () => {
      for (const r of rows) {
        await c.query('begin');
        const {
          rows: [p],
        } = await c.query<{ id: number }>('insert into plain_people (name) values ($1) returning id', [
          r.name,
        ]);
        await c.query(
          'insert into plain_contacts (person_id, kind, value) values ($1, $2, $3), ($1, $4, $5)',
          [p!.id, 'phone', r.phone, 'email', r.email],
        );
        await c.query('commit');
      }
    });
    const r = await time(async () => {
      for (let i = 1; i <= rows.length; i++) {
        await c.query('select * from plain_people where id = $1', [i]);
        await c.query('select * from plain_contacts where person_id = $1', [i]);
      }
    });
    const l = await time(async () => {
      for (const row of rows)
        await c.query(
          'select p.* from plain_contacts c join plain_people p on p.id = c.person_id where c.value = $1',
          [row.phone],
        );
    });
    return { write: w, read: r, lookup: l };
  } finally {
    await c.end();
  }
}
