import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { abortError, isAbortError } from '../../server/synthesis/tts-engine.ts';
import { classifyFailure, type FailureClass, type RetryPolicy } from './http-request.ts';
import { describe } from '../../server/util/http-stream.ts';
import { probeBackoffMs } from './probe-backoff.ts';
import { XttsPoolMetrics } from './server-pool-metrics.ts';
import { XttsServer, type XttsServerStats } from './xtts-server.ts';

/** Options of {@link XttsServerPool}. */
export interface XttsPoolOptions {
  /** Base URLs in config order, trailing slashes removed, no duplicates (options.ts checks). */
  readonly urls: readonly string[];
  /** Config `retries`: retries of a request that failed before any of its output was yielded. */
  readonly retries: RetryPolicy;
  /** Config `health`: back-off of the probes of a server marked down, ms. */
  readonly health: { readonly backoffBaseMs: number; readonly backoffMaxMs: number };
  /**
   * The protocol's cheap health request (`GET /languages` or `GET /v1/models`).
   * @returns when the server answered 2xx; @throws otherwise
   */
  readonly probe: (server: XttsServer, signal: AbortSignal) => Promise<void>;
  readonly log: Logger;
  /** Registry of the `vrpg_xtts_server_*` metrics (the one /metrics serves); absent = a private one. */
  readonly registry?: Registry;
  /** Uniform in [0, 1) for the probe jitter (tests fix it). */
  readonly random?: () => number;
}

/**
 * One try of a request on one server: yields the request's output (audio blocks, a JSON body) and
 * calls `firstByte()` when the response's first body byte arrives (the TTFB metric).
 */
export type XttsAttempt<T> = (server: XttsServer, signal: AbortSignal, firstByte: () => void) => AsyncIterable<T>;

/**
 * A request failed on one server; the message names it (its label: no credentials or query) and,
 * when it was a retry, the earlier tries' servers and failures.
 */
export class XttsServerError extends Error {
  override readonly name = 'XttsServerError';
  /** @param earlier `"<label>: <failure>"` of this request's earlier tries, oldest first */
  constructor(readonly server: string, cause: unknown, earlier: readonly string[] = []) {
    super(`XTTS server ${server}: ${describe(cause)}${earlier.length ? ` (after ${earlier.join('; ')})` : ''}`, { cause });
  }
}

/** Every server of the pool is marked down: the request was not sent anywhere. */
export class XttsPoolDownError extends Error {
  override readonly name = 'XttsPoolDownError';
}

/**
 * A pool of XTTS servers: routing, health and failover for the `http` backend.
 *
 * **Routing**: least outstanding requests, the request goes to the healthy server with the fewest
 * requests in flight (NGINX `least_conn`, Envoy `LEAST_REQUEST`): a synthesis request holds a GPU
 * for as long as its audio takes, so in-flight count is the load. Ties are broken round robin from
 * the server after the last one chosen, as NGINX does ("if there are several such servers, they are
 * tried in turn", ngx_http_upstream_module docs): deterministic, and it spreads an idle pool's
 * requests evenly. Envoy instead samples two random hosts (power of two choices), which pays off
 * for hundreds of hosts; with at most 32 servers a full scan costs nothing and picks the true least.
 * A lowest-recent-TTFB tie-break was not taken: TTFB grows with the text and the server's queue, so it
 * would mostly echo the previous request's length.
 *
 * **Health**: a request failing for the server's sake (connection refused or reset, a timeout before
 * the first byte, a 5xx, a stream that broke) marks the server down, as NGINX's `max_fails=1` default
 * does; a 429 (busy) or a 4xx (our request) does not. A server down gets no requests; it is probed
 * with the protocol's own cheap request (`probe`) after a gRPC-style back-off (probe-backoff.ts) and
 * is up again at the first 2xx. A pool of ONE server is never marked down (NGINX: "if there is only a
 * single server in a group, max_fails … are ignored"): there is nowhere else to go, so its chunks keep
 * the plain retry with back-off.
 *
 * **Failover** ({@link failover}): a try that fails before any output was yielded is retried, up to
 * `retries.count` times, at once on another healthy server not yet tried for this request, else on a
 * tried healthy one after `baseDelayMs × 2^(retry − 1)`. Once output was yielded, a failure ends the
 * request with an {@link XttsServerError} naming the server (the caller may have played part of it).
 * No healthy server → {@link XttsPoolDownError} at once, naming every server and why it is down.
 * A cancel (the signal) aborts the try in flight and counts as nothing: not an error, not a retry.
 */
export class XttsServerPool {
  readonly servers: readonly XttsServer[];
  private readonly metrics: XttsPoolMetrics;
  private readonly closing = new AbortController();
  private readonly random: () => number;
  /** Index where the next tie-break scan starts (round robin). */
  private cursor = 0;

  /** @throws RangeError for an empty `urls` */
  constructor(private readonly opts: XttsPoolOptions) {
    if (opts.urls.length === 0) throw new RangeError('an XTTS server pool needs at least one URL');
    this.servers = opts.urls.map((u, i) => new XttsServer(u, i));
    this.metrics = new XttsPoolMetrics(opts.registry ?? new Registry());
    this.random = opts.random ?? Math.random;
    for (const s of this.servers) {
      this.metrics.up.set({ server: s.label }, 1);
      this.metrics.inFlight.set({ server: s.label }, 0);
      this.metrics.requests.inc({ server: s.label }, 0);
    }
  }

  /**
   * Probes every server at once (start-up). Servers that fail are marked down and probed again
   * with back-off.
   * @returns each server's probe failure, in config order (undefined = up)
   */
  async checkAll(): Promise<Array<unknown | undefined>> {
    return Promise.all(this.servers.map(async (s) => {
      try {
        await this.opts.probe(s, this.closing.signal);
        this.markUp(s);
        return undefined;
      } catch (err) {
        this.markDown(s, describe(err));
        return err;
      }
    }));
  }

  /**
   * Runs `attempt` on the least-loaded healthy server, failing over as the class describes.
   * @param signal cancel: aborts the try in flight at once; the generator then throws `abortError(signal)`
   * @throws XttsServerError naming the server (after the last retry, for a non-retryable failure, or
   *   after output was yielded); XttsPoolDownError when no server is up
   */
  async *failover<T>(signal: AbortSignal, attempt: XttsAttempt<T>): AsyncGenerator<T> {
    const tried = new Set<XttsServer>();
    const earlier: string[] = [];
    for (let retry = 0; ; retry++) {
      if (signal.aborted) throw abortError(signal);
      const server = await this.next(tried, retry, signal, earlier);
      tried.add(server);
      const sentAt = performance.now();
      let firstByte = false;
      let yielded = false;
      const onFirstByte = (): void => {
        if (firstByte) return;
        firstByte = true;
        this.metrics.ttfbMs.observe({ server: server.label }, performance.now() - sentAt);
      };
      try {
        for await (const item of attempt(server, signal, onFirstByte)) {
          yielded = true;
          yield item;
        }
        return;
      } catch (err) {
        if (signal.aborted) throw abortError(signal);
        if (isAbortError(err)) throw err;
        const failure = classifyFailure(err);
        this.fail(server, failure, err);
        if (yielded || !failure.retryable || retry >= this.opts.retries.count) throw new XttsServerError(server.label, err, earlier);
        earlier.push(`${server.label}: ${describe(err)}`);
        this.opts.log.warn({ server: server.label, retry: retry + 1, kind: failure.kind, err: describe(err) }, 'XTTS request failed before any output; retrying');
      } finally {
        this.end(server);
      }
    }
  }

  /** Each server's figures, in config order. */
  stats(): XttsServerStats[] {
    return this.servers.map((s) => s.stats());
  }

  /**
   * Forgets every server's health: probes stop, all count as up again (a failed start-up, which the
   * next `checkAll()` redoes, leaves no probes running behind it).
   */
  reset(): void {
    for (const s of this.servers) {
      clearTimeout(s.probeTimer);
      Object.assign(s, { probeTimer: undefined, nextProbeAt: null, up: true, failedProbes: 0 });
      this.metrics.up.set({ server: s.label }, 1);
    }
  }

  /** Stops probing and aborts probes in flight. Requests in flight end through their own signals. */
  close(): void {
    this.closing.abort(new Error('XTTS server pool closed'));
    for (const s of this.servers) clearTimeout(s.probeTimer);
  }

  /**
   * The server for try number `retry` of a request (0 = first), as the class describes, already
   * counted in flight: a burst of requests started in one tick sees each other's picks.
   */
  private async next(tried: ReadonlySet<XttsServer>, retry: number, signal: AbortSignal, earlier: readonly string[]): Promise<XttsServer> {
    const fresh = this.take((s) => s.up && !tried.has(s));
    if (fresh) return fresh;
    if (retry > 0 && this.servers.some((s) => s.up)) {
      await delay(this.opts.retries.baseDelayMs * 2 ** (retry - 1), undefined, { signal }).catch((err: unknown) => {
        throw signal.aborted ? abortError(signal) : err;
      });
      const again = this.take((s) => s.up && !tried.has(s)) ?? this.take((s) => s.up);
      if (again) return again;
    }
    throw this.downError(earlier);
  }

  /** Least in flight among `eligible`, ties in turn from the cursor; counted in flight at once. */
  private take(eligible: (s: XttsServer) => boolean): XttsServer | undefined {
    const n = this.servers.length;
    let best: XttsServer | undefined;
    for (let k = 0; k < n; k++) {
      const s = this.servers[(this.cursor + k) % n];
      if (eligible(s) && (best === undefined || s.inFlight < best.inFlight)) best = s;
    }
    if (best) {
      this.cursor = (best.index + 1) % n;
      this.begin(best);
    }
    return best;
  }

  private downError(earlier: readonly string[]): XttsPoolDownError {
    const now = performance.now();
    const why = this.servers.map((s) => {
      const next = s.nextProbeAt === null ? '' : `; next probe in ${Math.max(0, Math.round(s.nextProbeAt - now))} ms`;
      return `${s.label} (${s.lastError ?? 'down'}${next})`;
    });
    const tries = earlier.length ? `; this request failed on ${earlier.length} of them first` : '';
    return new XttsPoolDownError(`every XTTS server is down: ${why.join(', ')}${tries}`);
  }

  private begin(s: XttsServer): void {
    s.inFlight++;
    s.requests++;
    this.metrics.inFlight.inc({ server: s.label });
    this.metrics.requests.inc({ server: s.label });
  }

  private end(s: XttsServer): void {
    s.inFlight--;
    this.metrics.inFlight.dec({ server: s.label });
  }

  private fail(s: XttsServer, failure: FailureClass, err: unknown): void {
    s.errors++;
    s.lastError = describe(err);
    this.metrics.errors.inc({ server: s.label, kind: failure.kind });
    if (failure.serverFault) this.markDown(s, s.lastError);
  }

  private markDown(s: XttsServer, reason: string): void {
    s.lastError = reason;
    if (this.servers.length === 1 || !s.up || this.closing.signal.aborted) return;
    s.up = false;
    s.failedProbes = 0;
    this.metrics.up.set({ server: s.label }, 0);
    this.opts.log.warn({ server: s.label, err: reason }, 'XTTS server marked down');
    this.scheduleProbe(s);
  }

  private markUp(s: XttsServer): void {
    if (s.up) return;
    clearTimeout(s.probeTimer);
    s.probeTimer = undefined;
    s.nextProbeAt = null;
    s.up = true;
    s.failedProbes = 0;
    this.metrics.up.set({ server: s.label }, 1);
    this.opts.log.info({ server: s.label }, 'XTTS server back up');
  }

  private scheduleProbe(s: XttsServer): void {
    const { backoffBaseMs, backoffMaxMs } = this.opts.health;
    const waitMs = probeBackoffMs(s.failedProbes, backoffBaseMs, backoffMaxMs, this.random);
    s.nextProbeAt = performance.now() + waitMs;
    clearTimeout(s.probeTimer);
    // unref: a pending probe never keeps the process alive.
    s.probeTimer = setTimeout(() => void this.runProbe(s), waitMs).unref();
  }

  private async runProbe(s: XttsServer): Promise<void> {
    s.probeTimer = undefined;
    s.nextProbeAt = null;
    if (this.closing.signal.aborted || s.up) return;
    try {
      await this.opts.probe(s, this.closing.signal);
      this.markUp(s);
    } catch (err) {
      if (this.closing.signal.aborted || s.up) return;
      s.failedProbes++;
      s.lastError = describe(err);
      this.opts.log.debug({ server: s.label, failedProbes: s.failedProbes, err: s.lastError }, 'XTTS server still down');
      this.scheduleProbe(s);
    }
  }
}
