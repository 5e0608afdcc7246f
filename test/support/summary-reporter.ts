import path from 'node:path';
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

/** What one run came to; everything in `failedFiles`, `hookErrors` and `unhandledErrors` counts as failed. */
export interface RunTally {
  passed: number;
  failedTests: number;
  skipped: number;
  /** Files that failed before any of their tests was collected (syntax or import error, a throw at top level). */
  failedFiles: string[];
  /** Errors raised outside any test in files that did collect tests (beforeAll/afterAll of a file or suite). */
  hookErrors: number;
  /** Errors vitest caught outside every test file (an uncaught exception or rejection while tests ran). */
  unhandledErrors: number;
  interrupted: boolean;
  /** Vitest's own verdict was `failed`: if nothing above explains it, the line still must not read as green. */
  runFailed: boolean;
}

/** Counts tests by outcome and every failure that happened outside a test, so none of them reads as a pass. */
function tallyRun(
  modules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<unknown>,
  reason: TestRunEndReason,
  root: string,
): RunTally {
  const tally: RunTally = {
    passed: 0,
    failedTests: 0,
    skipped: 0,
    failedFiles: [],
    hookErrors: 0,
    unhandledErrors: unhandledErrors.length,
    interrupted: reason === 'interrupted',
    runFailed: reason === 'failed',
  };
  for (const m of modules) {
    let collected = 0;
    for (const t of m.children.allTests()) {
      collected++;
      const state = t.result().state;
      if (state === 'passed') tally.passed++;
      else if (state === 'failed') tally.failedTests++;
      else tally.skipped++;
    }
    if (collected === 0 && (m.errors().length > 0 || m.state() === 'failed')) {
      tally.failedFiles.push(path.relative(root, m.moduleId));
      continue;
    }
    tally.hookErrors += m.errors().length;
    for (const s of m.children.allSuites()) tally.hookErrors += s.errors().length;
  }
  return tally;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The closing line CI repeats: `Tests: N passed, N failed, N skipped`, then what the failures were when not tests. */
export function summaryLine(t: RunTally): string {
  const counted = t.failedTests + t.failedFiles.length + t.hookErrors + t.unhandledErrors;
  const unexplained = t.runFailed && counted === 0;
  const failed = unexplained ? 1 : counted;
  const outside = [
    t.failedFiles.length > 0 && count(t.failedFiles.length, 'file failed to load', 'files failed to load'),
    t.hookErrors > 0 && count(t.hookErrors, 'hook failed', 'hooks failed'),
    t.unhandledErrors > 0 && count(t.unhandledErrors, 'unhandled error', 'unhandled errors'),
    unexplained && 'the run failed outside any test: see the errors above',
  ].filter((part) => part !== false);
  const parts = outside.length > 0 ? [count(t.failedTests, 'test failed', 'tests failed'), ...outside] : [];
  if (t.interrupted) parts.push('run interrupted');
  const detail = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  return `Tests: ${t.passed} passed, ${failed} failed, ${t.skipped} skipped${detail}`;
}

/** Ends the run with one plain line, `Tests: N passed, N failed, N skipped`, that any CI log reader understands. */
export default class SummaryReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): void {
    const tally = tallyRun(modules, unhandledErrors, reason, this.root);
    const files = tally.failedFiles.map((f) => `\n  ${f}`).join('');
    if (files) process.stdout.write(`\nFiles that failed to load (none of their tests ran):${files}\n`);
    process.stdout.write(`\n${summaryLine(tally)}\n`);
  }
}
