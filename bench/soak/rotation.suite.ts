/** Soak version of suite 6 (test/proof/rotation-under-load.test.ts): three rotations under eight workers. */
import {
  ROTATION_SIZES,
  runRotationUnderLoad,
  type RotationLoadResult,
} from '../../test/proof/rotation-load.ts';
import { soakDialects } from './dialects.ts';
import type { SoakSuite } from './suite.ts';

const suite: SoakSuite = {
  name: 'rotation',
  async run(size) {
    const { dialects, pgUrl } = await soakDialects();
    const runs: RotationLoadResult[] = [];
    for (const d of dialects) runs.push(await runRotationUnderLoad(d, pgUrl, ROTATION_SIZES[size]));
    return {
      table: runs.map((r) => ({
        dialect: r.dialect,
        requests: r.requests,
        failed: r.failed,
        'failure kinds': Object.entries(r.failures)
          .map(([k, n]) => `${k} ×${n}`)
          .join('; '),
        rotations: r.rotations,
        'rotations failed': r.rotationsFailed,
        people: r.people,
        'unreadable (live)': r.unreadableLive,
        'unreadable (restarted)': r.unreadableAfterRestart,
        'orphan keys': r.orphanKeys,
        'audit ok': String(r.auditOk),
        seconds: r.seconds,
      })),
      summary: {
        requests: runs.reduce((n, r) => n + r.requests, 0),
        failed: runs.reduce((n, r) => n + r.failed, 0),
        rotations: runs.reduce((n, r) => n + r.rotations, 0),
        lost: runs.reduce((n, r) => n + r.unreadableAfterRestart + r.orphanKeys, 0),
        'audit fails': runs.filter((r) => !r.auditOk).length,
      },
    };
  },
};
export default suite;
