/**
 * `sigilo retention`: run a sweep (or a dry run), list/show/verify deletion certificates, sync and re-apply the
 * shred journal, and back up / restore the database so that a restore never resurrects a shredded subject.
 */
import fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { Sigilo } from '../../app.ts';
import type { SigiloConfig } from '../../config/config.ts';
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import {
  backupPostgres,
  backupSqlite,
  restorePostgres,
  restoreSqlite,
  syncLedgerToJournal,
} from '../../retention/backup.ts';
import type { DeletionCertificate } from '../../retention/deletion-certificate.ts';
import type { PreviewReport, SweepReport } from '../../retention/retention-engine.ts';
import { openPostgresStore } from '../../store/store.ts';

export type WithSigilo = <T>(work: (s: Sigilo) => Promise<T>) => Promise<T>;

export interface RetentionCliOptions {
  /** The parsed configuration (backup and restore need the database location). */
  config: () => SigiloConfig;
  out?: NodeJS.WritableStream;
}

/** The context of an operator at the console reading retention data (no personal data is involved). */
function operator(role = 'dpo'): AccessContext {
  return { actor: 'cli', role, purpose: null, requestId: `cli-${Date.now()}`, justification: null };
}

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : '—';
}

function printPreview(out: NodeJS.WritableStream, p: PreviewReport): void {
  out.write(
    `Retention dry run at ${p.generatedAt} (policy v${p.policyVersion}, ${p.activeHolds} active holds)\n`,
  );
  for (const t of p.targets) {
    const rule = t.ruleText
      ? `${t.ruleText}${t.verified === false ? ' [fonte não verificada]' : ''}`
      : 'no rule';
    out.write(`\n${t.target} — ${t.categoryLabel}: ${t.description}\n  rule: ${rule}\n`);
    if (t.source) out.write(`  source: ${t.source}\n`);
    if (t.skipped) {
      out.write(`  skipped: ${t.skipped}\n`);
      continue;
    }
    out.write(
      `  would delete: ${t.due.items}${t.capped ? '+' : ''} items (${t.due.records} records)` +
        (t.due.items ? `, records of ${day(t.due.from)} to ${day(t.due.to)}` : '') +
        `\n  kept by legal holds: ${t.held}\n  next expiry: ${t.nextExpiry ?? '—'}\n`,
    );
  }
  out.write(`\n${p.note}\n`);
}

function printSweep(out: NodeJS.WritableStream, r: SweepReport): void {
  out.write(
    `Sweep ${r.runId} ${r.status}: ${r.totals.records} records deleted (${r.totals.items} items), ` +
      `${r.totals.held} kept by holds, ${r.totals.shreddedSubjects} subjects crypto-shredded` +
      `${r.incomplete ? ' — stopped at the limit, run again to continue' : ''}.\n`,
  );
  for (const t of r.targets) {
    if (t.items || t.held || t.skipped) {
      out.write(
        `  ${t.target}: ${t.records} records, ${t.held} held${t.skipped ? `, skipped (${t.skipped})` : ''}\n`,
      );
    }
  }
  out.write(r.certificateId ? `Certificate: ${r.certificateId}\n` : 'Nothing deleted, no certificate.\n');
}

/** Registers `sigilo retention ...`; `withSigilo` opens and closes an initialised Sigilo around the work. */
export function registerRetentionCommands(
  program: Command,
  withSigilo: WithSigilo,
  options: RetentionCliOptions,
): Command {
  const out = options.out ?? process.stdout;
  const retention = program
    .command('retention')
    .description('Retention sweeps, dry runs, deletion certificates, shred journal, backup and restore');

  const runCommand = async (opts: {
    dryRun?: boolean;
    json?: boolean;
    batchSize?: string;
    maxBatches?: string;
    maxMinutes?: string;
    progress?: boolean;
  }): Promise<void> => {
    await withSigilo(async (sigilo) => {
      if (opts.dryRun) {
        const p = await sigilo.retention.preview(operator());
        if (opts.json) out.write(`${JSON.stringify(p)}\n`);
        else printPreview(out, p);
        return;
      }
      const showBar = opts.progress !== false && !opts.json && Boolean((out as { isTTY?: boolean }).isTTY);
      const bar = new SingleBar({
        format: ' {bar} {value}/{total} records | {target}',
        stream: out,
        hideCursor: true,
      });
      if (showBar) {
        const due = (await sigilo.retention.engine.preview()).targets.reduce((n, t) => n + t.due.records, 0);
        bar.start(Math.max(due, 1), 0, { target: '' });
      }
      const positive = (v: string | undefined, name: string): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) {
          throw new SigiloError('VALIDATION_FAILED', `--${name} must be a positive integer`, { path: name });
        }
        return n;
      };
      const batchSize = positive(opts.batchSize, 'batch-size');
      const maxBatches = positive(opts.maxBatches, 'max-batches');
      const maxMinutes = positive(opts.maxMinutes, 'max-minutes');
      try {
        const report = await sigilo.retention.run({
          trigger: 'cli',
          ...(batchSize ? { batchSize } : {}),
          ...(maxBatches ? { maxBatches } : {}),
          ...(maxMinutes ? { maxDurationMs: maxMinutes * 60_000 } : {}),
          onBatch: (b) => {
            if (showBar) bar.update(b.totalRecords, { target: b.target });
          },
        });
        if (showBar) bar.stop();
        if (opts.json) out.write(`${JSON.stringify(report)}\n`);
        else printSweep(out, report);
      } finally {
        if (showBar) bar.stop();
      }
    });
  };

  retention
    .command('run')
    .description('Delete what the retention rules say must go (bounded batches, holds respected, certified)')
    .option('--dry-run', 'only list what would go, per category and rule, and when the next items expire')
    .option('--batch-size <n>', 'items per transaction (default 500)')
    .option('--max-batches <n>', 'stop after this many batches (the next run continues)')
    .option('--max-minutes <n>', 'stop starting batches after this many minutes')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the report as JSON')
    .action(runCommand);

  retention
    .command('preview')
    .description('Same as `retention run --dry-run`')
    .option('--json', 'print the report as JSON')
    .action((opts: { json?: boolean }) => runCommand({ ...opts, dryRun: true }));

  retention
    .command('certificates')
    .description('List deletion certificates, newest first')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'print as JSON')
    .action(async (opts: { limit?: string; json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const list = await sigilo.retention.certificates.list(operator('auditor'), {
          ...(opts.limit ? { limit: Number(opts.limit) } : {}),
        });
        if (opts.json) return void out.write(`${JSON.stringify(list)}\n`);
        if (list.length === 0) out.write('No deletion certificates yet.\n');
        for (const c of list) {
          out.write(
            `${c.id}  ${c.issuedAt}  ${c.runStatus.padEnd(11)}  ${String(c.totals.records).padStart(9)} records  ` +
              `${c.categories.join(', ')}\n`,
          );
        }
      });
    });

  retention
    .command('certificate')
    .description('Show one certificate: its Portuguese summary, or the full signed JSON with --json')
    .argument('<id>', 'certificate id')
    .option('--json', 'print the signed certificate as JSON (keep it; `retention verify <file>` checks it)')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const cert = await sigilo.retention.certificates.get(operator('auditor'), id);
        out.write(opts.json ? `${JSON.stringify(cert, null, 2)}\n` : `${cert.body.summaryPt}\n`);
      });
    });

  retention
    .command('verify')
    .description(
      "Verify a certificate's Ed25519 signature against Sigilo's key (by id, or an exported JSON file)",
    )
    .argument('<id-or-file>', 'certificate id, or a file written by `retention certificate <id> --json`')
    .option('--json', 'print the result as JSON')
    .action(async (idOrFile: string, opts: { json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const arg = fs.existsSync(idOrFile)
          ? (JSON.parse(fs.readFileSync(idOrFile, 'utf8')) as DeletionCertificate)
          : idOrFile;
        const result = await sigilo.retention.certificates.verify(operator('auditor'), arg);
        if (opts.json) out.write(`${JSON.stringify(result)}\n`);
        else
          out.write(
            result.ok
              ? 'Certificate verifies: signed by this Sigilo, unaltered.\n'
              : `INVALID: ${result.problem}\n`,
          );
        if (!result.ok) process.exitCode = 1;
      });
    });

  const ledger = retention.command('ledger').description('The shred journal kept outside database backups');
  ledger
    .command('sync')
    .description('Copy the database shred ledger into the journal (run before restoring a backup)')
    .action(async () => {
      await withSigilo(async (sigilo) => {
        const n = await sigilo.retention.journal.sync();
        out.write(`${n} new shred entries journalled in ${sigilo.retention.journal.file}\n`);
      });
    });
  ledger
    .command('reconcile')
    .description(
      'Re-apply the journal: shred again every journalled subject whose keys are back (also done at start)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const r = await sigilo.retention.journal.reconcile();
        if (opts.json) return void out.write(`${JSON.stringify(r)}\n`);
        out.write(
          `${r.journalled} journalled shreds; ${r.reshredded.length} re-applied; ${r.rejected} lines rejected ` +
            `(bad signature or torn).\n`,
        );
        if (r.rejected > 0) process.exitCode = 1;
      });
    });

  retention
    .command('backup')
    .description('Back up the database (SQLite: online VACUUM INTO; PostgreSQL: pg_dump custom format)')
    .argument('<file>', 'backup file to create')
    .action(async (file: string) => {
      const config = options.config();
      await withSigilo(async (sigilo) => {
        // Sign the access-log head first so the backup carries a checkpoint covering everything in it.
        await sigilo.store.transaction((tx) => sigilo.accessLog.writer.checkpoint(tx));
        await sigilo.retention.journal.sync();
        if (config.store.kind === 'sqlite') await backupSqlite(sigilo.store, file);
        else await backupPostgres({ url: config.store.url, file });
      });
      out.write(
        `Backup written to ${file}. The shred journal is not in it by design; keep the data directory.\n`,
      );
    });

  retention
    .command('restore')
    .description('Restore a backup; shreds made since it was taken are re-applied before anything is served')
    .argument('<file>', 'backup file')
    .requiredOption('--yes', 'confirm: the current database is replaced')
    .action(async (file: string) => {
      const config = options.config();
      if (!fs.existsSync(file)) throw new SigiloError('NOT_FOUND', 'backup file not found', { path: 'file' });
      if (config.store.kind === 'sqlite') {
        await restoreSqlite({
          dbFile: config.store.file,
          backupFile: file,
          dataDir: config.dataDir,
          auditHeadFile: config.auditHead.file,
        });
      } else {
        const store = openPostgresStore({ connectionString: config.store.url });
        try {
          await syncLedgerToJournal(store, config.dataDir);
        } finally {
          await store.close();
        }
        await restorePostgres({ url: config.store.url, file, auditHeadFile: config.auditHead.file });
      }
      await withSigilo((sigilo) => {
        const r = sigilo.retention.journal.lastReconcile;
        out.write(
          `Restored from ${file}. Shred journal re-applied: ${r?.reshredded.length ?? 0} subjects shredded again` +
            `${r?.rejected ? `; ${r.rejected} journal lines rejected` : ''}.\n`,
        );
        return Promise.resolve();
      });
    });

  return retention;
}
