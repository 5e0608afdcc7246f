/**
 * Suite 6 of issue 14: `sigilo keys rotate` (a second process) while a bounded load generator creates and reads
 * people over HTTP against `sigilo serve`. Zero failed requests; every person reads back with its name from the
 * running server and from a freshly started one; no wrapped key is left under a retired version, and the old version
 * is retired (gone from the key file, nothing wrapped under it); the access log verifies. The scenario lives in rotation-load.ts (shared with bench/soak/rotation.suite.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import { DIALECTS } from '../support/stores.ts';
import { ROTATION_SIZES, runRotationUnderLoad } from './rotation-load.ts';

describe.each(DIALECTS)('master-key rotation under load on %s', (dialect) => {
  it(
    'fails no request and leaves every record readable, before and after a restart',
    { timeout: 300_000 },
    async () => {
      const r = await runRotationUnderLoad(dialect, inject('postgresUrl'), ROTATION_SIZES.ci);
      expect(r.failures).toEqual({});
      expect(r.failed).toBe(0);
      expect(r.rotationsFailed).toBe(0);
      // The rotation ran under load: requests completed while its process ran.
      expect(r.duringRotation).toBeGreaterThan(0);
      expect(r.people).toBeGreaterThan(ROTATION_SIZES.ci.seedPeople);
      expect({
        live: r.unreadableLive,
        restarted: r.unreadableAfterRestart,
        orphanKeys: r.orphanKeys,
      }).toEqual({
        live: 0,
        restarted: 0,
        orphanKeys: 0,
      });
      // The old version is really retired: each rotation retired the version before it, the key file holds the
      // newest version alone, and no data key or system key is still wrapped under an older one.
      const { rotations, keyFileVersions, wrappedUnderOld } = r.retirement;
      expect(rotations).toHaveLength(ROTATION_SIZES.ci.rotations);
      for (const rot of rotations) expect(rot.retired).toContain(rot.newVersion - 1);
      expect(keyFileVersions).toEqual([rotations.at(-1)!.newVersion]);
      expect(wrappedUnderOld).toBe(0);
      expect(r.auditOk).toBe(true);
    },
  );
});
