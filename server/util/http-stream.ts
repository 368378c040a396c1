import { abortError } from '../synthesis/tts-engine.ts';

/*
 * Streaming HTTP requests with byte time-outs, over Node's fetch (undici): the XTTS servers' audio
 * streams (plugins/tts-xtts) and the language models' event streams (plugins/llm-openai) share them.
 */

/** One HTTP request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Absolute URL. */
  readonly url: string;
  /** JSON-serializable body, a JSON text, or a FormData (multipart). */
  readonly json?: unknown;
  readonly jsonText?: string;
  readonly form?: FormData;
  /** Extra request headers (`authorization`, `accept`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link streamResponse} and {@link fetchJson}. */
export interface RequestOptions {
  readonly signal: AbortSignal;
  /** Longest wait for the first byte (connect + headers + body) and for each next one, ms. */
  readonly timeoutMs: number;
}

/** A server answered with an error status. `retryable` for 5xx and 429. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(readonly status: number, readonly request: string, readonly serverMessage: string) {
    super(`${request} answered ${status}${serverMessage ? `: ${serverMessage}` : ''}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** No byte within the timeout. */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
}

/** The response body failed after at least one byte arrived. `cause` is the failure. */
export class HttpMidStreamError extends Error {
  override readonly name = 'HttpMidStreamError';
  constructor(readonly bytesReceived: number, cause: unknown) {
    super(`stream broke after ${bytesReceived} bytes: ${describe(cause)}`, { cause });
  }
}

/** A server answered something that is not what the protocol promises (JSON where audio was due, non-JSON where JSON was); not retried. */
export class HttpBadResponseError extends Error {
  override readonly name = 'HttpBadResponseError';
}

/** Short description of a failure, following fetch's `cause` (where undici puts ECONNREFUSED etc.) unless the message already says it. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const tail = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : '';
  return tail && !err.message.includes(tail) ? `${err.message} (${tail})` : err.message;
}

/**
 * Sends a request once and streams the response body as it arrives. Retries and the choice of server
 * are the caller's (plugins/tts-xtts/server-pool.ts). A failure after the first body byte throws {@link HttpMidStreamError}.
 * Aborting `signal` aborts the request at once (the socket closes) and the iterator throws
 * `abortError(signal)`; leaving the loop early also closes the socket.
 * @returns raw body chunks, never empty; `contentType` is set before the first chunk
 * @throws HttpStatusError for an error status; HttpTimeoutError when no byte comes within
 *   `timeoutMs`; the fetch error (connection refused/reset…); HttpMidStreamError after the first byte
 */
export async function* streamResponse(req: HttpRequest, opts: RequestOptions, meta: { contentType?: string } = {}): AsyncGenerator<Uint8Array> {
  let received = 0;
  if (opts.signal.aborted) throw abortError(opts.signal);
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(abortError(opts.signal));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    const what = received === 0 ? 'first byte' : 'next byte';
    timer = setTimeout(() => ctl.abort(new HttpTimeoutError(`no ${what} from ${req.url} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  };
  try {
    arm();
    const res = await fetch(req.url, {
      method: req.method,
      signal: ctl.signal,
      headers: { ...(req.json !== undefined || req.jsonText !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
      body: req.form ?? req.jsonText ?? (req.json !== undefined ? JSON.stringify(req.json) : undefined),
    });
    if (!res.ok) throw new HttpStatusError(res.status, `${req.method} ${new URL(req.url).pathname}`, await serverMessage(res));
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
    const cause = ctl.signal.reason instanceof HttpTimeoutError ? ctl.signal.reason : err;
    if (received > 0) throw new HttpMidStreamError(received, cause);
    throw cause;
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Sends a request once and reads a whole JSON response.
 * @throws HttpBadResponseError naming the request when the body is not JSON; errors of {@link streamResponse}
 */
export async function fetchJson(req: HttpRequest, opts: RequestOptions): Promise<unknown> {
  const parts: Uint8Array[] = [];
  for await (const part of streamResponse(req, opts)) parts.push(part);
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpBadResponseError(`${req.method} ${new URL(req.url).pathname} answered non-JSON: ${JSON.stringify(text.slice(0, 120))}`);
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

