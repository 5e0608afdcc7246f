/** What every `sigilo` command gets: configuration, an opened Sigilo on demand, and where to write. */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { openSigilo, type Sigilo } from '../app.ts';
import { loadConfig, type SigiloConfig } from '../config/config.ts';
import type { SigiloError } from '../errors.ts';
import { createLogger } from '../http/logger.ts';
import { StaffTokenService } from '../tokens/staff-token.service.ts';
import { assertPrivateDirectories } from './preflight.ts';

export interface CliIo {
  out: Writable;
  err: Writable;
  env: NodeJS.ProcessEnv;
  /** Stops a running `serve` (tests); SIGINT and SIGTERM do the same for a real process. */
  signal?: AbortSignal;
}

export type ConfigOverrides = Parameters<typeof loadConfig>[1];

/** A failure that ends the command with a particular exit status (e.g. `sigilo import`'s 64 and 66). */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(
    readonly exitCode: number,
    readonly error: SigiloError,
  ) {
    super(error.message);
  }
}

export interface CliContext {
  readonly io: CliIo;
  /** The configuration from the environment, the global `--data-dir` and `overrides` (flags win). */
  config(overrides?: ConfigOverrides): SigiloConfig;
  /** Opens the initialised Sigilo, runs `work`, and closes it again whatever happens. */
  withSigilo<T>(work: (sigilo: Sigilo) => Promise<T>, overrides?: ConfigOverrides): Promise<T>;
  /** The application log (JSON lines on stderr), for events such as token creation. */
  log(): Logger;
  print(line?: string): void;
  /** The exit code the command ends with (default 0; errors make it 1). */
  exitCode: number;
}

/** Builds the context; `globals()` returns the parsed global options when a command runs. */
export function createCliContext(io: CliIo, globals: () => { dataDir?: string }): CliContext {
  let logger: Logger | undefined;
  const ctx: CliContext = {
    io,
    config: (overrides = {}) => {
      const dataDir = globals().dataDir;
      return loadConfig(io.env, { ...(dataDir ? { SIGILO_DATA_DIR: dataDir } : {}), ...overrides });
    },
    withSigilo: async (work, overrides) => {
      const config = ctx.config(overrides);
      assertPrivateDirectories(config);
      const sigilo = await openSigilo(config);
      try {
        return await work(sigilo);
      } finally {
        await sigilo.close();
      }
    },
    // Same logger (redaction, error serialiser) as the server; JSON lines on stderr so stdout stays clean.
    log: () => (logger ??= createLogger(ctx.config().logLevel, io.err)),
    print: (line = '') => void io.out.write(`${line}\n`),
    exitCode: 0,
  };
  return ctx;
}

/** The token service over an opened Sigilo, logging to the CLI's application log. */
export function tokenService(ctx: CliContext, sigilo: Sigilo, config = ctx.config()): StaffTokenService {
  const log = ctx.log();
  return new StaffTokenService(sigilo.store, () => sigilo.policies.policy(), sigilo.now, {
    defaultTtlDays: config.auth.tokenTtlDays,
    accessLog: sigilo.accessLog.writer,
    labels: sigilo.tokenLabels,
    log: { info: (obj, msg) => log.info(obj, msg) },
  });
}
