import type { XttsFailureKind } from './server-pool-metrics.ts';
import { HttpBadResponseError, HttpMidStreamError, HttpStatusError, HttpTimeoutError } from '../../server/util/http-stream.ts';

/** Retry policy of a request that failed before any of its output was yielded (config `retries`; server-pool.ts). */
export interface RetryPolicy {
  /** Retries after the first try. */
  readonly count: number;
  /** Wait before retry n (1-based) when it goes to a server already tried: `baseDelayMs × 2^(n−1)`, ms. */
  readonly baseDelayMs: number;
}

/** How a failed request counts: its metrics kind, whether it says the server is down, whether another try may succeed. */
export interface FailureClass {
  readonly kind: XttsFailureKind;
  /** Connection refused/reset, timeout, 5xx, a stream that broke: the server (or the way to it) is unwell. */
  readonly serverFault: boolean;
  /** Worth another try before any audio was yielded: everything but a 4xx other than 429 and a bad response. */
  readonly retryable: boolean;
}

/**
 * Classifies a failure of {@link streamResponse} / {@link fetchJson} (cancels excluded: the caller checks
 * its signal first). A 429 is retryable but no fault (the server is busy, not down); a 4xx is the
 * request's fault and would fail the same on every server.
 */
export function classifyFailure(err: unknown): FailureClass {
  if (err instanceof HttpMidStreamError) return { kind: 'mid_stream', serverFault: true, retryable: true };
  if (err instanceof HttpTimeoutError) return { kind: 'timeout', serverFault: true, retryable: true };
  if (err instanceof HttpBadResponseError) return { kind: 'bad_response', serverFault: false, retryable: false };
  if (err instanceof HttpStatusError) {
    if (err.status === 429) return { kind: 'status_429', serverFault: false, retryable: true };
    if (err.status >= 500) return { kind: 'status_5xx', serverFault: true, retryable: true };
    return { kind: 'status_4xx', serverFault: false, retryable: false };
  }
  return { kind: 'connect', serverFault: true, retryable: true };
}
