/** Soak version of suite 5 (test/proof/multi-instance.test.ts): two servers on one PostgreSQL database. */
import { MULTI_SIZES, runMultiInstance } from '../../test/proof/multi-instance.ts';
import { soakDialects } from './dialects.ts';
import type { SoakResult, SoakSuite } from './suite.ts';

const suite: SoakSuite = {
  name: 'multi-instance',
  async run(size): Promise<SoakResult> {
    const { pgUrl } = await soakDialects();
    if (!pgUrl) {
      console.log('PostgreSQL unreachable at 127.0.0.1:5432 — SKIPPING the multi-instance suite');
      return { table: [], summary: { skipped: 'PostgreSQL unreachable' } };
    }
    const r = await runMultiInstance(pgUrl, MULTI_SIZES[size]);
    const row = {
      requests: r.requests,
      failed: r.failed,
      records: r.records,
      'stored by both': r.storedByInstances,
      duplicates: r.duplicates,
      'due records': r.dueRecords,
      'due left': r.dueLeft,
      'deleted by batches': r.deletedByBatches,
      'subject requests': r.subjectRequests,
      exports: r.exportsComplete,
      'answered steps': r.answeredSteps,
      sweeps: r.sweepsCompleted,
      'runs left running': r.runsLeftRunning,
      'open transactions left': r.sessionsInTransaction,
      'locks left': r.locksHeld,
      'audit ok': r.auditOk.join('/'),
      seconds: r.seconds,
    };
    return {
      table: [row],
      summary: {
        requests: r.requests,
        failed: r.failed,
        lost: r.records - r.distinctRecords + r.dueLeft + (r.subjectRequests - r.subjectRequestsFound),
        'done twice':
          r.duplicates +
          Math.max(0, r.storedByInstances - r.records) +
          Math.max(0, r.deletedByBatches - r.dueRecords),
        'locks left': r.sessionsInTransaction + r.locksHeld + r.runsLeftRunning,
        'audit fails': r.auditOk.filter((x) => !x).length,
      },
    };
  },
};
export default suite;
