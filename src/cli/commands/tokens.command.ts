/** `sigilo tokens create|list|revoke`: staff bearer tokens, managed from the server's own shell. */
import type { Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import type { StaffTokenInfo } from '../../tokens/staff-token.service.ts';
import { tokenService, type CliContext } from '../cli-context.ts';

export function registerTokensCommand(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('create, list and revoke staff bearer tokens');

  tokens
    .command('create')
    .description('create a token for a role; it is printed once and stored only as a hash')
    .requiredOption(
      '--role <role>',
      'a role of the published policy (support_agent, billing, admin, system...); on the server any role',
    )
    .option(
      '--label <text>',
      "what the token is for (not a person's name)",
      'created with sigilo tokens create',
    )
    .option('--ttl-days <days>', 'validity in days (default SIGILO_TOKEN_TTL_DAYS, 30)')
    .option('--json', 'print JSON')
    .action(async (opts: { role: string; label: string; ttlDays?: string; json?: boolean }) => {
      const ttlDays = opts.ttlDays === undefined ? undefined : Number(opts.ttlDays);
      if (ttlDays !== undefined && !Number.isInteger(ttlDays)) {
        throw new SigiloError('VALIDATION_FAILED', '--ttl-days must be a whole number', { path: 'ttlDays' });
      }
      await ctx.withSigilo(async (sigilo) => {
        const created = await tokenService(ctx, sigilo).create({
          role: opts.role,
          label: opts.label,
          createdBy: 'cli',
          ...(ttlDays !== undefined ? { ttlDays } : {}),
        });
        if (opts.json) return ctx.print(JSON.stringify(created));
        ctx.print(created.token);
        ctx.io.err.write(
          `token ${created.info.id} for role ${created.info.role}, expires ${created.info.expiresAt}; ` +
            'it is shown only this once\n',
        );
      });
    });

  tokens
    .command('list')
    .description('list active tokens and requests awaiting approval (never the tokens themselves)')
    .option('--all', 'include revoked and expired tokens')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const list = await tokenService(ctx, sigilo).list({ includeInactive: opts.all ?? false });
        if (opts.json) return ctx.print(JSON.stringify(list));
        if (list.length === 0) return ctx.print('no tokens');
        for (const t of list) ctx.print(row(t));
      });
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token at once')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const info = await tokenService(ctx, sigilo).revoke(id, 'cli');
        ctx.print(opts.json ? JSON.stringify(info) : `revoked ${info.id} (${info.role})`);
      });
    });
}

function row(t: StaffTokenInfo): string {
  const state = t.revokedAt
    ? `revoked ${t.revokedAt}`
    : t.status === 'active'
      ? `expires ${t.expiresAt}`
      : t.status === 'pending'
        ? 'pending DPO approval'
        : `rejected ${t.decidedAt ?? ''}`.trim();
  return `${t.id}  ${t.role.padEnd(16)} ${state}  ${t.label}`;
}
