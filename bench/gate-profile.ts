/**
 * `node --cpu-prof --import tsx bench/gate-profile.ts [sqlite|postgres] [V1|V2|V3]`: a driver for profiling one
 * gated operation alone (set-up and the other operations run before the profiled loop; see bench/gate-cpu.ts).
 */
import inspector from 'node:inspector/promises';
import fs from 'node:fs';
import { benchCtx, benchSigilo } from './support.ts';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const op = process.argv[3] ?? 'V2';
const n = Number(process.env.GATE_PROFILE_OPS ?? 2000);
const b = await benchSigilo(dialect);
const { gate, services } = b.sigilo;
const ids: string[] = [];
const phones: string[] = [];
let round = 0;
const write = async (): Promise<void> => {
  for (let i = 0; i < n; i++) {
    const sub = String(10_000_000 + ((i * 7919 + round) % 89_999_999)).padStart(8, '0');
    const phone = `(11) 9${sub.slice(0, 4)}-${sub.slice(4)}`;
    const id = await gate.run(benchCtx('support_agent', 'contracting'), (s) =>
      services.people.create(s, {
        name: `Pessoa ${i}`,
        phones: [phone],
        emails: [`p${i}.${round}@ex.com.br`],
      }),
    );
    if (round === 0) {
      phones.push(phone);
      ids.push(id);
    }
  }
  round++;
};
const ops: Record<string, () => Promise<void>> = {
  V1: write,
  V2: async () => {
    for (const id of ids)
      await gate.run(benchCtx('support_agent', 'support'), (s) => services.people.get(s, id));
  },
  V3: async () => {
    for (const p of phones)
      await gate.run(benchCtx('support_agent', 'support'), (s) =>
        services.people.findByContact(s, 'phone', p),
      );
  },
};
const session = new inspector.Session();
session.connect();
try {
  await write();
  await ops[op]!(); // warm-up
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const c0 = process.cpuUsage();
  await ops[op]!();
  const c = process.cpuUsage(c0);
  const { profile } = await session.post('Profiler.stop');
  const file = `/tmp/gate-${dialect}-${op}.cpuprofile`;
  fs.writeFileSync(file, JSON.stringify(profile));
  console.log(`${op} ${dialect}: ${((c.user + c.system) / n).toFixed(1)} µs CPU/op; profile ${file}`);
} finally {
  session.disconnect();
  await b.cleanup();
}
