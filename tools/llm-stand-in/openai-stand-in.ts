/**
 * A stand-in for an OpenAI-compatible chat-completions server streaming server-sent events, written
 * from the wire format. It is not a model: it streams a scripted reply word by word on a set schedule
 * (time to first token, token rate) and can misbehave the ways real servers do (see {@link StandInFault}).
 *
 * Sources followed:
 * - OpenAI API reference, "Create chat completion" with `stream: true` and "The chat completion chunk
 *   object" (https://platform.openai.com/docs/api-reference/chat-streaming): `data: <chunk JSON>` events,
 *   first delta `{role: "assistant", content: ""}`, `delta.refusal` for structured refusals, finish reasons
 *   `stop` | `length` | `content_filter`, the stream closed by `data: [DONE]`; `GET /v1/models` list shape.
 * - llama.cpp `tools/server/README.md` (OpenAI-compatible `/v1/chat/completions`, `/v1/models`, `--api-key`
 *   checked as `Authorization: Bearer`) and `format_error_response` in `tools/server/server-common.cpp`:
 *   error bodies `{error: {code: <HTTP status>, message, type}}` with types `invalid_request_error` 400,
 *   `authentication_error` 401, `permission_error` 403, `not_found_error` 404, `server_error` 500,
 *   `not_supported_error` 501, `unavailable_error` 503. Its assistant prefill (a final assistant message is
 *   continued, not answered) is {@link StandInModel.prefill} `'continue'`; Ollama's `/v1` (docs/openai.md) does the same.
 *
 * Used by the llm-openai tests and the `llm` bench section, so it depends on Node alone (node:http, no mocha).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/** A way the server misbehaves instead of streaming the reply normally. */
export type StandInFault =
  /** Answers HTTP `status` with the error JSON (message defaults to the status text); no stream. */
  | { kind: 'status'; status: number; message?: string }
  /** 200 and the SSE headers, then nothing at all until the client closes. */
  | { kind: 'hang' }
  /** Closes the connection after `afterTokens` content tokens: no finish_reason, no `[DONE]`. */
  | { kind: 'cut'; afterTokens: number }
  /** After `afterTokens` content tokens sends the event `data: {not json`, then carries on normally. */
  | { kind: 'malformed'; afterTokens: number }
  /** Streams `text` as `delta.refusal` pieces (OpenAI structured refusal), then finish_reason `stop` and `[DONE]`; no content. */
  | { kind: 'refusal'; text: string }
  /** finish_reason `content_filter` after `afterTokens` content tokens, then `[DONE]`. */
  | { kind: 'content-filter'; afterTokens: number }
  /** The role chunk, finish_reason `stop`, `[DONE]`: no content at all. */
  | { kind: 'empty' };

/** One scripted model the stand-in serves under a name. */
export interface StandInModel {
  /** What the model answers; a function gets the parsed request body. */
  reply: string | ((body: ChatRequestBody) => string);
  /** Request received → first content token (and the role chunk just before it), ms. */
  ttftMs: number;
  /** Token i (0-based) is written at `ttftMs + i * 1000 / tokensPerSecond` ms after the request arrived (absolute schedule: a late timer does not delay later tokens). */
  tokensPerSecond: number;
  /**
   * How a final assistant message in `messages` is treated: `'continue'` (default; llama.cpp/Ollama prefill):
   * if the reply starts with that message's content (ignoring surrounding whitespace) only the rest is
   * streamed, otherwise the whole reply; `'repeat'` (a server without prefill, e.g. OpenAI): the whole
   * reply is streamed anyway.
   */
  prefill?: 'continue' | 'repeat';
  /** How this model misbehaves; none: a normal stream. */
  fault?: StandInFault;
}

/** The chat-completions request body, as parsed (only string message contents are accepted). */
export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  /** Cap on content tokens; reaching it ends the stream with finish_reason `length`. */
  max_tokens?: number;
  [k: string]: unknown;
}

/** What the stand-in saw and did for one chat-completions request that passed the key check and parsed. */
export interface RecordedRequest {
  readonly model: string;
  readonly body: ChatRequestBody;
  /** The `Authorization` header as sent. */
  readonly authorization: string | undefined;
  /** Epoch ms (`performance.timeOrigin + performance.now()`) when the request's headers arrived. */
  readonly receivedAtMs: number;
  /** Content tokens written, with the epoch ms each was written (refusal pieces are not content). */
  readonly tokens: { atMs: number; text: string }[];
  /** The client closed the connection before the server ended the response. */
  closedByClient: boolean;
  /** Epoch ms when the response's connection closed or the response ended (either side); null while open. */
  closedAtMs: number | null;
  /** Resolves when `closedAtMs` is set. */
  readonly closed: Promise<void>;
}

/** A running stand-in; see {@link startOpenAiStandIn}. */
export interface OpenAiStandIn {
  /** Base URL ending in /v1, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Chat-completions requests in arrival order (those that passed the key check and parsed). */
  readonly requests: RecordedRequest[];
  /** Adds or replaces a model; applies to requests arriving afterwards. @throws RangeError naming the field when ttftMs < 0, tokensPerSecond <= 0 or a fault's afterTokens is not an integer >= 0 */
  setModel(name: string, model: StandInModel): void;
  /** Requests whose connection is still open. */
  openCount(): number;
  /** Closes the server and every open connection (those count as ended by the server). */
  close(): Promise<void>;
}

/** Request bodies are bounded (the stand-in must not grow without limit on a bad client): 1 MiB. */
const MAX_BODY_BYTES = 1 << 20;
/** Error `type` per HTTP status, from llama.cpp `format_error_response`. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'invalid_request_error', 500: 'server_error', 501: 'not_supported_error', 503: 'unavailable_error',
};

const epochMs = (): number => performance.timeOrigin + performance.now();
/** Word-like pieces, leading whitespace kept with its word: the concatenation is the text exactly (less trailing space). */
const tokenize = (text: string): string[] => text.match(/\s*\S+/g) ?? [];

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function sendError(res: http.ServerResponse, status: number, message = http.STATUS_CODES[status] ?? 'error'): void {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  const body = JSON.stringify({ error: { code: status, message, type } });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** @throws HttpError 413 past {@link MAX_BODY_BYTES} (the rest is drained, not kept) */
async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) if ((bytes += chunk.length) <= MAX_BODY_BYTES) chunks.push(chunk);
  if (bytes > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

/** @throws HttpError 400 naming what is wrong with the body */
function parseRequest(text: string): ChatRequestBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'request body must be a JSON object');
  const b = parsed as Record<string, unknown>;
  if (typeof b.model !== 'string') throw new HttpError(400, "'model' must be a string");
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new HttpError(400, "'messages' must be a non-empty array");
  b.messages.forEach((m: { role?: unknown; content?: unknown } | null, i) => {
    if (typeof m?.role !== 'string' || typeof m.content !== 'string') throw new HttpError(400, `messages[${i}] needs a string 'role' and 'content'`);
  });
  if (b.stream !== true) throw new HttpError(400, "this stand-in only streams: 'stream' must be true");
  if (b.max_tokens !== undefined && !(Number.isInteger(b.max_tokens) && (b.max_tokens as number) > 0)) throw new HttpError(400, "'max_tokens' must be a positive integer");
  return b as ChatRequestBody;
}

/** The reply's tokens after prefill: see {@link StandInModel.prefill}. */
function replyTokens(model: StandInModel, body: ChatRequestBody): string[] {
  const reply = typeof model.reply === 'function' ? model.reply(body) : model.reply;
  const last = body.messages[body.messages.length - 1];
  const prefix = last.role === 'assistant' ? last.content.trim() : '';
  const continued = reply.trimStart();
  if (prefix && (model.prefill ?? 'continue') === 'continue' && continued.startsWith(prefix)) return tokenize(continued.slice(prefix.length));
  return tokenize(reply);
}

/** @throws RangeError naming the model and the field when its schedule or fault count is unusable */
function checked(name: string, m: StandInModel): StandInModel {
  const problem = !(m.ttftMs >= 0) ? `ttftMs must be >= 0, got ${m.ttftMs}`
    : !(m.tokensPerSecond > 0) ? `tokensPerSecond must be > 0, got ${m.tokensPerSecond}`
    : m.fault && 'afterTokens' in m.fault && !(Number.isInteger(m.fault.afterTokens) && m.fault.afterTokens >= 0) ? `fault.afterTokens must be an integer >= 0, got ${m.fault.afterTokens}`
    : undefined;
  if (problem) throw new RangeError(`stand-in model "${name}": ${problem}`);
  return m;
}

/**
 * Starts the stand-in: `POST {url}/chat/completions` streams the named model's reply, `GET {url}/models`
 * lists the models.
 * @param models the models served, by name (`body.model` picks one; an unknown name gets 404)
 * @param options host (default 127.0.0.1), port (default 0: a free one), apiKey (when set, requests
 *   without `Authorization: Bearer <apiKey>` get 401, on every route)
 * @throws RangeError for an unusable model (see `setModel`); the listen error when the port is taken
 */
export async function startOpenAiStandIn(
  models: Record<string, StandInModel>,
  options: { host?: string; port?: number; apiKey?: string } = {},
): Promise<OpenAiStandIn> {
  const served = new Map(Object.entries(models).map(([name, m]) => [name, checked(name, m)] as const));
  const requests: RecordedRequest[] = [];
  /** Per open request: marks its connection as closed by the server (for close()). */
  const live = new Set<() => void>();

  function stream(res: http.ServerResponse, rec: RecordedRequest, model: StandInModel, body: ChatRequestBody, ended: () => void): void {
    const fault = model.fault;
    const base = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model };
    const send = (delta: Record<string, string>, finishReason: string | null = null): boolean =>
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`);
    const field = fault?.kind === 'refusal' ? 'refusal' : 'content';
    let items = fault?.kind === 'refusal' ? tokenize(fault.text) : fault?.kind === 'empty' || fault?.kind === 'hang' ? [] : replyTokens(model, body);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    if (fault?.kind === 'hang') return;
    let finishReason = 'stop';
    if (fault?.kind === 'content-filter') [items, finishReason] = [items.slice(0, fault.afterTokens), 'content_filter'];
    if (body.max_tokens !== undefined && items.length >= body.max_tokens) [items, finishReason] = [items.slice(0, body.max_tokens), 'length'];
    const cutAt = fault?.kind === 'cut' ? Math.min(fault.afterTokens, items.length) : -1;
    const malformedAt = fault?.kind === 'malformed' ? Math.min(fault.afterTokens, items.length) : -1;
    const dueAt = (i: number): number => rec.receivedAtMs + model.ttftMs + (i * 1000) / model.tokensPerSecond;

    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    res.on('close', () => clearTimeout(timer));
    /** What comes between token i-1 and token i; false once the response is over. */
    const boundary = (): boolean => {
      if (i === cutAt) {
        ended();
        const socket = res.socket;
        socket?.end(() => socket.destroy()); // what was written still arrives, then the connection goes mid-body
        return false;
      }
      if (i === malformedAt) res.write('data: {not json\n\n');
      if (i === items.length) {
        send({}, finishReason);
        res.end('data: [DONE]\n\n');
        return false;
      }
      return true;
    };
    const next = (): void => {
      timer = setTimeout(() => {
        if (rec.closedAtMs !== null) return;
        send({ [field]: items[i] });
        if (field === 'content') rec.tokens.push({ atMs: epochMs(), text: items[i] });
        i++;
        if (boundary()) next();
      }, Math.max(0, dueAt(i) - epochMs()));
    };
    timer = setTimeout(() => {
      if (rec.closedAtMs !== null) return;
      send({ role: 'assistant', content: '' });
      if (boundary()) next();
    }, Math.max(0, dueAt(0) - epochMs()));
  }

  async function chat(req: http.IncomingMessage, res: http.ServerResponse, receivedAtMs: number): Promise<void> {
    const body = parseRequest(await readBody(req));
    let serverEnded = false;
    let closedResolve!: () => void;
    const rec: RecordedRequest = {
      model: body.model, body, authorization: req.headers.authorization, receivedAtMs, tokens: [],
      closedByClient: false, closedAtMs: null, closed: new Promise<void>((r) => (closedResolve = r)),
    };
    requests.push(rec);
    /** Marks a connection the server itself closes before the response ended (cut, close()). */
    const ended = (): void => void (serverEnded = true);
    live.add(ended);
    const onClose = (): void => {
      live.delete(ended);
      rec.closedByClient = !serverEnded && !res.writableFinished;
      rec.closedAtMs = epochMs();
      closedResolve();
    };
    if (res.closed) onClose(); // the client left while the body was read
    else res.on('close', onClose);
    const model = served.get(body.model);
    if (!model) return sendError(res, 404, `model "${body.model}" not found`);
    if (model.fault?.kind === 'status') return sendError(res, model.fault.status, model.fault.message);
    stream(res, rec, model, body, ended);
  }

  const server = http.createServer((req, res) => {
    const receivedAtMs = epochMs();
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) return sendError(res, 401, 'Invalid API Key');
    if (req.method === 'GET' && path === '/v1/models') {
      const data = [...served.keys()].map((id) => ({ id, object: 'model', created: 0, owned_by: 'stand-in' }));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ object: 'list', data }));
    } else if (req.method === 'POST' && path === '/v1/chat/completions') {
      chat(req, res, receivedAtMs).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof HttpError) sendError(res, err.status, err.message);
        else sendError(res, 500, `stand-in failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    } else sendError(res, 404, `no route ${req.method} ${path}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}/v1`,
    requests,
    setModel: (name, model) => void served.set(name, checked(name, model)),
    openCount: () => requests.filter((r) => r.closedAtMs === null).length,
    async close() {
      for (const ended of live) ended();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
