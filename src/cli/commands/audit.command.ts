/** `sigilo audit verify`: walks the access-log hash chain and checkpoints; names the first broken entry. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';

export function registerAuditCommand(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the access log');
  audit
    .command('verify')
    .description('verify the access log; exits 1 and names the first broken entry when it was tampered with')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await ctx.withSigilo(async (sigilo) => {
        const r = await sigilo.accessLog.verify();
        await sigilo.accessLog.security.record({
          operation: 'audit.verify',
          outcome: r.ok ? 'allowed' : 'error',
          actor: 'cli',
          role: 'none',
          reason: r.ok ? `${r.entries} entries verified` : `broken at seq ${r.firstBroken?.seq ?? 0}`,
          requestId: 'cli',
        });
        return r;
      });
      if (opts.json) ctx.print(JSON.stringify(report));
      else if (report.ok)
        ctx.print(`access log OK: ${report.entries} entries, ${report.checkpoints} signed checkpoints`);
      else ctx.print(`access log BROKEN at entry ${report.firstBroken?.seq}: ${report.firstBroken?.problem}`);
      if (!report.ok) ctx.exitCode = 1;
    });
}
