import { createParser } from 'eventsource-parser';
import { WriterError, isWriterError } from '../../server/event/narration-writer.ts';
import { HttpStatusError, HttpTimeoutError, describe, streamResponse } from '../../server/util/http-stream.ts';
import { keyRedactor } from '../../server/util/redact-key.ts';

/** A chat-completions server and model. */
export interface ChatEndpoint {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080/v1`; `/chat/completions` is appended. */
  readonly url: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; kept out of every error message. */
  readonly apiKey?: string;
}

/** One message of the conversation (OpenAI chat format). */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One streamed completion. */
export interface ChatStreamRequest {
  readonly endpoint: ChatEndpoint;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  readonly temperature: number;
  /** Fields merged into the body last (server-specific switches). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** Longest wait for the first content token, and between two content tokens, ms. */
  readonly timeoutMs: number;
  /** Aborting it closes the HTTP connection at once; the stream then ends without an error. */
  readonly signal: AbortSignal;
}

/** Longest server message or malformed line quoted in an error, characters. */
const QUOTE_CHARS = 160;

/**
 * Streams a chat completion's content deltas from an OpenAI-compatible server (`POST
 * {url}/chat/completions` with `stream: true`; server-sent events per the WHATWG HTML "Server-sent
 * events" format, parsed by eventsource-parser; chunk shape per the OpenAI API reference
 * "chat.completion.chunk": `choices[0].delta.content`, `delta.refusal`, `finish_reason`, then
 * `data: [DONE]`). llama.cpp's llama-server, Ollama (`/v1`), vLLM and LM Studio speak it.
 *
 * The time-out counts content tokens, not bytes: a server that sends its role chunk and then
 * nothing times out like one that sends nothing. Leaving the loop early, or aborting
 * `request.signal`, closes the connection (the server sees it close).
 * @returns content deltas in order (never empty strings); ends after `[DONE]`
 * @throws WriterError naming the server and model: `unreachable` (connection refused, DNS…), `http`
 *   (an error status, or an error event in the stream), `timeout`, `stream` (ended without `[DONE]`,
 *   a malformed event), `refused` (a refusal, or the content filter stopped it)
 */
export async function* streamChat(request: ChatStreamRequest): AsyncGenerator<string> {
  const { endpoint, signal } = request;
  const where = `language model ${endpoint.model} at ${endpoint.url}`;
  const redact = keyRedactor(endpoint.apiKey);
  if (signal.aborted) return;
  // The token clock: aborts the request when no content token came within timeoutMs.
  const tokens = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      tokens.abort();
    }, request.timeoutMs);
  };
  const both = AbortSignal.any([signal, tokens.signal]);
  const events: string[] = [];
  const malformed: { message: string | null } = { message: null };
  const parser = createParser({
    onEvent: (event) => events.push(event.data),
    onError: (err) => (malformed.message ??= err.message),
  });
  const body = {
    model: endpoint.model,
    messages: request.messages,
    stream: true,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    ...request.extraBody,
  };
  let done = false;
  let refusal = '';
  try {
    arm();
    const decoder = new TextDecoder();
    const http = streamResponse(
      {
        method: 'POST',
        url: `${endpoint.url}/chat/completions`,
        json: body,
        headers: { accept: 'text/event-stream', ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) },
      },
      // Bytes: the token clock above is the real bound; this one only keeps a dead socket from hanging forever.
      { signal: both, timeoutMs: request.timeoutMs * 2 },
    );
    for await (const bytes of http) {
      parser.feed(decoder.decode(bytes, { stream: true }));
      if (malformed.message !== null) throw new WriterError('stream', `${where}: malformed event stream (${malformed.message.slice(0, QUOTE_CHARS)})`);
      for (const data of events.splice(0)) {
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = parseChunk(data, where);
        if (chunk.error) throw new WriterError('http', `${where} sent an error: ${redact(chunk.error)}`);
        if (chunk.refusal) refusal += chunk.refusal;
        if (chunk.finishReason === 'content_filter') throw new WriterError('refused', `${where} stopped: its content filter blocked the answer`);
        if (chunk.content) {
          received++;
          arm();
          yield chunk.content;
        }
      }
      if (done) break;
    }
    if (signal.aborted) return;
    if (refusal) throw new WriterError('refused', `${where} refused: ${redact(refusal).slice(0, QUOTE_CHARS)}`);
    if (!done) throw new WriterError('stream', `${where}: the stream ended without [DONE] after ${received} token(s) (the server broke it off)`);
  } catch (err) {
    if (signal.aborted) return;
    if (isWriterError(err)) throw err;
    if (timedOut || err instanceof HttpTimeoutError) {
      throw new WriterError('timeout', `${where}: no ${received === 0 ? 'first' : 'next'} token within ${request.timeoutMs} ms`, { cause: err });
    }
    if (err instanceof HttpStatusError) throw new WriterError('http', `${where} answered HTTP ${err.status}${err.serverMessage ? `: ${redact(err.serverMessage)}` : ''}`);
    const what = received > 0 ? `the stream broke after ${received} token(s)` : 'cannot connect';
    throw new WriterError(received > 0 ? 'stream' : 'unreachable', `${where}: ${what} (${redact(describe(err))})`, { cause: err });
  } finally {
    clearTimeout(timer);
    // Whatever ended the loop (done, an error, the caller leaving), the connection closes now.
    tokens.abort();
  }
}

/** The fields of one `chat.completion.chunk` we read. */
interface ChunkFields {
  content?: string;
  refusal?: string;
  finishReason?: string;
  error?: string;
}

/**
 * Reads one event's data.
 * @throws WriterError `stream` when it is not JSON or not a chunk
 */
function parseChunk(data: string, where: string): ChunkFields {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new WriterError('stream', `${where}: malformed event (not JSON): ${JSON.stringify(data.slice(0, QUOTE_CHARS))}`);
  }
  if (typeof json !== 'object' || json === null) throw new WriterError('stream', `${where}: malformed event (not an object): ${JSON.stringify(data.slice(0, QUOTE_CHARS))}`);
  const o = json as { error?: unknown; choices?: unknown };
  if (o.error !== undefined) {
    const e = o.error as { message?: unknown } | string;
    return { error: String(typeof e === 'object' && e !== null ? e.message ?? JSON.stringify(e) : e).slice(0, QUOTE_CHARS) };
  }
  if (!Array.isArray(o.choices)) throw new WriterError('stream', `${where}: malformed event (no choices): ${JSON.stringify(data.slice(0, QUOTE_CHARS))}`);
  const choice = o.choices[0] as { delta?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown } | undefined;
  const delta = choice?.delta;
  return {
    ...(typeof delta?.content === 'string' && delta.content !== '' ? { content: delta.content } : {}),
    ...(typeof delta?.refusal === 'string' && delta.refusal !== '' ? { refusal: delta.refusal } : {}),
    ...(typeof choice?.finish_reason === 'string' ? { finishReason: choice.finish_reason } : {}),
  };
}
