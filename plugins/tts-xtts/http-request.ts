import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { abortError } from '../../server/synthesis/tts-engine.ts';

/** Retry policy before the first byte of a response. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly count: number;
  /** Wait before retry n (0-based) is `baseDelayMs × 2^n`, ms. */
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
  readonly retries: RetryPolicy;
  readonly log: Logger;
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

/** The response body failed after at least one byte arrived; not retried. `cause` is the failure. */
export class XttsMidStreamError extends Error {
  override readonly name = 'XttsMidStreamError';
  constructor(readonly bytesReceived: number, cause: unknown) {
    super(`stream broke after ${bytesReceived} bytes: ${describe(cause)}`, { cause });
  }
}

/** Short description of a failure, following fetch's `cause` (where undici puts ECONNREFUSED etc.). */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ` (${(cause as { code?: string }).code ?? cause.message})` : '';
  return `${err.message}${inner}`;
}

/**
 * Sends a request and streams the response body as it arrives. Connection errors, timeouts, 5xx and
 * 429 before the first body byte are retried with exponential backoff; after the first byte a failure
 * throws {@link XttsMidStreamError}. Aborting `signal` aborts the request at once (the socket closes)
 * and the iterator throws `abortError(signal)`; so does leaving the loop early.
 * @returns raw body chunks, never empty; `contentType` is set before the first chunk
 * @throws XttsHttpStatusError for a 4xx (not retried) or the last retryable status;
 *   XttsTimeoutError, or the fetch error, after the last retry
 */
export async function* streamResponse(req: XttsRequest, opts: RequestOptions, meta: { contentType?: string } = {}): AsyncGenerator<Uint8Array> {
  let received = 0;
  for (let attempt = 0; ; attempt++) {
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
      const retryable = cause instanceof XttsHttpStatusError ? cause.retryable : true;
      if (!retryable || attempt >= opts.retries.count) throw cause;
      const delayMs = opts.retries.baseDelayMs * 2 ** attempt;
      opts.log.warn({ url: req.url, attempt: attempt + 1, delayMs, err: describe(cause) }, 'XTTS request failed before the first byte; retrying');
      await delay(delayMs, undefined, { signal: opts.signal }).catch((err: unknown) => {
        throw opts.signal.aborted ? abortError(opts.signal) : err;
      });
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * Sends a request and reads a whole JSON response, with the retries of {@link streamResponse}.
 * @throws Error naming the request when the body is not JSON; errors of {@link streamResponse}
 */
export async function fetchJson(req: XttsRequest, opts: RequestOptions): Promise<unknown> {
  const parts: Uint8Array[] = [];
  for await (const part of streamResponse(req, opts)) parts.push(part);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${req.method} ${new URL(req.url).pathname} answered non-JSON: ${JSON.stringify(text.slice(0, 120))}`);
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

