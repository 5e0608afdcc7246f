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
import {
  certificateLinePt,
  previewTextPt,
  sweepTextPt,
  verifyTextPt,
} from '../../retention/retention-text.ts';
import { countPt, pluralPt } from '../../i18n/pt-br.ts';
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
        else out.write(previewTextPt(p, sigilo.retention.clock.zone));
        return;
      }
      const showBar = opts.progress !== false && !opts.json && Boolean((out as { isTTY?: boolean }).isTTY);
      const bar = new SingleBar({
        format: ' {bar} {value}/{total} registros | {target}',
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
        else out.write(sweepTextPt(report));
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
        if (list.length === 0) out.write('Nenhum certificado de eliminação emitido ainda.\n');
        for (const c of list) out.write(`${certificateLinePt(c)}\n`);
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
        else out.write(`${verifyTextPt(result)}\n`);
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
        const entries = pluralPt(n, {
          one: '# nova eliminação criptográfica registrada',
          other: '# novas eliminações criptográficas registradas',
          zero: 'Nenhuma eliminação criptográfica nova',
        });
        out.write(`${entries} no diário ${sigilo.retention.journal.file}\n`);
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
          `${countPt(r.journalled, 'eliminação criptográfica no diário', 'eliminações criptográficas no diário')}; ` +
            `${pluralPt(r.reshredded.length, { one: '# reaplicada', other: '# reaplicadas' })}; ` +
            `${pluralPt(r.rejected, { one: '# linha rejeitada', other: '# linhas rejeitadas' })} ` +
            `(assinatura inválida ou linha incompleta).\n`,
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
        `Cópia de segurança gravada em ${file}. O diário de eliminações criptográficas fica fora dela, de ` +
          `propósito: guarde também o diretório de dados.\n`,
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
        await restoreSqlite({ dbFile: config.store.file, backupFile: file, dataDir: config.dataDir });
      } else {
        const store = openPostgresStore({ connectionString: config.store.url });
        try {
          await syncLedgerToJournal(store, config.dataDir);
        } finally {
          await store.close();
        }
        await restorePostgres({ url: config.store.url, file });
      }
      await withSigilo((sigilo) => {
        const r = sigilo.retention.journal.lastReconcile;
        const again = r?.reshredded.length ?? 0;
        out.write(
          `Restaurado de ${file}. Diário de eliminações reaplicado: ` +
            pluralPt(again, {
              one: 'as chaves de # titular foram destruídas de novo',
              other: 'as chaves de # titulares foram destruídas de novo',
              zero: 'nenhum titular precisou ser eliminado de novo',
            }) +
            `${r?.rejected ? `; ${pluralPt(r.rejected, { one: '# linha do diário rejeitada', other: '# linhas do diário rejeitadas' })}` : ''}.\n`,
        );
        return Promise.resolve();
      });
    });

  return retention;
}
