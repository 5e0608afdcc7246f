/**
 * The authorization matrix (issue 14 §4) as a soak suite: runs test/proof/authz-matrix.test.ts through vitest (its
 * global setup finds PostgreSQL) on both dialects — in full on both for `soak`, PostgreSQL sampled for `ci` — and
 * returns the matrix as a table: one row per route and dialect, one column per role (allow, deny, or n/m purposes
 * allowed), with the figures of each dialect as the summary.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SoakResult, SoakSuite } from './suite.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface DialectOutput {
  figures: Record<string, string | number>;
  rows: Record<string, string>[];
}

function runVitest(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/proof/authz-matrix.test.ts'],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const suite: SoakSuite = {
  name: 'authz-matrix',
  async run(size): Promise<SoakResult> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigilo-soak-authz-'));
    const out = path.join(dir, 'matrix');
    try {
      const exit = await runVitest({ SIGILO_AUTHZ_FULL: size === 'soak' ? '1' : '0', SIGILO_SOAK_OUT: out });
      const outputs = ['sqlite', 'postgres']
        .map((d) => `${out}.${d}.json`)
        .filter((f) => fs.existsSync(f))
        .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as DialectOutput);
      if (outputs.length === 0)
        throw new Error(`the authorization matrix produced no figures (vitest exit ${exit})`);
      const table = outputs.flatMap((o) => o.rows.map((r) => ({ dialect: String(o.figures.dialect), ...r })));
      const summary: Record<string, string | number> = { vitestExit: exit };
      for (const o of outputs) {
        for (const [k, v] of Object.entries(o.figures))
          if (k !== 'dialect') summary[`${o.figures.dialect}.${k}`] = v;
      }
      return { table, summary };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
