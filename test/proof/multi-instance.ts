/**
 * Two instances on one PostgreSQL database (issue 14, suite 5), shared by test/proof/multi-instance.test.ts and
 * bench/soak/multi-instance.suite.ts. Two `sigilo serve` processes, each with its own data directory (a copy of
 * the one master-key file, its own audit head file) and a retention sweep every second, take at once: the same CDR
 * batches sent to both (overlapping imports), subject requests created on one and verified and exported on the
 * other, while both sweep CDRs past their five years. Then: every record stored once (the instances' `stored`
 * figures add up to the distinct records, none twice), every due record deleted once (the committed deletion
 * batches add up to it), every request once, no run left marked running, no session left in a transaction or
 * holding a lock, and the access log verifies against each instance's head file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import {
  auditVerify,
  call,
  cdrCounts,
  cliInProcess,
  cnpj,
  createAccount,
  proofInstallation,
  sleep,
  staffToken,
  startServer,
  until,
  type ProofInstallation,
  type ServerChild,
} from './process-harness.ts';
import type { Store } from '../../src/store/store.ts';
import { generateAsteriskCsvFile } from '../support/synthetic/synthetic-cdr.ts';

export interface MultiInstanceSizes {
  /** CDR batches sent to both instances, and records per batch. */
  readonly batches: number;
  readonly batchSize: number;
  /** Subject requests, created on one instance and verified and exported on the other. */
  readonly requests: number;
  /** CDRs past retention seeded before the instances start. */
  readonly dueRecords: number;
}

export const MULTI_SIZES: Record<'ci' | 'soak', MultiInstanceSizes> = {
  ci: { batches: 12, batchSize: 200, requests: 6, dueRecords: 2_000 },
  soak: { batches: 30, batchSize: 300, requests: 12, dueRecords: 6_000 },
};

export interface MultiInstanceResult {
  readonly requests: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly records: number;
  readonly storedByInstances: number;
  readonly distinctRecords: number;
  readonly duplicates: number;
  readonly dueRecords: number;
  readonly dueLeft: number;
  readonly deletedByBatches: number;
  readonly subjectRequests: number;
  readonly subjectRequestsFound: number;
  readonly exportsComplete: number;
  /** 'answered' steps in the requests' histories: one per request, though both instances exported each. */
  readonly answeredSteps: number;
  readonly runsLeftRunning: number;
  readonly sweepsCompleted: number;
  readonly sessionsInTransaction: number;
  readonly locksHeld: number;
  readonly auditOk: readonly boolean[];
  readonly seconds: number;
}

/** One CDR of batch `b`, number `i` (natural key `mi-b-i`), on a day of late 2026. */
function cdr(b: number, i: number): Record<string, unknown> {
  const start = Date.UTC(2026, 9, 1, 12) + (b * 1_000 + i) * 37_000;
  return {
    platformId: `mi-${b}-${i}`,
    startedAt: new Date(start).toISOString().replace(/\.\d+Z$/, 'Z'),
    answeredAt: new Date(start + 5_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    endedAt: new Date(start + 65_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    caller: `+5511${String(900_000_000 + i).slice(0, 9)}`,
    callee: `+5521${String(980_000_000 + b).slice(0, 9)}`,
    direction: 'outbound',
    disposition: 'answered',
  };
}

/** Runs the scenario on a fresh PostgreSQL schema. */
export async function runMultiInstance(
  pgUrl: string,
  sizes: MultiInstanceSizes,
): Promise<MultiInstanceResult> {
  const t0 = Date.now();
  const inst = await proofInstallation('postgres', pgUrl);
  const servers: ServerChild[] = [];
  try {
    const sigilo = await inst.open();
    let accountId: string;
    let oldAccountId: string;
    const subjects: string[] = [];
    try {
      accountId = await createAccount(sigilo, 'Telefonia Dupla Ltda', cnpj(2));
      oldAccountId = await createAccount(sigilo, 'Cliente Antigo Ltda', cnpj(3));
      for (let i = 0; i < sizes.requests; i++)
        subjects.push(await createAccount(sigilo, `Titular ${i} Ltda`, cnpj(500 + i)));
    } finally {
      await sigilo.close();
    }
    // CDRs of 2019–2020: past the call_record period (P5Y), for both instances' sweeps.
    const old = path.join(inst.dir, 'old.csv');
    await generateAsteriskCsvFile(
      old,
      { rows: sizes.dueRecords },
      {
        seed: 77,
        start: new Date(Date.UTC(2019, 2, 4, 11)),
        accounts: ['old'],
      },
    );
    const imp = await cliInProcess(
      inst.env,
      ...['import', '--format', 'asterisk-csv', '--account', oldAccountId, '--no-progress', '--json', old],
    );
    if (imp.code !== 0) throw new Error(`seeding old CDRs failed: ${imp.err.split('\n')[0]}`);
    const dueRecords = (await withStore(inst, (s) => cdrCounts(s, oldAccountId))).records;

    const platform = await staffToken(inst.env, 'network_platform');
    const dpo = await staffToken(inst.env, 'dpo');
    // Each instance its own data directory: a copy of the master key, its own head file, as on two hosts.
    // Their sessions carry an application name, so the lock check counts theirs only (the database is shared).
    const appName = `sigilo-proof-${path.basename(inst.dir)}`;
    const envOf = (n: number): Record<string, string> => {
      const dir = path.join(inst.dir, `instance-${n}`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.copyFileSync(path.join(inst.env.SIGILO_DATA_DIR!, 'master.key'), path.join(dir, 'master.key'));
      fs.chmodSync(path.join(dir, 'master.key'), 0o600);
      return {
        ...inst.env,
        SIGILO_DATA_DIR: dir,
        SIGILO_DATABASE_URL: `${inst.env.SIGILO_DATABASE_URL!}&application_name=${appName}`,
      };
    };
    const envs = [envOf(1), envOf(2)];
    const sweepEnv = { SIGILO_RETENTION_SWEEP_INTERVAL_MS: '1000', SIGILO_RETENTION_FIRST_SWEEP_MS: '100' };
    servers.push(...(await Promise.all(envs.map((e) => startServer(e, sweepEnv)))));
    const [a, b] = servers as [ServerChild, ServerChild];

    let requests = 0;
    const failures: Record<string, number> = {};
    const fail = (what: string, r: { status: number; code?: string }): void => {
      const k = `${what} ${r.status}${r.code ? ` ${r.code}` : ''}`;
      failures[k] = (failures[k] ?? 0) + 1;
    };
    const api = async (
      s: ServerChild,
      token: string,
      method: string,
      route: string,
      purpose: string,
      body?: unknown,
    ) => {
      requests++;
      return call(s.url, token, method, route, purpose, body);
    };

    // Imports: every batch to both instances at once; the second to arrive finds the first's records.
    let storedByInstances = 0;
    const importAll = async (): Promise<void> => {
      for (let bn = 0; bn < sizes.batches; bn++) {
        const batch = Array.from({ length: sizes.batchSize }, (_, i) => cdr(bn, i));
        const route = `/v1/records/cdr?accountId=${accountId}`;
        const answers = await Promise.all(
          [a, b].map((s) => api(s, platform, 'POST', route, 'provisioning', batch)),
        );
        for (const r of answers) {
          if (r.status !== 200) fail('import', r);
          else storedByInstances += (r.body as { stored: number }).stored;
        }
      }
    };
    // Subject requests: created on one instance, verified and exported on the other, exported on both.
    const requestIds: string[] = [];
    let exportsComplete = 0;
    const subjectRequests = async (): Promise<void> => {
      for (const [i, subjectId] of subjects.entries()) {
        const [first, second] = i % 2 ? [a, b] : [b, a];
        const created = await api(first, dpo, 'POST', '/v1/subject-requests', 'subject_request', {
          subjectId,
          type: 'access_complete',
          channel: 'email',
        });
        if (created.status !== 201 && created.status !== 200) {
          fail('request create', created);
          continue;
        }
        const id = (created.body as { id: string }).id;
        requestIds.push(id);
        const verified = await api(
          second,
          dpo,
          'POST',
          `/v1/subject-requests/${id}/verification`,
          'subject_request',
          {
            method: 'document_check',
            documentKind: 'company_registration',
            reference: `MI-${i}`,
          },
        );
        if (verified.status !== 200 && verified.status !== 201) fail('request verify', verified);
        const exports = await Promise.all(
          [a, b].map((s) => api(s, dpo, 'GET', `/v1/subject-requests/${id}/export`, 'subject_request')),
        );
        for (const e of exports) {
          if (e.status !== 200) fail('request export', e);
          else if ((e.body as { subject?: { id?: string } }).subject?.id === subjectId) exportsComplete++;
        }
      }
    };
    await Promise.all([importAll(), subjectRequests()]);
    // Both instances sweep once a second: wait until the due records are gone (or give up after a minute).
    await until(
      async () => (await withStore(inst, (s) => cdrCounts(s, oldAccountId))).records === 0,
      null,
      60_000,
    );
    await sleep(1_500); // one more sweep on each, over nothing due

    // Left behind = still there after the work is done: a transaction open (idle) or a lock held for over 5 s.
    // A sweep between two statements is idle in a transaction for a moment; that is not counted.
    const idle = await withStore(inst, async (s) => {
      const active = await sql<{ n: number | string }>`select count(*) as n from pg_stat_activity
        where application_name = ${appName} and state like 'idle in transaction%'
          and now() - xact_start > interval '5 seconds'`.execute(s.db);
      const locks = await sql<{ n: number | string }>`select count(*) as n from pg_locks l
        join pg_stat_activity a on a.pid = l.pid
        where a.application_name = ${appName} and now() - a.xact_start > interval '5 seconds'
          and (l.locktype = 'advisory' or l.locktype = 'transactionid' or l.mode like '%RowExclusive%')`.execute(
        s.db,
      );
      return { inTx: Number(active.rows[0]?.n ?? 0), locks: Number(locks.rows[0]?.n ?? 0) };
    });
    await Promise.all(servers.map((s) => s.stop()));
    if (process.env.SIGILO_PROOF_DEBUG) for (const s of servers) console.error(s.err().slice(-3000));

    const final = await withStore(inst, async (s) => {
      const counts = await cdrCounts(s, accountId);
      const runs = await s.db.selectFrom('retention_runs').select(['status']).execute();
      const batches = await s.db
        .selectFrom('retention_batches')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('records'), eb.lit(0)).as('n'))
        .where('target_id', '=', 'telecom.cdr')
        .executeTakeFirst();
      const found = await s.db
        .selectFrom('subject_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', 'in', requestIds.length ? requestIds : ['00000000-0000-0000-0000-000000000000'])
        .executeTakeFirst();
      const answered = await s.db
        .selectFrom('subject_request_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'answered')
        .executeTakeFirst();
      return {
        answeredEvents: Number(answered?.n ?? 0),
        counts,
        dueLeft: (await cdrCounts(s, oldAccountId)).records,
        running: runs.filter((r) => r.status === 'running').length,
        completed: runs.filter((r) => r.status === 'completed').length,
        deleted: Number(batches?.n ?? 0),
        requestsFound: Number(found?.n ?? 0),
      };
    });
    const auditOk = [(await auditVerify(envs[0]!)).ok, (await auditVerify(envs[1]!)).ok];
    const failed = Object.values(failures).reduce((x, y) => x + y, 0);
    return {
      requests,
      failed,
      failures,
      records: sizes.batches * sizes.batchSize,
      storedByInstances,
      distinctRecords: final.counts.distinctKeys,
      duplicates: final.counts.records - final.counts.distinctKeys,
      dueRecords,
      dueLeft: final.dueLeft,
      deletedByBatches: final.deleted,
      subjectRequests: subjects.length,
      subjectRequestsFound: final.requestsFound,
      exportsComplete,
      answeredSteps: final.answeredEvents,
      runsLeftRunning: final.running,
      sweepsCompleted: final.completed,
      sessionsInTransaction: idle.inTx,
      locksHeld: idle.locks,
      auditOk,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await inst.cleanup();
  }
}

async function withStore<T>(inst: ProofInstallation, work: (s: Store) => Promise<T>): Promise<T> {
  const store = inst.store();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
