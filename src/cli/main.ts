/**
 * The `sigilo` command line: init, serve, tokens, policy, keys, audit, import, attribution, holds, authority,
 * verify-export. `npm start` is `sigilo serve`. Errors print their code and message (never personal data, by the SigiloError rule) and exit
 * with 1, or with the status a command documents (`sigilo import --help`).
 */
import './supported-node.ts';
import { realpathSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isSigiloError } from '../errors.ts';
import { PRIVATE_UMASK } from '../config/private-files.ts';
import { CliExit, createCliContext, type CliIo } from './cli-context.ts';
import { registerAttributionCommand } from './commands/attribution.command.ts';
import { registerAuditCommand } from './commands/audit.command.ts';
import { registerAuthorityCommands } from './commands/authority.command.ts';
import { registerHoldsCommands } from './commands/holds.command.ts';
import { registerIncidentsCommands } from './commands/incidents.command.ts';
import { registerReportCommands } from './commands/report.command.ts';
import { registerImportCommand } from './commands/import.command.ts';
import { registerInitCommand } from './commands/init.command.ts';
import { registerKeysCommand } from './commands/keys.command.ts';
import { registerPolicyCommand } from './commands/policy.command.ts';
import { registerRequestsCommands } from './commands/requests.command.ts';
import { registerRetentionCommands } from './commands/retention.command.ts';
import { registerServeCommand } from './commands/serve.command.ts';
import { registerTokensCommand } from './commands/tokens.command.ts';
import { registerVerifyExportCommand } from './commands/verify-export.command.ts';

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const fullIo: CliIo = { out: process.stdout, err: process.stderr, env: process.env, ...io };
  const program = new Command('sigilo');
  const ctx = createCliContext(fullIo, () => program.opts<{ dataDir?: string }>());
  program
    .description('Sigilo: the personal-data vault that enforces its privacy policy')
    .option('--data-dir <dir>', 'data directory (default ./data, or SIGILO_DATA_DIR)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void fullIo.out.write(s),
      writeErr: (s) => void fullIo.err.write(s),
    });
  registerInitCommand(program, ctx);
  registerServeCommand(program, ctx);
  registerTokensCommand(program, ctx);
  registerPolicyCommand(program, ctx);
  registerKeysCommand(program, ctx);
  registerAuditCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerAttributionCommand(program, ctx);
  registerRetentionCommands(program, (work) => ctx.withSigilo(work), {
    config: () => ctx.config(),
    out: ctx.io.out,
  });
  registerHoldsCommands(program, (work) => ctx.withSigilo(work), { out: ctx.io.out });
  registerAuthorityCommands(program, ctx);
  registerVerifyExportCommand(program, ctx);
  registerIncidentsCommands(program, ctx);
  registerReportCommands(program, ctx);
  registerRequestsCommands(program, (work) => ctx.withSigilo(work), { out: ctx.io.out });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const [failure, exitCode] = err instanceof CliExit ? [err.error, err.exitCode] : [err, 1];
    if (isSigiloError(failure)) {
      fullIo.err.write(`sigilo: ${failure.code}: ${failure.message}\n`);
      const issues = failure.details.issues;
      if (Array.isArray(issues)) {
        for (const i of issues as Record<string, unknown>[]) {
          const where = i.path ?? i.variable;
          const what = i.message ?? i.problem;
          fullIo.err.write(`  - ${typeof where === 'string' && where ? `${where}: ` : ''}${String(what)}\n`);
        }
      }
      return exitCode;
    }
    // Not a SigiloError: the type only, since a foreign message can quote input.
    fullIo.err.write(
      `sigilo: unexpected ${err instanceof Error ? err.name : 'error'}; run with SIGILO_LOG_LEVEL=debug\n`,
    );
    if (fullIo.env.SIGILO_LOG_LEVEL === 'debug' && err instanceof Error) fullIo.err.write(`${err.stack}\n`);
    return 1;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(import.meta.filename);
  } catch {
    return false;
  }
}

if (isMain()) {
  // Nothing this process creates (database, -wal/-shm, key, journal, backups, reports) is for group or others.
  process.umask(PRIVATE_UMASK);
  process.exitCode = await runCli(process.argv.slice(2));
}
