/**
 * Listens. Plain HTTP is allowed on a loopback address only: on any other address personal data would cross
 * the network in clear, so the server refuses unless TLS is configured or `--insecure-http` says that something
 * in front (a TLS-terminating proxy) already encrypts it.
 */
import ipaddr from 'ipaddr.js';
import type { Sigilo } from '../app.ts';
import type { SigiloConfig } from '../config/config.ts';
import { SigiloError } from '../errors.ts';
import { buildApp, type BuildAppOptions, type SigiloApp } from './build-app.ts';

/** True for localhost, 127.0.0.0/8 and ::1 (and IPv4-mapped loopback). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(h)) return false;
  let addr = ipaddr.parse(h);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.range() === 'loopback';
}

/** Throws CONFIG_INVALID, with the reason and the ways out, when the address may not be served in clear. */
export function assertListenAllowed(http: SigiloConfig['http']): void {
  if (http.tls || http.insecureHttp || isLoopback(http.host)) return;
  throw new SigiloError(
    'CONFIG_INVALID',
    `refusing to serve plain HTTP on ${http.host}: personal data and bearer tokens would cross the network ` +
      'unencrypted. Configure HTTPS (SIGILO_TLS_CERT_FILE and SIGILO_TLS_KEY_FILE), listen on a loopback ' +
      'address (SIGILO_HTTP_HOST=127.0.0.1), or, only behind a proxy that terminates TLS, pass --insecure-http ' +
      '(SIGILO_INSECURE_HTTP=true).',
    { issues: [{ variable: 'SIGILO_HTTP_HOST', problem: 'not loopback and no TLS' }] },
  );
}

export interface RunningServer {
  app: SigiloApp;
  /** The base URL clients use (the actual port when 0 was configured). */
  url: string;
  docsUrl: string;
  close(): Promise<void>;
  /**
   * Stops accepting connections and waits for in-flight requests; after `graceMs` the connections still open are
   * closed. Resolves once the server is closed, with whether any connection had to be cut.
   */
  drain(graceMs: number): Promise<{ forced: boolean }>;
}

/** Builds the app and listens on the configured address (after the plain-HTTP check). */
export async function startServer(
  sigilo: Sigilo,
  config: SigiloConfig,
  options: BuildAppOptions = {},
): Promise<RunningServer> {
  assertListenAllowed(config.http);
  const app = await buildApp(sigilo, config, { processMetrics: true, ...options });
  await app.listen({ host: config.http.host, port: config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const url = `${config.http.tls ? 'https' : 'http'}://${host}:${port}`;
  return {
    app,
    url,
    docsUrl: `${url}/docs`,
    close: () => app.close(),
    drain: (graceMs) => drain(app, graceMs),
  };
}

async function drain(app: SigiloApp, graceMs: number): Promise<{ forced: boolean }> {
  // Fastify's close stops listening, ends idle keep-alive connections and answers new requests on busy ones with
  // 503; the requests already in progress run to completion. A keep-alive connection whose request completes
  // becomes idle and is ended too, instead of being held open by its client until the grace period is over.
  const closed = app.close();
  const idle = setInterval(() => app.server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  try {
    const forced = (await Promise.race([closed.then(() => false as const), graceOver])) === true;
    if (forced) app.server.closeAllConnections();
    await closed;
    return { forced };
  } finally {
    clearInterval(idle);
    clearTimeout(timer);
  }
}
