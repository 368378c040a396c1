import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why a request to a pool server failed, the `kind` label of `vrpg_xtts_server_errors_total`. */
export type XttsFailureKind = 'connect' | 'timeout' | 'status_5xx' | 'status_429' | 'status_4xx' | 'mid_stream' | 'bad_response';

/**
 * Prometheus metrics of the XTTS server pool, one series per server labelled `server` with its
 * base URL (credentials, query and fragment are refused by the options schema and stripped again
 * by `serverLabel`, so no secret reaches /metrics). Registered on a caller-given registry; metrics
 * are looked up before being created so several engines may share one registry.
 */
export class XttsPoolMetrics {
  /** `vrpg_xtts_server_in_flight{server}`: requests sent and not yet finished. */
  readonly inFlight: Gauge<'server'>;
  /** `vrpg_xtts_server_requests_total{server}`: requests sent (retries count once each). */
  readonly requests: Counter<'server'>;
  /** `vrpg_xtts_server_errors_total{server,kind}`: failed requests by {@link XttsFailureKind}; cancels are not errors. */
  readonly errors: Counter<'server' | 'kind'>;
  /** `vrpg_xtts_server_ttfb_ms{server}`: request sent → first body byte of a synthesis request, ms. */
  readonly ttfbMs: Histogram<'server'>;
  /** `vrpg_xtts_server_up{server}`: 1 when the server takes requests, 0 while it is down and probed. */
  readonly up: Gauge<'server'>;

  constructor(registry: Registry) {
    this.inFlight = existing(registry, 'vrpg_xtts_server_in_flight') ?? new Gauge({
      name: 'vrpg_xtts_server_in_flight', help: 'XTTS requests in flight per server', labelNames: ['server'], registers: [registry],
    });
    this.requests = existing(registry, 'vrpg_xtts_server_requests_total') ?? new Counter({
      name: 'vrpg_xtts_server_requests_total', help: 'XTTS requests sent per server', labelNames: ['server'], registers: [registry],
    });
    this.errors = existing(registry, 'vrpg_xtts_server_errors_total') ?? new Counter({
      name: 'vrpg_xtts_server_errors_total', help: 'Failed XTTS requests per server, by kind (cancels excluded)', labelNames: ['server', 'kind'], registers: [registry],
    });
    // XTTS-v2 on a GPU answers in ~0.2–1 s (seed proposal: 2.5–3.8 s TTFA end to end); the top buckets catch a
    // server queueing requests, up to the default 15 s timeout.
    this.ttfbMs = existing(registry, 'vrpg_xtts_server_ttfb_ms') ?? new Histogram({
      name: 'vrpg_xtts_server_ttfb_ms', help: 'XTTS synthesis request to first body byte per server, ms', labelNames: ['server'],
      buckets: [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2500, 5000, 10_000, 15_000], registers: [registry],
    });
    this.up = existing(registry, 'vrpg_xtts_server_up') ?? new Gauge({
      name: 'vrpg_xtts_server_up', help: '1 when the XTTS server takes requests, 0 while it is marked down', labelNames: ['server'], registers: [registry],
    });
  }
}

function existing<M>(registry: Registry, name: string): M | undefined {
  return registry.getSingleMetric(name) as M | undefined;
}
