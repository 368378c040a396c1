import { abortError } from '../../server/synthesis/tts-engine.ts';
import type { XttsFailureKind } from './server-pool-metrics.ts';

/** Retry policy of a request that failed before any of its output was yielded (config `retries`; server-pool.ts). */
export interface RetryPolicy {
  /** Retries after the first try. */
  readonly count: number;
  /** Wait before retry n (1-based) when it goes to a server already tried: `baseDelayMs × 2^(n−1)`, ms. */
  readonly baseDelayMs: number;
}

/** One HTTP request to an XTTS server. */
export interface XttsRequest {
  readonly method: 'GET' | 'POST';
  /** Absolute URL. */
  readonly url: string;
  /** JSON-serializable body, a JSON text, or a FormData (multipart). */
  readonly json?: unknown;
  readonly jsonText?: string;
  readonly form?: FormData;
}

/** Options of {@link streamResponse} and {@link fetchJson}. */
export interface RequestOptions {
  readonly signal: AbortSignal;
  /** Longest wait for the first byte (connect + headers + body) and for each next one, ms. */
  readonly timeoutMs: number;
}

/** A server answered with an error status. `retryable` for 5xx and 429. */
export class XttsHttpStatusError extends Error {
  override readonly name = 'XttsHttpStatusError';
  constructor(readonly status: number, readonly request: string, readonly serverMessage: string) {
    super(`${request} answered ${status}${serverMessage ? `: ${serverMessage}` : ''}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** No byte within the timeout. */
export class XttsTimeoutError extends Error {
  override readonly name = 'XttsTimeoutError';
}

/** The response body failed after at least one byte arrived. `cause` is the failure. */
export class XttsMidStreamError extends Error {
  override readonly name = 'XttsMidStreamError';
  constructor(readonly bytesReceived: number, cause: unknown) {
    super(`stream broke after ${bytesReceived} bytes: ${describe(cause)}`, { cause });
  }
}

/** A server answered something that is not what the protocol promises (JSON where audio was due, non-JSON where JSON was); not retried. */
export class XttsBadResponseError extends Error {
  override readonly name = 'XttsBadResponseError';
}

/** Short description of a failure, following fetch's `cause` (where undici puts ECONNREFUSED etc.) unless the message already says it. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const tail = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : '';
  return tail && !err.message.includes(tail) ? `${err.message} (${tail})` : err.message;
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
  if (err instanceof XttsMidStreamError) return { kind: 'mid_stream', serverFault: true, retryable: true };
  if (err instanceof XttsTimeoutError) return { kind: 'timeout', serverFault: true, retryable: true };
  if (err instanceof XttsBadResponseError) return { kind: 'bad_response', serverFault: false, retryable: false };
  if (err instanceof XttsHttpStatusError) {
    if (err.status === 429) return { kind: 'status_429', serverFault: false, retryable: true };
    if (err.status >= 500) return { kind: 'status_5xx', serverFault: true, retryable: true };
    return { kind: 'status_4xx', serverFault: false, retryable: false };
  }
  return { kind: 'connect', serverFault: true, retryable: true };
}

/**
 * Sends a request once and streams the response body as it arrives. Retries and the choice of server
 * are the pool's (server-pool.ts). A failure after the first body byte throws {@link XttsMidStreamError}.
 * Aborting `signal` aborts the request at once (the socket closes) and the iterator throws
 * `abortError(signal)`; leaving the loop early also closes the socket.
 * @returns raw body chunks, never empty; `contentType` is set before the first chunk
 * @throws XttsHttpStatusError for an error status; XttsTimeoutError when no byte comes within
 *   `timeoutMs`; the fetch error (connection refused/reset…); XttsMidStreamError after the first byte
 */
export async function* streamResponse(req: XttsRequest, opts: RequestOptions, meta: { contentType?: string } = {}): AsyncGenerator<Uint8Array> {
  let received = 0;
  if (opts.signal.aborted) throw abortError(opts.signal);
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(abortError(opts.signal));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    const what = received === 0 ? 'first byte' : 'next byte';
    timer = setTimeout(() => ctl.abort(new XttsTimeoutError(`no ${what} from ${req.url} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  };
  try {
    arm();
    const res = await fetch(req.url, {
      method: req.method,
      signal: ctl.signal,
      headers: req.json !== undefined || req.jsonText !== undefined ? { 'content-type': 'application/json' } : undefined,
      body: req.form ?? req.jsonText ?? (req.json !== undefined ? JSON.stringify(req.json) : undefined),
    });
    if (!res.ok) throw new XttsHttpStatusError(res.status, `${req.method} ${new URL(req.url).pathname}`, await serverMessage(res));
    meta.contentType = res.headers.get('content-type') ?? undefined;
    if (!res.body) return;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value.length === 0) continue;
        received += value.length;
        arm();
        yield value;
      }
    } finally {
      // Early exit or failure: abort closes the socket; cancel() settles the reader.
      ctl.abort(opts.signal.aborted ? abortError(opts.signal) : undefined);
      reader.cancel().catch(() => undefined);
    }
  } catch (err) {
    if (opts.signal.aborted) throw abortError(opts.signal);
    const cause = ctl.signal.reason instanceof XttsTimeoutError ? ctl.signal.reason : err;
    if (received > 0) throw new XttsMidStreamError(received, cause);
    throw cause;
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Sends a request once and reads a whole JSON response.
 * @throws XttsBadResponseError naming the request when the body is not JSON; errors of {@link streamResponse}
 */
export async function fetchJson(req: XttsRequest, opts: RequestOptions): Promise<unknown> {
  const parts: Uint8Array[] = [];
  for await (const part of streamResponse(req, opts)) parts.push(part);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new XttsBadResponseError(`${req.method} ${new URL(req.url).pathname} answered non-JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
}

/** The message of an error response: FastAPI `detail`, OpenAI `error.message`, `message`, or the text. */
async function serverMessage(res: Response): Promise<string> {
  const text = (await res.text().catch(() => '')).slice(0, 2000);
  try {
    const body = JSON.parse(text) as { detail?: unknown; error?: { message?: unknown } | string; message?: unknown };
    const msg = body.detail ?? (typeof body.error === 'object' ? body.error?.message : body.error) ?? body.message;
    if (msg !== undefined) return (typeof msg === 'string' ? msg : JSON.stringify(msg)).slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 300) || res.statusText;
}

