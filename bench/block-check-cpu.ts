/**
 * `npx tsx bench/block-check-cpu.ts`: CPU time of the gate's processing-block check alone (one fresh session view
 * per check, so every check reads from the database), for one subject and for 32 subjects at once, on SQLite in
 * process. Gated-operation figures (bench/gate-cpu.ts) are too noisy on a loaded machine to show a change of a
 * few µs; this isolates it. Subjects without blocks: the common case on the hot path.
 */
import type { AccessDecisions } from '../src/gate/access-decisions.ts';
import { kernelOf } from '../src/gate/gate-kernel.ts';
import { ProcessingBlocks } from '../src/gate/processing-blocks.ts';
import { benchCtx, benchSigilo } from './support.ts';

const n = Number(process.env.BLOCK_CPU_CHECKS ?? 20_000);
const b = await benchSigilo('sqlite');
const { gate, services } = b.sigilo;
try {
  const ids: string[] = [];
  for (let i = 0; i < 32; i++) {
    ids.push(
      await gate.run(benchCtx('support_agent', 'contracting'), (s) =>
        services.people.create(s, { name: `Pessoa ${i}`, emails: [`p${i}@ex.com.br`] }),
      ),
    );
  }
  await gate.run(benchCtx('support_agent', 'support'), async (s) => {
    const k = kernelOf(s);
    const view = () =>
      // Only a refusal uses the decisions; none happens here.
      new ProcessingBlocks(k.policy, s.ctx, s.tx, undefined as unknown as AccessDecisions, () =>
        k.keyring.rowMacHasher(),
      );
    const run = async (subjects: string[], times: number): Promise<number> => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < times; i++) await view().assertOpen(subjects, ['name'], 'read');
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / times;
    };
    await run([ids[0]!], 2000);
    const one = await run([ids[0]!], n);
    const many = await run(ids, Math.ceil(n / 16));
    console.log(`block check, 1 subject:   ${one.toFixed(1)} µs CPU per check`);
    console.log(
      `block check, 32 subjects: ${many.toFixed(1)} µs CPU per check (${(many / 32).toFixed(1)} per subject)`,
    );
  });
} finally {
  await b.cleanup();
}
