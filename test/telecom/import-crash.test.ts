import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sealedView } from '../../src/store/store.ts';
import { createTestSigilo } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { makeAccount, syntheticAsterisk } from '../support/telecom.ts';

const CHILD = path.resolve(import.meta.dirname, 'import-child.ts');
// Enough records that the import is still running at the kill (~1 s at the import's rate on the 2-core machine).
const RECORDS = 60_000;

function runChild(
  env: Record<string, string>,
  args: string[],
  kill?: { started: () => Promise<boolean>; afterMs: number },
): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      env: { ...process.env, ...env, SIGILO_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    if (kill) {
      // Kill once the child has committed its first batches, at a random point after that.
      const poll = setInterval(() => {
        void kill.started().then((yes) => {
          if (yes && !timer) {
            clearInterval(poll);
            timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
          }
        });
      }, 25);
      child.on('close', () => clearInterval(poll));
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && signal === null)
        reject(new Error(`import child failed (${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ code, signal, stdout });
    });
  });
}

describe.each(DIALECTS)('import killed with SIGKILL on %s', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it(
    'ends with exactly the source records after a re-run, no duplicates, and a verifiable log',
    // Several child imports in a row: minutes on a loaded 2-core machine, well under a minute on a quiet one.
    { timeout: 300_000 },
    async () => {
      const t = await createTestSigilo(dialect);
      cleanup = t.cleanup;
      const account = await makeAccount(t.sigilo);
      const { lines } = syntheticAsterisk(RECORDS, 99);
      const file = path.join(t.dir, 'Master.csv');
      fs.writeFileSync(file, lines.join(''));

      const afterMs = Math.floor(Math.random() * 200);
      const first = await runChild(t.env, [file, account, '500'], {
        started: async () => (await stored(t)) > 0,
        afterMs,
      });
      const countAfterKill = await stored(t);
      expect(first.signal).toBe('SIGKILL');
      expect(countAfterKill).toBeGreaterThan(0);
      expect(countAfterKill).toBeLessThan(RECORDS);

      const second = await runChild(t.env, [file, account, '500']);
      const report = JSON.parse(second.stdout.trim().split('\n').at(-1)!) as {
        stored: number;
        duplicates: number;
        read: number;
      };
      expect(report.read).toBe(RECORDS);
      expect(report.stored + report.duplicates).toBe(RECORDS);
      expect(report.duplicates).toBe(countAfterKill);
      expect(await stored(t)).toBe(RECORDS);
      // Every stored record's natural key is in its segment, once.
      const blobs = await sealedView(t.sigilo.store.db)
        .selectFrom('telecom_segments')
        .select('record_keys')
        .execute();
      const keys = new Set<string>();
      for (const { record_keys: b } of blobs)
        for (let o = 1; o < b!.length; o += 16) keys.add(b!.subarray(o, o + 16).toString('hex'));
      expect(keys.size).toBe(RECORDS);
      expect((await t.sigilo.accessLog.verify()).ok).toBe(true);
    },
  );
});

async function stored(t: Awaited<ReturnType<typeof createTestSigilo>>): Promise<number> {
  const r = await t.sigilo.store.db
    .selectFrom('telecom_segments')
    .select((eb) => eb.fn.sum<number>('record_count').as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
