/**
 * Crash proof (issue 14, suite 1), shared by test/proof/crash.test.ts and bench/soak/crash.suite.ts: a CDR import,
 * a retention sweep, a master-key rotation and a subject export run as real `sigilo` child processes and are killed
 * with SIGKILL at a random point; then the state is checked from outside (exact counts, no duplicates, nothing done
 * twice, the access log verifies with `sigilo audit verify`) and the same command run again must complete. The
 * power-loss trial freezes an import (SIGSTOP), copies the data directory (database, WAL, SHM, key file, head
 * file) as the disk held it at that instant, lets the import go on, and opens the copy.
 *
 * Each trial returns what it saw; the caller (a test or the soak runner) decides. Nothing here reads a sealed value
 * but through `sigilo` itself (export, gated reads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { openConfiguredStore, openSigilo, type Sigilo } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Store, StoreDialect } from '../../src/store/store.ts';
import { generateAsteriskCsvFile } from '../support/synthetic/synthetic-cdr.ts';
import {
  auditVerify,
  cdrCounts,
  cliInProcess,
  cnpj,
  createAccount,
  ended,
  proofCtx,
  proofInstallation,
  sleep,
  spawnCli,
  until,
  type CliChild,
  type ProofInstallation,
} from './process-harness.ts';

export type CrashOperation = 'import' | 'retention' | 'rotation' | 'export' | 'power-loss';

/** What one trial observed. `lost` and `duplicates` must be 0, `auditOk` and `nextRunOk` true. */
export interface CrashTrial {
  readonly operation: CrashOperation;
  readonly dialect: StoreDialect;
  readonly trial: number;
  /** The child was still running when it was killed (false: it finished first; the trial still checks). */
  readonly killedMidway: boolean;
  /** Units committed when the process died (records, keys rewrapped, bytes written), of `expected`. */
  readonly atKill: number;
  readonly expected: number;
  /** Units found after the next run. */
  readonly found: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly auditOk: boolean;
  readonly nextRunOk: boolean;
  /** What went wrong, for the report (never personal data: counts, codes, sequence numbers). */
  readonly problems: readonly string[];
}

export interface CrashSizes {
  /** CDRs per import trial. */
  readonly importRows: number;
  /** CDRs due for deletion per retention trial. */
  readonly retentionRows: number;
  /** Accounts (data keys) a rotation rewraps. */
  readonly subjects: number;
  readonly trials: number;
  /** Upper bound of the random delay after the operation showed progress, ms. */
  readonly jitterMs: number;
}

export const CRASH_SIZES: Record<'ci' | 'soak', CrashSizes> = {
  ci: { importRows: 3_000, retentionRows: 2_000, subjects: 200, trials: 3, jitterMs: 600 },
  // Ten trials of each: more random kill points rather than larger runs (a trial's cost is mostly process starts).
  soak: { importRows: 5_000, retentionRows: 1_500, subjects: 150, trials: 10, jitterMs: 600 },
};

const DAY_MS = 86_400_000;

/** One installation with an account owning the imported CDRs, and the state the trials accumulate. */
export class CrashBench {
  private imported = 0;
  private importTrials = 0;
  private retentionTrials = 0;
  private subjectIds: string[] = [];
  private requestId: string | null = null;
  private victim: string | null = null;
  private readonly windows = new Map<string, number>();
  private victims = 0;

  private constructor(
    readonly inst: ProofInstallation,
    readonly accountId: string,
    readonly sizes: CrashSizes,
    private readonly random: () => number,
  ) {}

  /** A fresh installation of `dialect` with one account. */
  static async create(
    dialect: StoreDialect,
    pgUrl: string | null,
    sizes: CrashSizes,
    random: () => number,
  ): Promise<CrashBench> {
    const inst = await proofInstallation(dialect, pgUrl);
    const sigilo = await inst.open();
    try {
      const accountId = await createAccount(sigilo, 'Telefonia Crash Ltda', cnpj(1));
      return new CrashBench(inst, accountId, sizes, random);
    } finally {
      await sigilo.close();
    }
  }

  async cleanup(): Promise<void> {
    await this.inst.cleanup();
  }

  private file(name: string): string {
    return path.join(this.inst.dir, name);
  }

  private async withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = this.inst.store();
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  /**
   * A child to be killed. On PostgreSQL its sessions carry an application name, so that after the kill the count
   * waits until the server has ended them: a COMMIT the child sent just before dying still completes there.
   */
  private spawnVictim(...argv: string[]): CliChild {
    const env = { ...this.inst.env };
    if (this.inst.dialect === 'postgres') {
      this.victim = `sigilo-crash-${process.pid}-${++this.victims}`;
      env.SIGILO_DATABASE_URL = `${env.SIGILO_DATABASE_URL!}&application_name=${this.victim}`;
    }
    return spawnCli(env, ...argv);
  }

  /** Waits until no session of the last killed child is left on the PostgreSQL server. */
  private async settle(): Promise<void> {
    if (this.inst.dialect !== 'postgres' || !this.victim) return;
    const name = this.victim;
    await until(
      () =>
        this.withStore(async (s) => {
          const { rows } = await sql<{ n: number | string }>`select count(*) as n from pg_stat_activity
            where application_name = ${name}`.execute(s.db);
          return Number(rows[0]?.n ?? 0) === 0;
        }),
      null,
      30_000,
    );
  }

  /**
   * Waits a random delay after progress showed, or until `c` ends first. The bound adapts per operation: when a
   * run ended before its delay, the next delays are drawn from 70 % of the time it took, so on a fast machine the
   * kills still land mid-run rather than after it.
   */
  private async randomPause(op: string, c: CliChild, jitterMs: number): Promise<void> {
    const from = Date.now();
    const bound = this.windows.get(op) ?? jitterMs;
    await Promise.race([sleep(Math.floor(this.random() * bound)), c.exited]);
    if (ended(c)) this.windows.set(op, Math.max(10, 0.7 * (Date.now() - from)));
  }

  /** Kills `c` once `progressed` holds, after a random pause; whether it was still running. */
  private async killAtRandomPoint(
    op: string,
    c: CliChild,
    progressed: () => Promise<boolean>,
    jitterMs = this.sizes.jitterMs,
  ): Promise<boolean> {
    await until(progressed, c, 120_000);
    await this.randomPause(op, c, jitterMs);
    const running = !ended(c);
    if (running) c.child.kill('SIGKILL');
    const exit = await c.exited;
    await this.settle();
    return running && exit.signal === 'SIGKILL';
  }

  private async audit(problems: string[]): Promise<boolean> {
    const a = await auditVerify(this.inst.env);
    if (!a.ok) problems.push(`audit verify: ${a.problem ?? 'failed'}`);
    return a.ok;
  }

  /** A CDR file of this trial: distinct days per trial, so every trial's records are new. */
  private async cdrFile(name: string, rows: number, start: Date, seed: number): Promise<string> {
    const file = this.file(name);
    await generateAsteriskCsvFile(file, { rows }, { seed, start, accounts: ['crash'] });
    return file;
  }

  private importArgs(file: string): string[] {
    return [
      'import',
      '--format',
      'asterisk-csv',
      '--account',
      this.accountId,
      '--batch-size',
      '250',
      '--no-progress',
      '--json',
      file,
    ];
  }

  /** Kill -9 during `sigilo import`, then import the same file again: every record once, none twice. */
  async importTrial(): Promise<CrashTrial> {
    const trial = this.importTrials++;
    const problems: string[] = [];
    const rows = this.sizes.importRows;
    const start = new Date(Date.UTC(2026, 1, 2, 11) + trial * 14 * DAY_MS);
    const file = await this.cdrFile(`import-${trial}.csv`, rows, start, 1000 + trial);
    const before = this.imported;
    const c = this.spawnVictim(...this.importArgs(file));
    const total = () => this.withStore((s) => cdrTotal(s, this.accountId));
    const killed = await this.killAtRandomPoint('import', c, async () => (await total()) > before);
    const atKill = (await total()) - before;
    const again = await cliInProcess(this.inst.env, ...this.importArgs(file));
    let nextRunOk = again.code === 0;
    if (nextRunOk) {
      const r = JSON.parse(again.out) as {
        read: number;
        stored: number;
        duplicates: number;
        rejected: number;
      };
      if (r.read !== rows || r.rejected !== 0) problems.push(`rerun read ${r.read}, rejected ${r.rejected}`);
      if (r.duplicates !== atKill) problems.push(`rerun saw ${r.duplicates} stored before, ${atKill} were`);
    } else {
      problems.push(`rerun exited ${again.code}: ${firstLine(again.err)}`);
      nextRunOk = false;
    }
    const counts = await this.withStore((s) => cdrCounts(s, this.accountId));
    this.imported = before + rows;
    const found = counts.records - before;
    const duplicates = counts.records - counts.distinctKeys;
    if (found !== rows) problems.push(`${found} records of ${rows} after the rerun`);
    if (duplicates) problems.push(`${duplicates} duplicate records`);
    return {
      operation: 'import',
      dialect: this.inst.dialect,
      trial,
      killedMidway: killed,
      atKill,
      expected: rows,
      found,
      lost: Math.max(0, rows - found),
      duplicates: Math.max(0, duplicates) + Math.max(0, found - rows),
      auditOk: await this.audit(problems),
      nextRunOk,
      problems,
    };
  }

  /**
   * Kill -9 during `sigilo retention run` over CDRs past their five years, then sweep again: every due record
   * gone, every other one kept, each deletion batch counted once, no run left marked running.
   */
  async retentionTrial(): Promise<CrashTrial> {
    const trial = this.retentionTrials++;
    const problems: string[] = [];
    const rows = this.sizes.retentionRows;
    // Calls of 2019–2020, past the call_record period (P5Y) today, on days no other trial used.
    const start = new Date(Date.UTC(2019, 0, 7, 11) + trial * 21 * DAY_MS);
    const file = await this.cdrFile(`old-${trial}.csv`, rows, start, 5000 + trial);
    const imp = await cliInProcess(this.inst.env, ...this.importArgs(file));
    if (imp.code !== 0) throw new Error(`seeding the retention trial failed: ${firstLine(imp.err)}`);
    const due = { before: '2021-06-01' };
    const keep = { from: '2021-06-01' };
    const [dueBefore, keptBefore] = await this.withStore(async (s) => [
      (await cdrCounts(s, this.accountId, due)).records,
      (await cdrCounts(s, this.accountId, keep)).records,
    ]);
    const runsBefore = await this.withStore((s) => runIds(s));
    const c = this.spawnVictim('retention', 'run', '--json', '--no-progress', '--batch-size', '20');
    const killed = await this.killAtRandomPoint(
      'retention',
      c,
      async () => this.withStore(async (s) => (await runIds(s)).length > runsBefore.length),
      // Whole days past their period go in one statement per table: the sweep is short once it has started.
      this.sizes.jitterMs / 4,
    );
    const atKill = dueBefore - (await this.withStore((s) => cdrCounts(s, this.accountId, due))).records;
    const again = await cliInProcess(this.inst.env, 'retention', 'run', '--json', '--no-progress');
    const nextRunOk = again.code === 0;
    if (!nextRunOk) problems.push(`rerun exited ${again.code}: ${firstLine(again.err)}`);
    const after = await this.withStore(async (s) => ({
      due: (await cdrCounts(s, this.accountId, due)).records,
      kept: await cdrCounts(s, this.accountId, keep),
      batches: await cdrBatchRecords(s, runsBefore),
      running: await runningRuns(s),
    }));
    if (after.due !== 0) problems.push(`${after.due} due records left after the rerun`);
    if (after.kept.records !== keptBefore)
      problems.push(`${keptBefore - after.kept.records} records not due lost`);
    // Every committed batch is written with its deletion: their sum is what went, once.
    if (after.batches !== dueBefore)
      problems.push(`batches count ${after.batches} deleted records of ${dueBefore}`);
    // The killed run still looks alive (fresh heartbeat) to the rerun; the first sweep once it is stale (15 min)
    // certifies and closes it, so every deletion ends up in exactly one certificate.
    const killedRun = after.running.filter((id) => !runsBefore.includes(id));
    if (after.running.length > (killed ? 1 : 0))
      problems.push(`${after.running.length} run(s) still marked running`);
    const later = await this.openLater(16 * 60_000);
    try {
      await later.retention.run({ trigger: 'cli' });
    } finally {
      await later.close();
    }
    const closed = await this.withStore(async (s) => ({
      running: await runningRuns(s),
      certified: await certifiedRecords(s, runsBefore),
    }));
    if (closed.running.length)
      problems.push(`${closed.running.length} run(s) marked running after the stale window`);
    if (closed.certified !== dueBefore)
      problems.push(
        `certificates count ${closed.certified} deleted records of ${dueBefore} (${killedRun.length} killed run)`,
      );
    return {
      operation: 'retention',
      dialect: this.inst.dialect,
      trial,
      killedMidway: killed,
      atKill,
      expected: dueBefore,
      found: dueBefore - after.due,
      lost: Math.max(0, keptBefore - after.kept.records),
      duplicates: Math.max(0, after.batches - dueBefore) + (after.kept.records - after.kept.distinctKeys),
      auditOk: await this.audit(problems),
      nextRunOk,
      problems,
    };
  }

  /** This installation's Sigilo with a clock `aheadMs` in the future (a sweep after the stale window). */
  private openLater(aheadMs: number): Promise<Sigilo> {
    return openSigilo(loadConfig(this.inst.env), { now: () => new Date(Date.now() + aheadMs) });
  }

  /** Accounts whose data keys a rotation rewraps (created once, on the first rotation trial). */
  private async ensureSubjects(): Promise<void> {
    if (this.subjectIds.length) return;
    const sigilo = await this.inst.open();
    try {
      for (let i = 0; i < this.sizes.subjects; i++) {
        this.subjectIds.push(await createAccount(sigilo, `Cliente ${i} Ltda`, cnpj(100 + i)));
      }
    } finally {
      await sigilo.close();
    }
  }

  /**
   * Kill -9 during `sigilo keys rotate`, then: every wrapped key names a master-key version the key file holds,
   * every account reads back, and the next rotation rewraps the rest and retires the old versions.
   */
  async rotationTrial(trial: number): Promise<CrashTrial> {
    await this.ensureSubjects();
    const problems: string[] = [];
    const keyFile = path.join(this.inst.env.SIGILO_DATA_DIR!, 'master.key');
    const versions = () => keyFileVersions(keyFile);
    const current = versions().current;
    const expected = await this.withStore((s) => dataKeyCount(s));
    // Small batches: a kill lands between committed batches as well as inside one.
    const batch = String(Math.max(10, Math.floor(this.subjectIds.length / 12)));
    const c = this.spawnVictim('keys', 'rotate', '--json', '--batch-size', batch);
    const killed = await this.killAtRandomPoint('rotation', c, () =>
      Promise.resolve(versions().current > current),
    );
    const afterKill = versions();
    const atKill = await this.withStore((s) => dataKeyCount(s, afterKill.current));
    const orphans = await this.withStore((s) => dataKeysOutside(s, afterKill.versions));
    if (orphans) problems.push(`${orphans} data keys wrapped under a version the key file lost`);
    const again = await cliInProcess(this.inst.env, 'keys', 'rotate', '--json', '--batch-size', batch);
    const nextRunOk = again.code === 0;
    if (!nextRunOk) problems.push(`rerun exited ${again.code}: ${firstLine(again.err)}`);
    const final = versions();
    const [underCurrent, total] = await this.withStore(async (s) => [
      await dataKeyCount(s, final.current),
      await dataKeyCount(s),
    ]);
    if (underCurrent !== total)
      problems.push(`${total - underCurrent} data keys not under the current version`);
    if (final.versions.length !== 1) problems.push(`key file keeps versions ${final.versions.join(', ')}`);
    if (total !== expected) problems.push(`${total} data keys, ${expected} before`);
    const readableAfter = await this.readAll(problems);
    return {
      operation: 'rotation',
      dialect: this.inst.dialect,
      trial,
      killedMidway: killed,
      atKill,
      expected: this.subjectIds.length,
      found: readableAfter,
      lost: this.subjectIds.length - readableAfter,
      duplicates: Math.max(0, total - expected),
      auditOk: await this.audit(problems),
      nextRunOk,
      problems,
    };
  }

  /** Reads every rotation account through the gate; how many answered with their name. */
  private async readAll(problems: string[]): Promise<number> {
    const sigilo = await this.inst.open();
    let ok = 0;
    try {
      for (const [i, id] of this.subjectIds.entries()) {
        try {
          const a = await sigilo.gate.run(proofCtx('support_agent', 'support'), (s) =>
            sigilo.services.accounts.get(s, id),
          );
          if (a.name === `Cliente ${i} Ltda`) ok++;
        } catch (err) {
          problems.push(`account ${i}: ${(err as { code?: string }).code ?? 'error'}`);
        }
      }
    } finally {
      await sigilo.close();
    }
    return ok;
  }

  /**
   * Kill -9 during `sigilo requests export`, then export again to the same path: nothing half-written is left
   * where the answer belongs, and the next export holds every call record.
   */
  async exportTrial(trial: number): Promise<CrashTrial> {
    const problems: string[] = [];
    const id = await this.ensureRequest();
    const out = this.file(`export-${trial}.json`);
    const expected = await this.withStore((s) => cdrTotal(s, this.accountId));
    const c = this.spawnVictim('requests', 'export', id, '--out', out);
    const dir = path.dirname(out);
    const written = () => exportBytes(dir, path.basename(out));
    const killed = await this.killAtRandomPoint('export', c, () => Promise.resolve(written() > 0));
    const atKill = written();
    const count = (file: string): number => {
      try {
        return countExportedCdrs(JSON.parse(fs.readFileSync(file, 'utf8')));
      } catch {
        problems.push('an export is not valid JSON');
        return -1;
      }
    };
    // Killed before publishing: the next run writes where the killed one would have; otherwise it is whole.
    // A kill after the export was published (before the process exited) leaves the whole answer there.
    if (fs.existsSync(out) && count(out) !== expected)
      problems.push('an incomplete export was left at --out');
    const next = fs.existsSync(out) ? `${out}.next.json` : out;
    const again = await cliInProcess(this.inst.env, 'requests', 'export', id, '--out', next);
    const nextRunOk = again.code === 0;
    if (!nextRunOk) problems.push(`rerun exited ${again.code}: ${firstLine(again.err)}`);
    const found = nextRunOk ? count(next) : 0;
    if (found !== expected) problems.push(`export holds ${found} call records of ${expected}`);
    const leftovers = fs.readdirSync(dir).filter((f) => f.endsWith('.partial'));
    if (leftovers.length) problems.push(`${leftovers.length} temporary export file(s) left`);
    return {
      operation: 'export',
      dialect: this.inst.dialect,
      trial,
      killedMidway: killed,
      atKill,
      expected,
      found,
      lost: Math.max(0, expected - found),
      duplicates: Math.max(0, found - expected),
      auditOk: await this.audit(problems),
      nextRunOk,
      problems,
    };
  }

  private async ensureRequest(): Promise<string> {
    if (this.requestId) return this.requestId;
    const created = await cliInProcess(
      this.inst.env,
      'requests',
      'create',
      '--subject',
      this.accountId,
      '--type',
      'access_complete',
      '--json',
    );
    if (created.code !== 0) throw new Error(`requests create failed: ${firstLine(created.err)}`);
    const id = (JSON.parse(created.out) as { id: string }).id;
    const verified = await cliInProcess(
      this.inst.env,
      'requests',
      'verify',
      id,
      '--document',
      'company_registration',
      '--reference',
      'PROOF-1',
    );
    if (verified.code !== 0) throw new Error(`requests verify failed: ${firstLine(verified.err)}`);
    this.requestId = id;
    return id;
  }

  /**
   * SQLite only: freeze an import at a random point, copy the data directory as it is on disk at that instant,
   * let the import finish, then open the copy: it opens, its log verifies, it holds a prefix of the import with no
   * duplicate, and importing the file into the copy completes it exactly.
   */
  async powerLossTrial(trial: number): Promise<CrashTrial> {
    const problems: string[] = [];
    const rows = this.sizes.importRows;
    const start = new Date(Date.UTC(2025, 5, 2, 11) + trial * 14 * DAY_MS);
    const file = await this.cdrFile(`power-${trial}.csv`, rows, start, 9000 + trial);
    const before = this.imported;
    const c = spawnCli(this.inst.env, ...this.importArgs(file));
    await until(async () => (await this.withStore((s) => cdrTotal(s, this.accountId))) > before, c, 120_000);
    await this.randomPause('power-loss', c, this.sizes.jitterMs);
    const copy = path.join(this.inst.dir, `power-copy-${trial}`);
    const frozen = !ended(c) && c.child.kill('SIGSTOP');
    try {
      fs.cpSync(this.inst.env.SIGILO_DATA_DIR!, copy, { recursive: true });
    } finally {
      if (frozen) c.child.kill('SIGCONT');
    }
    const exit = await c.exited;
    if (exit.code !== 0) problems.push(`the original import exited ${exit.code ?? exit.signal}`);
    this.imported = before + rows;
    const env = { ...this.inst.env, SIGILO_DATA_DIR: copy };
    const prefix = await withStoreOf(env, (s) => cdrCounts(s, this.accountId));
    const atKill = prefix.records - before;
    if (prefix.records !== prefix.distinctKeys) problems.push('duplicates in the copy');
    const auditOk = (await auditVerify(env)).ok;
    if (!auditOk) problems.push('the copy’s access log does not verify');
    const again = await cliInProcess(env, ...this.importArgs(file));
    const nextRunOk = again.code === 0;
    if (!nextRunOk) problems.push(`import into the copy exited ${again.code}: ${firstLine(again.err)}`);
    const final = await withStoreOf(env, (s) => cdrCounts(s, this.accountId));
    const found = final.records - before;
    if (found !== rows) problems.push(`${found} records of ${rows} in the completed copy`);
    fs.rmSync(copy, { recursive: true, force: true });
    return {
      operation: 'power-loss',
      dialect: this.inst.dialect,
      trial,
      killedMidway: frozen,
      atKill,
      expected: rows,
      found,
      lost: Math.max(0, rows - found),
      duplicates: final.records - final.distinctKeys,
      auditOk,
      nextRunOk,
      problems,
    };
  }
}

/** Runs `work` on the store of the installation `env` names (the power-loss copy). */
async function withStoreOf<T>(env: Record<string, string>, work: (s: Store) => Promise<T>): Promise<T> {
  const store = openConfiguredStore(loadConfig(env));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Runs every trial of every operation the dialect has, in order; what each saw. */
export async function runCrashProof(
  dialect: StoreDialect,
  pgUrl: string | null,
  sizes: CrashSizes,
  random: () => number,
  only: readonly CrashOperation[] = ['import', 'retention', 'rotation', 'export', 'power-loss'],
  onTrial: (t: CrashTrial) => void = () => undefined,
): Promise<CrashTrial[]> {
  const bench = await CrashBench.create(dialect, pgUrl, sizes, random);
  const trials: CrashTrial[] = [];
  const add = (t: CrashTrial): void => {
    trials.push(t);
    onTrial(t);
  };
  try {
    for (let t = 0; t < sizes.trials; t++) {
      if (only.includes('import')) add(await bench.importTrial());
      if (only.includes('retention')) add(await bench.retentionTrial());
      if (only.includes('rotation')) add(await bench.rotationTrial(t));
      if (only.includes('export')) add(await bench.exportTrial(t));
      if (only.includes('power-loss') && dialect === 'sqlite') add(await bench.powerLossTrial(t));
    }
  } finally {
    await bench.cleanup();
  }
  return trials;
}

/** The soak/CI table: one row per operation and dialect. */
export function crashTable(trials: readonly CrashTrial[]): Record<string, string | number>[] {
  const groups = new Map<string, CrashTrial[]>();
  for (const t of trials) {
    const k = `${t.operation}/${t.dialect}`;
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  return [...groups.entries()].map(([k, ts]) => ({
    operation: k,
    trials: ts.length,
    'killed mid-run': ts.filter((t) => t.killedMidway).length,
    'units at kill (min–max)': `${Math.min(...ts.map((t) => t.atKill))}–${Math.max(...ts.map((t) => t.atKill))}`,
    expected: ts.reduce((n, t) => n + t.expected, 0),
    lost: ts.reduce((n, t) => n + t.lost, 0),
    duplicates: ts.reduce((n, t) => n + t.duplicates, 0),
    'audit fails': ts.filter((t) => !t.auditOk).length,
    'rerun fails': ts.filter((t) => !t.nextRunOk).length,
    problems: ts.reduce((n, t) => n + t.problems.length, 0),
  }));
}

async function cdrTotal(store: Store, accountId: string): Promise<number> {
  const row = await store.db
    .selectFrom('telecom_segments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('record_count'), eb.lit(0)).as('n'))
    .where('kind', '=', 'cdr')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function runIds(store: Store): Promise<string[]> {
  return (await store.db.selectFrom('retention_runs').select('id').execute()).map((r) => r.id);
}

async function runningRuns(store: Store): Promise<string[]> {
  return (
    await store.db.selectFrom('retention_runs').select('id').where('status', '=', 'running').execute()
  ).map((r) => r.id);
}

/** Records the committed CDR deletion batches of runs started after `earlier` say they deleted. */
async function cdrBatchRecords(store: Store, earlier: readonly string[]): Promise<number> {
  let q = store.db
    .selectFrom('retention_batches')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('records'), eb.lit(0)).as('n'))
    .where('target_id', '=', 'telecom.cdr');
  if (earlier.length) q = q.where('run_id', 'not in', earlier);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

/** CDR records the deletion batches of certified runs started after `earlier` hold (each batch certified once). */
async function certifiedRecords(store: Store, earlier: readonly string[]): Promise<number> {
  let q = store.db
    .selectFrom('retention_batches as b')
    .innerJoin('retention_runs as r', 'r.id', 'b.run_id')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('b.records'), eb.lit(0)).as('n'))
    .where('b.target_id', '=', 'telecom.cdr')
    .where('r.certificate_id', 'is not', null);
  if (earlier.length) q = q.where('r.id', 'not in', earlier);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

async function dataKeyCount(store: Store, kekVersion?: number): Promise<number> {
  let q = store.db.selectFrom('data_keys').select((eb) => eb.fn.countAll<number>().as('n'));
  if (kekVersion !== undefined) q = q.where('kek_version', '=', kekVersion);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

async function dataKeysOutside(store: Store, versions: readonly number[]): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from data_keys
    where kek_version not in (${sql.join([...versions])})`.execute(store.db);
  const material = await sql<{ n: number | string }>`select count(*) as n from key_material
    where kek_version not in (${sql.join([...versions])})`.execute(store.db);
  return Number(rows[0]?.n ?? 0) + Number(material.rows[0]?.n ?? 0);
}

/** The versions in the key file and the current one (numbers only; no key is read into a message). */
function keyFileVersions(file: string): { current: number; versions: number[] } {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { current: number; keys: { version: number }[] };
    return { current: doc.current, versions: doc.keys.map((k) => k.version) };
  } catch {
    return { current: 0, versions: [] }; // between the rename and the read: try again
  }
}

/** Bytes of the export at `name` in `dir` or of any temporary file it is being written to. */
function exportBytes(dir: string, name: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    if (f.includes(name)) n += fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0;
  }
  return n;
}

/** How many call records an export document holds. */
export function countExportedCdrs(doc: unknown): number {
  const sections = (doc as { sections?: Record<string, unknown[]> }).sections ?? {};
  let n = 0;
  for (const items of Object.values(sections)) {
    for (const item of items) if ((item as { kind?: string }).kind === 'cdr') n++;
  }
  return n;
}

function firstLine(s: string): string {
  return s.split('\n')[0]?.slice(0, 200) ?? '';
}
