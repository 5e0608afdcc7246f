/**
 * `sigilo import`: streams a CDR file (or stdin) through the readers and the ingester, with a progress bar
 * (records, records/s, bytes, ETA) and a summary; unreadable or unattributable rows go to an error report.
 * The exit status tells a script what happened (IMPORT_EXIT, docs/operations.md).
 */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { CommanderError, type Command } from 'commander';
import type { Sigilo } from '../../app.ts';
import { PRIVATE_FILE_MODE } from '../../config/private-files.ts';
import { CliExit, type CliContext } from '../cli-context.ts';
import { isSigiloError, SigiloError } from '../../errors.ts';
import { CDR_FORMATS, isCdrFormat, loadGenericMapping, readCdrs } from '../../telecom/formats/index.ts';
import type { IngestReport } from '../../telecom/ingest/record-ingest.service.ts';

/** Exit statuses of `sigilo import` (the numbers of BSD sysexits for usage and input errors). */
export const IMPORT_EXIT = {
  /** Every record read was stored or was already stored (an empty input too). */
  OK: 0,
  /** Operational failure: database, keys, not initialised, an error report that cannot be written. */
  FAILED: 1,
  /** Some records were rejected (see the report); the others were stored or already stored. */
  SOME_REJECTED: 2,
  /** Nothing could be stored: every record was rejected, which usually means the input is not in --format. */
  NOTHING_STORED: 3,
  /** Usage error: unknown or missing option, a bad option value, an unknown --account. */
  USAGE: 64,
  /** The input file does not exist or cannot be read. */
  NO_INPUT: 66,
} as const;

/** The exit status for a finished import's report. */
export function importExitCode(report: IngestReport): number {
  if (report.rejected === 0) return IMPORT_EXIT.OK;
  return report.stored + report.duplicates === 0 ? IMPORT_EXIT.NOTHING_STORED : IMPORT_EXIT.SOME_REJECTED;
}

const EXIT_HELP = `
Exit status:
  ${IMPORT_EXIT.OK}   every record was stored or already stored
  ${IMPORT_EXIT.FAILED}   operational failure (database, keys, not initialised)
  ${IMPORT_EXIT.SOME_REJECTED}   some records were rejected, the rest stored (see the report, --errors)
  ${IMPORT_EXIT.NOTHING_STORED}   nothing stored: every record was rejected (is --format right?)
  ${IMPORT_EXIT.USAGE}  usage error: unknown or missing option, bad value, unknown --account
  ${IMPORT_EXIT.NO_INPUT}  the input file does not exist or cannot be read
`;

/**
 * Opens `file` for reading and returns its descriptor (the caller closes it), or throws NOT_FOUND naming the path
 * when it does not exist, cannot be read or is a directory. Pipes and devices are fine.
 */
export function openInput(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw code === 'ENOENT'
      ? new SigiloError('NOT_FOUND', `input file not found: ${file}`, { path: file })
      : new SigiloError('NOT_FOUND', `cannot read input file ${file} (${code})`, {
          path: file,
          reason: code,
        });
  }
  if (fs.fstatSync(fd).isDirectory()) {
    fs.closeSync(fd);
    throw new SigiloError('NOT_FOUND', `cannot read input file ${file} (a directory)`, {
      path: file,
      reason: 'EISDIR',
    });
  }
  return fd;
}

function isWholeNumber(value: string | undefined, min: number): boolean {
  return value === undefined || (/^\d+$/.test(value) && Number(value) >= min);
}

export interface ImportOptions {
  format: string;
  account?: string;
  timezone?: string;
  mapping?: string;
  errors?: string;
  batchSize?: string;
  json?: boolean;
  progress?: boolean;
}

/** Runs one import; returns the report (also written as JSON with --json). */
export async function runImport(
  sigilo: Sigilo,
  file: string,
  opts: ImportOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<IngestReport> {
  if (!isCdrFormat(opts.format)) {
    throw new SigiloError('VALIDATION_FAILED', `--format must be one of ${CDR_FORMATS.join(', ')}`, {
      path: 'format',
    });
  }
  const fromStdin = file === '-';
  // One descriptor, checked and then read: the file read is the file checked.
  const fd = fromStdin ? null : openInput(file);
  const total = fd === null ? 0 : fs.fstatSync(fd).size;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  let mapping;
  try {
    mapping = opts.mapping ? await loadGenericMapping(opts.mapping) : undefined;
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    throw err;
  }
  const source = fd === null ? process.stdin : fs.createReadStream('', { fd, highWaterMark: 1 << 20 });
  const input = source.pipe(counter);
  // Refused before a record is read (a bad time zone, an unknown account): the file is closed, not left open.
  const abandon = (err: unknown): never => {
    if (fd !== null) source.destroy();
    throw err;
  };
  let outcomes: ReturnType<typeof readCdrs>;
  try {
    outcomes = readCdrs(opts.format, input, {
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
      ...(mapping ? { mapping } : {}),
    });
  } catch (err) {
    return abandon(err);
  }

  const showBar = opts.progress !== false && !opts.json && Boolean((out as { isTTY?: boolean }).isTTY);
  const bar = new SingleBar({
    format: ' {bar} {percentage}% | {records} records | {rate} rec/s | {mb} MB | ETA {eta_formatted}',
    stream: out,
    hideCursor: true,
  });
  const started = Date.now();
  if (showBar) bar.start(Math.max(total, 1), 0, { records: 0, rate: 0, mb: '0.0' });
  const report = await sigilo.services.telecomIngest
    .ingestCdrs(
      {
        actor: 'cli:import',
        role: 'network_platform',
        purpose: 'provisioning',
        requestId: `import-${started}`,
        justification: 'file import',
      },
      outcomes,
      {
        source: 'import',
        ...(opts.account ? { accountId: opts.account } : {}),
        ...(opts.batchSize ? { batchSize: Number(opts.batchSize) } : {}),
        onProgress: (p) => {
          if (!showBar) return;
          const secs = Math.max((Date.now() - started) / 1000, 0.001);
          bar.update(total ? bytes : 0, {
            records: p.read,
            rate: Math.round(p.read / secs),
            mb: (bytes / 1e6).toFixed(1),
          });
        },
      },
    )
    .catch(abandon);
  if (showBar) {
    bar.update(Math.max(total, 1));
    bar.stop();
  }
  if (opts.errors && report.errors.length) {
    fs.writeFileSync(opts.errors, report.errors.map((e) => `${e.line}\t${e.reason}`).join('\n') + '\n', {
      mode: PRIVATE_FILE_MODE,
    });
  }
  const seconds = (Date.now() - started) / 1000;
  if (opts.json) {
    out.write(`${JSON.stringify({ ...report, errors: report.errors.slice(0, 100), seconds })}\n`);
  } else {
    out.write(
      `Read ${report.read} ${report.read === 1 ? 'record' : 'records'} in ${seconds.toFixed(1)} s (${Math.round(report.read / Math.max(seconds, 0.001))}/s): ` +
        `${report.stored} stored, ${report.duplicates} already stored, ${report.rejected} rejected.\n`,
    );
    for (const e of report.errors.slice(0, 20)) out.write(`  line ${e.line}: ${e.reason}\n`);
    if (report.rejected > 20)
      out.write(
        `  … ${report.rejected - 20} more${opts.errors ? ` in ${opts.errors}` : ' (use --errors FILE for the full report)'}\n`,
      );
    if (importExitCode(report) === IMPORT_EXIT.NOTHING_STORED)
      out.write(
        `Nothing was stored: every record was rejected (is the file in ${opts.format} format, ` +
          'and does --account or an attribution rule cover it?)\n',
      );
  }
  return report;
}

/**
 * Registers `sigilo import` on the CLI. Options and the input file are checked before the store is opened; the
 * exit status follows IMPORT_EXIT.
 */
export function registerImportCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('import')
    .description('Import call detail records from a file (or - for stdin)')
    .argument('<file>', 'CDR file, or - to read standard input')
    .requiredOption('-f, --format <format>', `one of ${CDR_FORMATS.join(', ')}`)
    .option(
      '-a, --account <id>',
      'attribute every record to this account (otherwise attribution rules decide)',
    )
    .option('--timezone <zone>', 'IANA time zone of the PBX clock (default America/Sao_Paulo)')
    .option('--mapping <file>', 'column mapping (YAML/JSON) for generic-csv')
    .option('--errors <file>', 'write every rejected line and reason to this file')
    .option(
      '--batch-size <n>',
      'records per batch (default 5000); records are held per account and day, at most 3 batches per transaction',
    )
    .option(
      '--workers <n>',
      'worker threads computing keyed hashes while batches are prepared (default 0, or SIGILO_INGEST_WORKERS)',
    )
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', EXIT_HELP)
    .action(async (file: string, opts: ImportOptions & { workers?: string }) => {
      if (!isCdrFormat(opts.format)) {
        throw usage(`--format must be one of ${CDR_FORMATS.join(', ')}`, 'format');
      }
      if (!isWholeNumber(opts.batchSize, 1)) throw usage('--batch-size must be a whole number', 'batchSize');
      if (!isWholeNumber(opts.workers, 0)) throw usage('--workers must be a whole number', 'workers');
      if (file !== '-') {
        try {
          fs.closeSync(openInput(file));
        } catch (err) {
          throw new CliExit(IMPORT_EXIT.NO_INPUT, err as SigiloError);
        }
      }
      // An import is memory-bounded (P7: a 1 GB file under 300 MB, 276 MB measured in-thread); a hashing worker
      // brought it to the 300 MB line for little speed, since this thread parses the file. So none unless asked.
      const workers = opts.workers ?? ctx.io.env.SIGILO_INGEST_WORKERS ?? '0';
      let report: IngestReport;
      try {
        report = await ctx.withSigilo((s) => runImport(s, file, opts, ctx.io.out), {
          SIGILO_INGEST_WORKERS: workers,
        });
      } catch (err) {
        // Refused before a record was read: a bad time zone or mapping, an unknown --account.
        if (
          isSigiloError(err, 'VALIDATION_FAILED') ||
          (isSigiloError(err, 'NOT_FOUND') && err.details.path === 'accountId')
        )
          throw new CliExit(IMPORT_EXIT.USAGE, err);
        throw err;
      }
      ctx.exitCode = importExitCode(report);
    });
  // Commander's own usage errors (unknown option, missing --format or file) exit 64 here, not 1.
  command.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(IMPORT_EXIT.USAGE, err.code, err.message);
  });
}

function usage(message: string, path: string): CliExit {
  return new CliExit(IMPORT_EXIT.USAGE, new SigiloError('VALIDATION_FAILED', message, { path }));
}
