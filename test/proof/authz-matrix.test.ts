/**
 * The authorization matrix from the policy (issue 14 §4), on both dialects: every role × route × purpose of the
 * live OpenAPI document and the policy in force, plus cross-subject, guessed-id and escalation attempts. The full
 * matrix on SQLite; PostgreSQL runs every route with a sample of the purposes. `npm run soak` prints the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/http.ts';
import { DIALECTS } from '../support/stores.ts';
import { runAttacks, runAuthzMatrix, type MatrixReport } from './authz-matrix.ts';

describe.each(DIALECTS)('authorization matrix from the policy (%s)', (dialect) => {
  let t: TestApp;
  let report: MatrixReport;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    report = await runAuthzMatrix(t);
  }, 600_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('allows exactly where the policy grants', () => {
    console.log(JSON.stringify({ cases: report.cases, mism: report.mismatches.length }));
    for (const m of report.mismatches) console.log(JSON.stringify(m));
    expect(report.mismatches).toEqual([]);
  });
  it('logs every refusal with a documented code', () => {
    for (const m of report.unlogged) console.log('UNLOGGED', JSON.stringify(m));
    expect(report.unlogged).toEqual([]);
    expect(report.undocumented).toEqual([]);
  });
  it('attacks', async () => {
    const attacks = await runAttacks(t);
    for (const a of attacks.filter((x) => x.problem)) console.log('ATTACK', JSON.stringify(a));
    expect(attacks.filter((x) => x.problem)).toEqual([]);
  }, 600_000);
});
