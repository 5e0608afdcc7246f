/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- records SQL by wrapping the drivers' statement methods, which their types do not describe as patchable. */
/**
 * `npx tsx bench/gate-trace.ts [sqlite|postgres]`: the SQL statements (text only, never values) of one gated
 * write of a person, one read by id and one lookup by phone, after a warm-up: what the gate sends per operation.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { benchCtx, benchSigilo } from './support.ts';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
let trace: string[] | null = null;
const probe = new SqliteDatabase(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('select 1'));
for (const m of ['run', 'all', 'get']) {
  const f = proto[m];
  proto[m] = function (this: { source: string }, ...a: unknown[]) {
    trace?.push(this.source);
    return f.apply(this, a);
  };
}
probe.close();
// eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped and called with its own `this` below
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
  const q = a[0] as string | { text?: string } | undefined;
  trace?.push((typeof q === 'string' ? q : q?.text) ?? '');
  return query.apply(this, a);
} as never;

const b = await benchSigilo(dialect);
const { gate, services } = b.sigilo;
const show = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
  await fn();
  trace = [];
  await fn();
  const t = trace;
  trace = null;
  console.log(`\n## ${what}: ${t.length} statements`);
  for (const s of t) console.log(`  ${s.replace(/\s+/g, ' ').slice(0, 220)}`);
};
try {
  let i = 0;
  const ids: string[] = [];
  const write = (): Promise<string> => {
    i++;
    return gate.run(benchCtx('support_agent', 'contracting'), async (s) => {
      const id = await services.people.create(s, {
        name: `Pessoa ${i}`,
        phones: [`(11) 9${String(1000 + i)}-${String(1000 + i)}`],
        emails: [`p${i}@ex.com.br`],
      });
      ids.push(id);
      return id;
    });
  };
  await show('V1 write', write);
  await show('V2 read by id', () =>
    gate.run(benchCtx('support_agent', 'support'), (s) => services.people.get(s, ids[0]!)),
  );
  await show('V3 lookup by phone', () =>
    gate.run(benchCtx('support_agent', 'support'), (s) =>
      services.people.findByContact(s, 'phone', `(11) 9${String(1001)}-${String(1001)}`),
    ),
  );
} finally {
  await b.cleanup();
}
