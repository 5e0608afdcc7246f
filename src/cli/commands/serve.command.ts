/**
 * `sigilo serve` (`npm start`): checks the whole configuration, initialises an empty data directory on first run,
 * then serves the HTTP API and prints the URL, the docs URL and, on first run only, the administrator token.
 * On SIGTERM or SIGINT it stops accepting, drains in-flight requests (bounded by SIGILO_SHUTDOWN_GRACE_SECONDS),
 * closes the store and exits 0, logging `shutting down` and `stopped`.
 */
import type { Command } from 'commander';
import { openSigilo } from '../../app.ts';
import { startServer } from '../../http/server.ts';
import type { CliContext, ConfigOverrides } from '../cli-context.ts';
import { preflight } from '../preflight.ts';
import { ensureInitialised, printAdminToken } from './init.command.ts';

interface ServeOptions {
  host?: string;
  port?: string;
  insecureHttp?: boolean;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve the HTTP API (initialises an empty data directory first)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1, or SIGILO_HTTP_HOST)')
    .option('--port <port>', 'port to listen on (default 8080, or SIGILO_HTTP_PORT)')
    .option(
      '--insecure-http',
      'allow plain HTTP on a non-loopback address (only behind a proxy that terminates TLS)',
    )
    .action(async (opts: ServeOptions) => {
      const overrides: ConfigOverrides = {
        ...(opts.host ? { SIGILO_HTTP_HOST: opts.host } : {}),
        ...(opts.port ? { SIGILO_HTTP_PORT: opts.port } : {}),
        ...(opts.insecureHttp ? { SIGILO_INSECURE_HTTP: 'true' } : {}),
      };
      const config = ctx.config(overrides);
      // Everything is checked before the first directory, key or token exists.
      await preflight(config, { serve: true });
      const first = await ensureInitialised(ctx, config);
      const sigilo = await openSigilo(config);
      let server;
      try {
        server = await startServer(sigilo, config, { logger: ctx.log() });
      } catch (err) {
        await sigilo.close();
        throw err;
      }
      // Retention sweeps run in-process on a schedule; several instances coordinate through the database.
      const sweeps = sigilo.retention.scheduler({
        intervalMs: config.retentionSchedule.intervalMs,
        firstDelayMs: config.retentionSchedule.firstDelayMs,
        onError: (err) =>
          ctx
            .log()
            .error(
              { event: 'retention.sweep_failed', code: (err as { code?: string }).code ?? 'INTERNAL_ERROR' },
              'retention sweep failed',
            ),
      });
      sweeps.start();
      ctx.print(`Sigilo is listening on ${server.url}`);
      ctx.print(`API docs (OpenAPI): ${server.docsUrl}`);
      if (first.adminToken) printAdminToken(ctx, first.adminToken);

      const stop = stopRequest(ctx.io.signal);
      try {
        const signal = await stop.requested;
        const graceSeconds = config.http.shutdownGraceSeconds;
        ctx.log().info({ event: 'server.shutting_down', signal, graceSeconds }, 'shutting down');
        // A sweep resumes where it stopped (docs/retention.md), so it gets the same grace as the requests.
        const [drained] = await Promise.all([
          server.drain(graceSeconds * 1000),
          withDeadline(sweeps.stop(), graceSeconds * 1000),
        ]);
        if (drained.forced) {
          ctx
            .log()
            .warn(
              { event: 'server.drain_timeout', graceSeconds },
              'grace period over; closed the connections still open',
            );
        }
        await sigilo.close();
        ctx.log().info({ event: 'server.stopped', signal }, 'stopped');
      } finally {
        stop.dispose();
      }
    });
}

/**
 * Resolves with the first SIGINT or SIGTERM (or 'abort' for the test signal). The handlers stay installed until
 * `dispose`, so a repeated signal (a terminal's Ctrl-C reaches npm and the server, and npm forwards it again)
 * cannot kill the process in the middle of its drain; the grace period bounds the wait instead.
 */
function stopRequest(abort?: AbortSignal): { requested: Promise<string>; dispose(): void } {
  let resolveStop!: (signal: string) => void;
  const requested = new Promise<string>((resolve) => (resolveStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => resolveStop(signal);
  const onAbort = () => resolveStop('abort');
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  if (abort) {
    if (abort.aborted) onAbort();
    else abort.addEventListener('abort', onAbort, { once: true });
  }
  return {
    requested,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      abort?.removeEventListener('abort', onAbort);
    },
  };
}

async function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
