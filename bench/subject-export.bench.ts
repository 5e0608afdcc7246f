/**
 * P4 of SPEC §11: the complete access export of a subject (an account) with 100,000 call records, 50 tickets and
 * five years of monthly invoices, streamed through the gate to a sink, against reading the same rows without the
 * gate (ciphertext straight from the tables, no policy, no decryption, no log) in the same run. The export runs in
 * a child process (bench/subject-export-child.ts) whose own peak RSS is reported.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import type { BenchResult } from './bench-result.ts';
import { benchCtx, benchSigilo, time } from './support.ts';

class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

/** P4: export time and peak RSS, with the ungated read of the same rows as baseline. */
export async function run(opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const cdrs = opts.quick ? 20_000 : 100_000;
  const b = await benchSigilo('sqlite');
  try {
    const { sigilo } = b;
    const { services } = sigilo;
    const accountId = await sigilo.gate.run(benchCtx('support_agent', 'contracting'), async (s) => {
      const id = await services.accounts.create(s, {
        kind: 'company',
        name: 'Cliente P4 Ltda',
        taxId: '11.222.333/0001-81',
      });
      return id;
    });
    const contractId = await sigilo.gate.run(benchCtx('support_agent', 'contracting'), (s) =>
      services.contracts.create(s, { accountId, product: 'PABX em nuvem', startedOn: '2021-01-01' }),
    );
    await sigilo.gate.run(benchCtx('billing', 'billing'), async (s) => {
      for (let m = 0; m < 60; m++) {
        const month = `${2021 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
        await services.invoices.create(s, {
          contractId,
          issuedOn: `${month}-01`,
          amountCents: 49_900 + m,
          dueDate: `${month}-10`,
          paidDate: `${month}-09`,
        });
      }
    });
    await sigilo.gate.run(benchCtx('support_agent', 'support'), async (s) => {
      for (let i = 0; i < 50; i++) {
        await services.tickets.open(s, {
          accountId,
          channel: 'phone',
          title: `Chamado ${i}: ramal sem registro`,
          message: 'O ramal perdeu o registro SIP depois da troca do roteador.',
        });
      }
    });
    const start = Date.parse('2021-01-01T00:00:00Z');
    const step = Math.floor((5 * 365 * 86_400_000) / cdrs);
    for (let i = 0; i < cdrs; i += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, cdrs - i) }, (_, j) => {
        const at = start + (i + j) * step;
        return {
          platformId: `p4-${i + j}`,
          startedAt: new Date(at).toISOString(),
          endedAt: new Date(at + 95_000).toISOString(),
          caller: '+551130000000',
          callee: `+55119${String(70_000_000 + ((i + j) % 9_000_000)).padStart(8, '0')}`,
          direction: 'outbound' as const,
        };
      });
      await services.telecomIngest.ingestObjects(benchCtx('network_platform', 'provisioning'), 'cdr', batch, {
        accountId,
      });
    }
    const dpo = benchCtx('dpo', 'subject_request');
    const request = await sigilo.gate.run(dpo, (s) =>
      services.subjectRequests.create(s, { subjectId: accountId, type: 'access_complete', channel: 'email' }),
    );
    await sigilo.gate.run(dpo, (s) =>
      services.subjectRequests.verifyIdentity(s, request.id, {
        method: 'document_check',
        documentKind: 'company_registration',
        reference: 'P4',
      }),
    );

    // Baseline: the same rows, read without the gate (ciphertext as stored), serialised to the same kind of sink.
    const raw = new CountingSink();
    const baseline = await time(async () => {
      for (const table of [
        'accounts',
        'contracts',
        'contract_events',
        'invoices',
        'tickets',
        'ticket_messages',
      ] as const) {
        const rows = await b.store.db
          .selectFrom(table)
          .selectAll()
          .where('subject_id', '=', accountId)
          .execute();
        for (const r of rows) raw.write(JSON.stringify(r));
      }
      let after = '';
      for (;;) {
        const segs = (
          await sql<{ id: string; payload_ct: Buffer }>`select id, payload_ct from telecom_segments
            where account_id = ${accountId} and id > ${after} order by id limit 200`.execute(b.store.db)
        ).rows;
        if (segs.length === 0) break;
        for (const s of segs) raw.write(s.payload_ct.toString('base64'));
        after = segs[segs.length - 1]!.id;
      }
    });

    // The export runs in a child process of its own, so its peak RSS is the export's, not the seeding's.
    const out = execFileSync(
      process.execPath,
      [
        // SIGILO_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the export (node --cpu-prof) there.
        ...(process.env.SIGILO_BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SIGILO_BENCH_CPU_PROF}`]
          : []),
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'subject-export-child.ts'),
        path.dirname(b.sqliteFile!),
        request.id,
      ],
      { env: { ...process.env, SIGILO_LOG_LEVEL: 'silent' }, maxBuffer: 1 << 20 },
    ).toString();
    const child = JSON.parse(out.trim().split('\n').at(-1)!) as {
      seconds: number;
      cpuSeconds: number;
      bytes: number;
      maxRssMb: number;
    };
    const seconds = child.seconds;
    const mb = (n: number): number => Math.round(n / 2 ** 20);
    return [
      {
        id: 'P4',
        what: `complete export of an account with ${cdrs.toLocaleString('en')} CDRs, 50 tickets, 60 invoices (${mb(child.bytes)} MB JSON, streamed, SQLite; ${child.cpuSeconds.toFixed(2)} s CPU)`,
        value: Number(seconds.toFixed(2)),
        unit: 's',
        baseline: 'the same rows read without the gate (ciphertext, no decryption, no policy, no log)',
        baselineValue: Number(baseline.toFixed(2)),
        ratio: Number((seconds / baseline).toFixed(1)),
        ratioMeaning: 'export time ÷ ungated read time',
        target: '≤ 3 s',
        pass: seconds <= 3,
      },
      {
        id: 'P4-rss',
        what: 'peak RSS of the process that streams the export (its own VmHWM, tsx loader included)',
        value: Math.round(child.maxRssMb),
        unit: 'MB peak RSS',
        baseline: 'the ungated read, in the benchmark process (bytes read)',
        baselineValue: mb(raw.bytes),
        ratio: Number((child.maxRssMb / Math.max(1, mb(raw.bytes))).toFixed(2)),
        ratioMeaning: 'peak RSS ÷ MB of ciphertext read without the gate',
        target: '≤ 250 MB',
        pass: child.maxRssMb <= 250,
      },
    ];
  } finally {
    await b.cleanup();
  }
}
