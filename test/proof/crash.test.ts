/**
 * Suite 1 of issue 14: `sigilo` killed with SIGKILL at random points of a CDR import, a retention sweep, a
 * master-key rotation and a subject export (3 trials each; `npm run soak` runs 10), and a power-loss copy of the
 * SQLite data directory taken mid-import. After each: exact counts, no duplicate, nothing done twice, the access
 * log verifies (`sigilo audit verify`) and the next run completes. The trials live in crash.ts (shared with
 * bench/soak/crash.suite.ts); the seed is printed on failure so a trial can be replayed.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DIALECTS } from '../support/stores.ts';
import { CRASH_SIZES, CrashBench, type CrashTrial } from './crash.ts';
import { prng } from './process-harness.ts';

const SIZES = CRASH_SIZES.ci;
const SEED = Number(process.env.SIGILO_PROOF_SEED ?? Date.now() % 100_000);

/** Trials beyond SIZES.trials allowed for runs that ended before their kill landed. */
const EXTRA_TRIALS = 3;

function expectSound(trials: readonly CrashTrial[]): void {
  // A trial proves something only if the kill (or the copy) landed while the run was still going: that many did.
  expect(trials.filter((t) => t.killedMidway)).toHaveLength(SIZES.trials);
  expect(trials.length).toBeLessThanOrEqual(SIZES.trials + EXTRA_TRIALS);
  for (const t of trials) {
    const where = `${t.operation} trial ${t.trial} on ${t.dialect} (seed ${SEED}, killed mid-run: ${t.killedMidway}, ${t.atKill} units at kill)`;
    expect(t.problems, where).toEqual([]);
    expect({ lost: t.lost, duplicates: t.duplicates, found: t.found }, where).toEqual({
      lost: 0,
      duplicates: 0,
      found: t.expected,
    });
    expect(t.auditOk, where).toBe(true);
    expect(t.nextRunOk, where).toBe(true);
  }
}

describe.each(DIALECTS)('kill -9 at random points on %s', (dialect) => {
  let bench: CrashBench;
  beforeAll(async () => {
    bench = await CrashBench.create(dialect, inject('postgresUrl'), SIZES, prng(SEED));
  }, 120_000);
  afterAll(async () => bench?.cleanup());

  // A run that ended before its kill is checked all the same, then another trial is run (the pause window has
  // adapted to the run's length) until SIZES.trials kills landed mid-run.
  const trials = async (run: (t: number) => Promise<CrashTrial>): Promise<CrashTrial[]> => {
    const out: CrashTrial[] = [];
    for (let t = 0; t < SIZES.trials + EXTRA_TRIALS; t++) {
      if (out.filter((x) => x.killedMidway).length === SIZES.trials) break;
      out.push(await run(t));
    }
    return out;
  };

  it('a CDR import killed and run again stores every record exactly once', { timeout: 300_000 }, async () => {
    expectSound(await trials(() => bench.importTrial()));
  });

  it(
    'a retention sweep killed and run again deletes every due record once, keeps the rest, certifies each batch once',
    { timeout: 300_000 },
    async () => {
      expectSound(await trials(() => bench.retentionTrial()));
    },
  );

  it(
    'a master-key rotation killed and run again loses no key: every account reads, old versions retire',
    { timeout: 300_000 },
    async () => {
      expectSound(await trials((t) => bench.rotationTrial(t)));
    },
  );

  it(
    'a subject export killed leaves no partial answer at --out, and the next export holds every record',
    { timeout: 300_000 },
    async () => {
      expectSound(await trials((t) => bench.exportTrial(t)));
    },
  );

  it.runIf(dialect === 'sqlite')(
    'a copy of the data directory taken mid-import opens, verifies and holds a prefix the import completes',
    { timeout: 300_000 },
    async () => {
      expectSound(await trials((t) => bench.powerLossTrial(t)));
    },
  );
});
