/**
 * Suite 5 of issue 14 (PostgreSQL only): two `sigilo serve` processes on one database take overlapping CDR
 * imports, subject requests and their own retention sweeps at once. Nothing lost, nothing done twice, no lock or
 * open transaction left behind, and the access log verifies against each instance's head file. The scenario lives
 * in multi-instance.ts (shared with bench/soak/multi-instance.suite.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import { DIALECTS } from '../support/stores.ts';
import { MULTI_SIZES, runMultiInstance } from './multi-instance.ts';

describe.each(DIALECTS.filter((d) => d === 'postgres'))('two instances on one %s database', () => {
  it(
    'import, sweep and answer requests at once: nothing lost, nothing twice, no lock left',
    { timeout: 300_000 },
    async () => {
      const sizes = MULTI_SIZES.ci;
      const r = await runMultiInstance(inject('postgresUrl')!, sizes);
      expect(r.failures).toEqual({});
      expect(r.failed).toBe(0);
      const records = sizes.batches * sizes.batchSize;
      // Each batch went to both instances: between them they stored each record once.
      expect({ stored: r.storedByInstances, distinct: r.distinctRecords, duplicates: r.duplicates }).toEqual({
        stored: records,
        distinct: records,
        duplicates: 0,
      });
      expect(r.dueRecords).toBe(sizes.dueRecords);
      expect({ left: r.dueLeft, deleted: r.deletedByBatches }).toEqual({ left: 0, deleted: r.dueRecords });
      expect(r.subjectRequestsFound).toBe(sizes.requests);
      expect(r.exportsComplete).toBe(2 * sizes.requests);
      expect(r.answeredSteps).toBe(sizes.requests);
      expect({
        running: r.runsLeftRunning,
        inTransaction: r.sessionsInTransaction,
        locks: r.locksHeld,
      }).toEqual({
        running: 0,
        inTransaction: 0,
        locks: 0,
      });
      expect(r.sweepsCompleted).toBeGreaterThan(1);
      expect(r.auditOk).toEqual([true, true]);
    },
  );
});
