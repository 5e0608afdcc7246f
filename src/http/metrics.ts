/** Prometheus metrics of the HTTP API: requests by route and status, latency, auth failures, gate outcomes, errors. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly authFailures: Counter<'reason'>;
  readonly gateDecisions: Counter<'outcome'>;
  /** Error answers by code: an INTEGRITY_ERROR (tampered data) shows here as it happens. */
  readonly errors: Counter<'code'>;
}

/** Read at each scrape: failed retention sweeps by error code (scheduled ones answer no request). */
export type FailedRunsSource = () => Promise<{ code: string; count: number }[]>;

/** A fresh registry per app (tests build many apps); process metrics only when asked (the real server). */
export function createMetrics(
  options: { processMetrics?: boolean; failedRuns?: FailedRunsSource } = {},
): HttpMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const failedRuns = options.failedRuns;
  if (failedRuns) {
    new Gauge({
      name: 'sigilo_retention_runs_failed',
      help: 'Failed retention sweep runs by error code (INTEGRITY_ERROR: a legal hold or its set did not verify).',
      labelNames: ['code'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await failedRuns()) this.set({ code: r.code }, r.count);
      },
    });
  }
  return {
    registry,
    requests: new Counter({
      name: 'sigilo_http_requests_total',
      help: 'HTTP requests by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'sigilo_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'sigilo_auth_failures_total',
      help: 'Rejected authentications by reason code.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    gateDecisions: new Counter({
      name: 'sigilo_gate_decisions_total',
      help: 'Personal-data operations through the gate by outcome (allowed, denied, error).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'sigilo_errors_total',
      help: 'Error answers by error code (INTEGRITY_ERROR: stored data failed authentication).',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
