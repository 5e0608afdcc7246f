/** Soak version of suite 1 (test/proof/crash.test.ts): 10 kill -9 trials of each operation per dialect. */
import { CRASH_SIZES, crashTable, runCrashProof, type CrashTrial } from '../../test/proof/crash.ts';
import { prng } from '../../test/proof/process-harness.ts';
import { soakDialects } from './dialects.ts';
import type { SoakSuite } from './suite.ts';

const suite: SoakSuite = {
  name: 'crash',
  async run(size) {
    const { dialects, pgUrl } = await soakDialects();
    const seed = Number(process.env.SIGILO_PROOF_SEED ?? Date.now() % 100_000);
    const trials: CrashTrial[] = [];
    // One line per trial as it ends, so a long run shows where it is (and what it found) before the table.
    const line = (t: CrashTrial): void =>
      console.log(
        `  ${t.operation}/${t.dialect} #${t.trial}: killed mid-run ${t.killedMidway}, ${t.atKill} at kill, ` +
          `${t.found}/${t.expected} found, lost ${t.lost}, duplicates ${t.duplicates}, audit ${t.auditOk ? 'ok' : 'FAILED'}` +
          (t.problems.length ? `; ${t.problems.join('; ')}` : ''),
      );
    const all = ['import', 'retention', 'rotation', 'export', 'power-loss'] as const;
    for (const d of dialects)
      trials.push(...(await runCrashProof(d, pgUrl, CRASH_SIZES[size], prng(seed), all, line)));
    return {
      table: crashTable(trials),
      summary: {
        seed,
        trials: trials.length,
        'killed mid-run': trials.filter((t) => t.killedMidway).length,
        lost: trials.reduce((n, t) => n + t.lost, 0),
        duplicates: trials.reduce((n, t) => n + t.duplicates, 0),
        'audit fails': trials.filter((t) => !t.auditOk).length,
        'rerun fails': trials.filter((t) => !t.nextRunOk).length,
        'trials with problems': trials.filter((t) => t.problems.length).length,
      },
    };
  },
};
export default suite;
