/**
 * `sigilo serve` (`npm start`): initialises an empty data directory on first run, then serves the HTTP API and
 * prints the URL, the docs URL and, on first run only, the administrator token. Stops on SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { openSigilo } from '../../app.ts';
import { startServer } from '../../http/server.ts';
import type { CliContext, ConfigOverrides } from '../cli-context.ts';
import { ensureInitialised, printAdminToken } from './init.command.ts';

interface ServeOptions {
  host?: string;
  port?: string;
  insecureHttp?: boolean;
}

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
      await untilStopped(ctx.io.signal);
      await sweeps.stop();
      await server.close();
      await sigilo.close();
    });
}

function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal) {
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    }
  });
}
