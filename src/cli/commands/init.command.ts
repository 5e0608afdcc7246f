/**
 * `sigilo init`: data directory (0700), master key file (0600), database and migrations, the default policy as
 * version 1, and on a fresh installation a first administrator token, shown once. Safe to run again.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { initSigilo, openConfiguredStore, openSigilo } from '../../app.ts';
import type { SigiloConfig } from '../../config/config.ts';
import { SigiloError } from '../../errors.ts';
import { tokenService, type CliContext } from '../cli-context.ts';
import { preflight } from '../preflight.ts';

export interface FirstRun {
  /** True when this call created the installation (and the admin token). */
  fresh: boolean;
  createdKey: boolean;
  /** The first administrator token, only on a fresh installation. */
  adminToken: string | null;
}

/**
 * Initialises what is missing (run `preflight` first: this creates things). A missing key file next to an
 * initialised database is refused: creating a new key would leave every stored value unreadable.
 */
export async function ensureInitialised(ctx: CliContext, config: SigiloConfig): Promise<FirstRun> {
  if (
    config.keys.provider === 'local-file' &&
    !fs.existsSync(config.keys.file) &&
    (await hasPolicy(config))
  ) {
    throw new SigiloError(
      'KEY_FILE_MISSING',
      'the database is initialised but the master key file is missing; restore it (a new key cannot read the data)',
      { file: config.keys.file },
    );
  }
  const result = await initSigilo(config);
  if (result.publishedPolicy === null)
    return { fresh: false, createdKey: result.createdKey, adminToken: null };
  const sigilo = await openSigilo(config);
  try {
    const { token } = await tokenService(ctx, sigilo, config).create({
      role: 'admin',
      label: 'first administrator (sigilo init)',
      createdBy: 'sigilo-init',
    });
    return { fresh: true, createdKey: result.createdKey, adminToken: token };
  } finally {
    await sigilo.close();
  }
}

async function hasPolicy(config: SigiloConfig): Promise<boolean> {
  if (config.store.kind === 'sqlite' && !fs.existsSync(config.store.file)) return false;
  const store = openConfiguredStore(config);
  try {
    const row = await store.db.selectFrom('policy_versions').select('version').limit(1).executeTakeFirst();
    return row !== undefined;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

/** The one-time token banner (stdout only: it never goes to the log). */
export function printAdminToken(ctx: CliContext, token: string): void {
  ctx.print('');
  ctx.print('  First start: an administrator token was created. It is shown only this once; store it now:');
  ctx.print('');
  ctx.print(`    ${token}`);
  ctx.print('');
  ctx.print(
    '  Use it to create staff tokens (sigilo tokens create, or POST /v1/tokens); it expires like any token.',
  );
  ctx.print('');
}

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the data directory, master key, database and default policy (safe to run again)')
    .action(async () => {
      const config = ctx.config();
      await preflight(config, { serve: false });
      const run = await ensureInitialised(ctx, config);
      if (!run.fresh) {
        ctx.print(`Sigilo is already initialised in ${config.dataDir}; nothing to do.`);
        return;
      }
      ctx.print(`Initialised Sigilo in ${config.dataDir}:`);
      if (run.createdKey && config.keys.provider === 'local-file') {
        ctx.print(
          `  master key  ${config.keys.file} (mode 0600; back it up: without it the data is unreadable)`,
        );
      }
      ctx.print(
        `  database    ${config.store.kind === 'sqlite' ? config.store.file : 'PostgreSQL'} (migrated)`,
      );
      ctx.print('  policy      version 1 (the default policy) published');
      if (run.adminToken) printAdminToken(ctx, run.adminToken);
    });
}
