/**
 * Schema-driven fuzzing of every route (issue 14 §3), on both dialects. Bounded here; `npm run soak` runs it larger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/http.ts';
import { DIALECTS } from '../support/stores.ts';
import { runOpenApiFuzz } from './openapi-fuzz.ts';

describe.each(DIALECTS)('fuzz from openapi.json (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('every route, role and purpose: no 5xx, no hang, documented refusals, nothing echoed, nothing changed', async () => {
    const report = await runOpenApiFuzz(t, { runsPerOperation: 8, seed: 20261203 });
    expect(report.operations).toBeGreaterThan(50);
    expect(report.refused).toBeGreaterThan(report.cases / 2);
    expect(report.violations).toEqual([]);
  }, 300_000);
});
