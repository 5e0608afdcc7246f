/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- counts SQLite statements by wrapping better-sqlite3's Statement methods, which its types do not describe as patchable. */
/**
 * `npx tsx bench/gate-cpu.ts`: CPU time, SQLite statements and access-log entries per gated operation (V1 write, V2
 * read by id, V3 lookup by phone, V3 with 32 at once), in process on SQLite, with a plaintext select in the same
 * run. CPU time per operation moves far less than operations per second on a loaded shared machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { benchCtx, benchSigilo } from './support.ts';

const n = Number(process.env.GATE_CPU_PEOPLE ?? 400);
const probe = new SqliteDatabase(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('select 1'));
let statements = 0;
for (const m of ['run', 'all', 'get']) {
  const f = proto[m];
  proto[m] = function (this: unknown, ...a: unknown[]) {
    statements++;
    return f.apply(this, a);
  };
}
probe.close();

const b = await benchSigilo('sqlite');
const { gate, services } = b.sigilo;
const rows: string[][] = [];
const report = (what: string, cpuUs: number, st: number | null, entries: number | null): void => {
  rows.push([
    what,
    (cpuUs / n).toFixed(1),
    st === null ? '' : (st / n).toFixed(1),
    entries === null ? '' : (entries / n).toFixed(2),
  ]);
};
const cpu = (c: NodeJS.CpuUsage): number => c.user + c.system;
const count = async (): Promise<number> =>
  Number(
    (
      await b.sigilo.store.db
        .selectFrom('access_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
try {
  const ids: string[] = [];
  const phones: string[] = [];
  const write = async (round: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const sub = String(10_000_000 + ((i * 7919 + round) % 89_999_999)).padStart(8, '0');
      const phone = `(11) 9${sub.slice(0, 4)}-${sub.slice(4)}`;
      if (round === 0) phones.push(phone);
      const id = await gate.run(benchCtx('support_agent', 'contracting'), (s) =>
        services.people.create(s, {
          name: `Pessoa ${i}`,
          phones: [phone],
          emails: [`p${i}.${round}@ex.com.br`],
        }),
      );
      if (round === 0) ids.push(id);
    }
  };
  const phase = async (what: string, fn: () => Promise<void>): Promise<void> => {
    await fn(); // warm-up round
    const e0 = await count();
    const s0 = statements;
    const c0 = process.cpuUsage();
    await fn();
    const c = cpu(process.cpuUsage(c0));
    report(what, c, statements - s0, (await count()) - e0);
  };
  let round = 0;
  await phase('V1 sealed write of a person (phone, e-mail)', () => write(round++));
  await phase('V2 gated read by id', async () => {
    for (const id of ids)
      await gate.run(benchCtx('support_agent', 'support'), (s) => services.people.get(s, id));
  });
  await phase('V3 gated lookup by phone', async () => {
    for (const p of phones)
      await gate.run(benchCtx('support_agent', 'support'), (s) =>
        services.people.findByContact(s, 'phone', p),
      );
  });
  await phase('V3 gated lookup by phone, 32 at once', async () => {
    for (let i = 0; i < phones.length; i += 32)
      await Promise.all(
        phones
          .slice(i, i + 32)
          .map((p) =>
            gate.run(benchCtx('support_agent', 'support'), (s) =>
              services.people.findByContact(s, 'phone', p),
            ),
          ),
      );
  });
  const db = new SqliteDatabase(b.sqliteFile);
  db.exec('create table bench_cpu_plain (id integer primary key, name text, phone text)');
  db.exec('create index bench_cpu_plain_phone on bench_cpu_plain (phone)');
  const ins = db.prepare('insert into bench_cpu_plain (name, phone) values (?, ?)');
  const c0 = process.cpuUsage();
  db.transaction(() => phones.forEach((p, i) => ins.run(`Pessoa ${i}`, p)))();
  const insertUs = cpu(process.cpuUsage(c0));
  const sel = db.prepare('select * from bench_cpu_plain where phone = ?');
  const c1 = process.cpuUsage();
  for (const p of phones) sel.all(p);
  report('baseline: plaintext select by phone (prepared)', cpu(process.cpuUsage(c1)), null, null);
  report('baseline: plaintext insert, one transaction', insertUs, null, null);
  db.close();
} finally {
  await b.cleanup();
}
const header = ['operation (SQLite, in process)', 'CPU µs/op', 'statements/op', 'log entries/op'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
const dir = path.join(import.meta.dirname, 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'gate-cpu.json');
fs.writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), node: process.version, people: n, header, rows }, null, 2),
);
console.log(`written ${path.relative(process.cwd(), file)}`);
