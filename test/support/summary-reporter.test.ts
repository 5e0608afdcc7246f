/** The closing `Tests:` line CI repeats never reads as green when test files failed to load or hooks failed. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryLine, type RunTally } from './summary-reporter.ts';

const REPORTER = path.join(import.meta.dirname, 'summary-reporter.ts');
const VITEST_BIN = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

// A tiny project: test files use vitest's globals, so they import nothing and can live outside the repository.
const FILES: Record<string, string> = {
  'passing.test.js': "test('one', () => {});\ntest('two', () => {});\n",
  'failing.test.js': "test('passes', () => {});\ntest('fails', () => { throw new Error('expected'); });\n",
  'broken-syntax.test.js': "test('never runs', () => {\n",
  'missing-import.test.js': "import './no-such-module.js';\ntest('never runs', () => {});\n",
  'failing-hook.test.js':
    "beforeAll(() => { throw new Error('setup'); });\ntest('a', () => {});\ntest('b', () => {});\n",
  'vitest.config.mjs': `export default { test: { include: ['*.test.js'], globals: true, reporters: [${JSON.stringify(REPORTER)}] } };\n`,
};

describe('the summary reporter, run by vitest on a project with broken files', () => {
  let dir = '';
  let run: { code: number; stdout: string };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-reporter-'));
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
    // The child is a fresh vitest: none of this worker's VITEST_* variables may reach it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const args = [VITEST_BIN, 'run', '--root', dir, '--config', path.join(dir, 'vitest.config.mjs')];
    try {
      const { stdout } = await promisify(execFile)(process.execPath, args, {
        cwd: dir,
        env: { ...env, NO_COLOR: '1' },
      });
      run = { code: 0, stdout };
    } catch (err) {
      const { code, stdout } = err as { code: number; stdout: string };
      run = { code, stdout };
    }
  }, 120_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts each file that failed to load and each failed hook as failed, and says what they were', () => {
    const last = run.stdout.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      'Tests: 3 passed, 4 failed, 2 skipped (1 test failed, 2 files failed to load, 1 hook failed)',
    );
    expect(run.code).toBe(1);
  });

  it('names the files that failed to load', () => {
    const list = /Files that failed to load \(none of their tests ran\):\n((?: {2}.+\n)+)/.exec(run.stdout);
    expect(list?.[1]?.trim().split(/\s+/).sort()).toEqual([
      'broken-syntax.test.js',
      'missing-import.test.js',
    ]);
  });
});

describe('summaryLine', () => {
  const tally = (over: Partial<RunTally>): RunTally => ({
    passed: 0,
    failedTests: 0,
    skipped: 0,
    failedFiles: [],
    hookErrors: 0,
    unhandledErrors: 0,
    interrupted: false,
    runFailed: false,
    ...over,
  });

  it('reads as before when only tests ran, passed or failed', () => {
    expect(summaryLine(tally({ passed: 1030, skipped: 12 }))).toBe(
      'Tests: 1030 passed, 0 failed, 12 skipped',
    );
    expect(summaryLine(tally({ passed: 9, failedTests: 2, runFailed: true }))).toBe(
      'Tests: 9 passed, 2 failed, 0 skipped',
    );
  });

  it('counts one file that failed to load, and an unhandled error, in the singular', () => {
    expect(
      summaryLine(tally({ passed: 5, failedFiles: ['a.test.ts'], unhandledErrors: 1, runFailed: true })),
    ).toBe('Tests: 5 passed, 2 failed, 0 skipped (0 tests failed, 1 file failed to load, 1 unhandled error)');
  });

  it('never reads as green when vitest failed the run for a reason it did not count', () => {
    expect(summaryLine(tally({ passed: 5, runFailed: true }))).toBe(
      'Tests: 5 passed, 1 failed, 0 skipped (0 tests failed, the run failed outside any test: see the errors above)',
    );
  });

  it('says when the run was interrupted', () => {
    expect(summaryLine(tally({ passed: 5, interrupted: true }))).toBe(
      'Tests: 5 passed, 0 failed, 0 skipped (run interrupted)',
    );
  });
});
