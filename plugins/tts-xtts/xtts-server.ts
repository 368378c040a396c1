/**
 * A server URL as logs, errors and metrics show it: scheme, host, port and path only. The options
 * schema already refuses credentials, queries and fragments; this strips them again so that no
 * API key can reach /metrics even from a URL built elsewhere.
 * @param base an absolute http(s) URL
 */
export function serverLabel(base: string): string {
  const u = new URL(base);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** One server's figures as {@link XttsServerPool.stats} reports them. */
export interface XttsServerStats {
  readonly server: string;
  readonly up: boolean;
  readonly inFlight: number;
  readonly requests: number;
  readonly errors: number;
  /** Why it went down (or last failed), when it did. */
  readonly lastError: string | null;
  /** Probes that failed since it went down. */
  readonly failedProbes: number;
}

/**
 * One XTTS server of the pool: its address, its load (requests in flight, the routing key) and its
 * health. The pool owns the transitions (server-pool.ts); this holds the state and the probe timer.
 */
export class XttsServer {
  /** Base URL requests are built from (no trailing slash). */
  readonly base: string;
  /** {@link serverLabel} of `base`. */
  readonly label: string;
  inFlight = 0;
  requests = 0;
  errors = 0;
  /** False while marked down: no requests but its probes. */
  up = true;
  failedProbes = 0;
  lastError: string | null = null;
  /** Timer of the next probe while down. */
  probeTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the next probe while one is scheduled, ms. */
  nextProbeAt: number | null = null;

  /**
   * @param base base URL, trailing slashes removed
   * @param index position in config order (round-robin order among ties)
   */
  constructor(base: string, readonly index: number) {
    this.base = base;
    this.label = serverLabel(base);
  }

  stats(): XttsServerStats {
    return { server: this.label, up: this.up, inFlight: this.inFlight, requests: this.requests, errors: this.errors, lastError: this.lastError, failedProbes: this.failedProbes };
  }
}
