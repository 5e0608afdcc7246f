/** `sigilo keys rotate`: a new master-key version; every data key is rewrapped, no data is re-encrypted. */
import type { Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import type { CliContext } from '../cli-context.ts';

export function registerKeysCommand(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('master-key management');
  keys
    .command('rotate')
    .description('rotate the master key: rewrap every data key under a new version and retire unused ones')
    .option('--batch-size <n>', 'data keys rewrapped per transaction (default 1000)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; batchSize?: string }) => {
      const batchSize = opts.batchSize === undefined ? undefined : Number(opts.batchSize);
      if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
        throw new SigiloError('VALIDATION_FAILED', '--batch-size must be a positive integer', {
          path: 'batchSize',
        });
      }
      await ctx.withSigilo(async (sigilo) => {
        const result = await sigilo.keyring.rotateMasterKey(sigilo.store, batchSize);
        ctx.log().info({ event: 'keys.rotated', ...result }, 'master key rotated');
        ctx.print(
          opts.json
            ? JSON.stringify(result)
            : `master key version ${result.newVersion} is current; ${result.rewrapped} data keys rewrapped` +
                (result.retired.length ? `; retired version(s) ${result.retired.join(', ')}` : ''),
        );
      });
    });
}
