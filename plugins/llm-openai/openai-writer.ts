import { inject, injectable, optional } from 'inversify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { pluginOptionsToken, TOKENS } from '../../server/tokens.ts';
import type { NarrationWriter, PastNarration, WriteRequest, WriterBreak } from '../../server/event/narration-writer.ts';
import { SpeakableFilter } from '../../server/text/speakable-filter.ts';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import { streamChat, type ChatEndpoint, type ChatMessage } from './chat-stream.ts';
import { RepeatGuard, firstSentence } from './prelude-race.ts';
import type { LlmOpenAiOptions } from './options.ts';
import { LlmMetrics, type LlmRole } from './llm-metrics.ts';

/** Characters of one past narration given to the model as context. */
export const HISTORY_ITEM_CHARS = 600;

/** What the prelude model is told besides the persona (issue 14: "one short opening sentence"). */
const PRELUDE_INSTRUCTION = 'Write only the opening sentence of this narration: one short sentence of at most 15 words, nothing else.';

const BREAK: WriterBreak = { break: true };

/**
 * The `llm-openai` plugin's narration writer: an OpenAI-compatible chat-completions server streams
 * the narration (chat-stream.ts), which leaves here speakable (server/text/speakable-filter.ts).
 *
 * Messages: the persona (`system`), the language to write in (config `language`), and the room's last `history` narrations as "the story so
 * far" (each cut to {@link HISTORY_ITEM_CHARS}), then the prompt as the user's message. Keeping the
 * history inside the system message keeps every chat template's user/assistant alternation valid.
 *
 * With `prelude` (the seed spec's two threads): the small model is asked for one opening sentence
 * while the main model starts on the same prompt. If the main model's first token comes first, the
 * prelude request is closed and dropped. If the prelude's sentence is complete first, it is spoken at
 * once (a break follows it), the first main request is closed before it wrote anything, and the main
 * model is asked again with the prelude as the start of its answer (a final assistant message,
 * continued by llama.cpp and Ollama; vLLM needs `prelude.continueBody`). Its repetition of the prelude,
 * if the server starts over, is removed (prelude-race.ts). On llama.cpp the first main request was not
 * wasted: the server keeps the prompt it processed (`cache_prompt`), so the second one only adds the prelude.
 */
@injectable()
export class OpenAiWriter implements NarrationWriter {
  private readonly main: ChatEndpoint;
  private readonly prelude: ChatEndpoint | null;
  private readonly metrics: LlmMetrics | null;

  constructor(
    @inject(pluginOptionsToken('llm-openai')) private readonly options: LlmOpenAiOptions,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(TOKENS.MetricsRegistry) @optional() registry?: Registry,
  ) {
    this.metrics = registry ? new LlmMetrics(registry) : null;
    this.main = { url: options.url, model: options.model, apiKey: options.apiKey };
    const p = options.prelude;
    this.prelude = p
      ? { url: p.url ?? options.url, model: p.model, apiKey: p.apiKey ?? ((p.url ?? options.url) === options.url ? options.apiKey : undefined) }
      : null;
    log.info({ url: this.main.url, model: this.main.model, prelude: this.prelude ? { url: this.prelude.url, model: this.prelude.model } : null }, 'language model narration writer ready');
  }

  async *write(request: WriteRequest): AsyncGenerator<string | WriterBreak> {
    const n = this.options.history;
    const system = systemMessage(this.options.system, request.language, n === 0 ? [] : request.history.slice(-n));
    const conversation: ChatMessage[] = [{ role: 'system', content: system }, { role: 'user', content: request.prompt }];
    const log = this.log.child({ roomId: request.roomId, narrationId: request.narrationId });
    log.debug({ prompt: request.prompt, model: this.main.model }, 'language model asked');
    const startedAtMs = nowMs();
    if (!this.prelude) {
      yield* speakable(this.mainStream('main', conversation, request.signal));
      log.debug({ ms: Math.round(nowMs() - startedAtMs) }, 'language model done');
      return;
    }
    yield* this.withPrelude(conversation, request.signal, log);
  }

  private mainStream(role: LlmRole, messages: readonly ChatMessage[], signal: AbortSignal, extraBody: Readonly<Record<string, unknown>> = {}): AsyncGenerator<string> {
    const o = this.options;
    return this.observed(role, signal, streamChat({
      endpoint: this.main, messages, maxTokens: o.maxTokens, temperature: o.temperature, timeoutMs: o.timeoutMs, signal,
      extraBody: { ...o.extraBody, ...extraBody },
    }));
  }

  private observed(role: LlmRole, signal: AbortSignal, deltas: AsyncGenerator<string>): AsyncGenerator<string> {
    return this.metrics ? this.metrics.observe(role, deltas, signal) : deltas;
  }

  private async *withPrelude(conversation: ChatMessage[], signal: AbortSignal, log: Logger): AsyncGenerator<string | WriterBreak> {
    const prelude = this.prelude!;
    const p = this.options.prelude!;
    const preludeAbort = new AbortController();
    const firstAbort = new AbortController();
    const done = () => {
      preludeAbort.abort();
      firstAbort.abort();
    };
    signal.addEventListener('abort', done, { once: true });
    try {
      const [system, user] = conversation;
      const sentence = preludeSentence(this.observed('prelude', preludeAbort.signal, streamChat({
        endpoint: prelude, maxTokens: p.maxTokens, temperature: this.options.temperature, timeoutMs: this.options.timeoutMs,
        messages: [{ role: 'system', content: `${system!.content}\n\n${PRELUDE_INSTRUCTION}` }, user!],
        signal: preludeAbort.signal, extraBody: this.options.extraBody,
      })), log);
      const first = this.mainStream('main', conversation, firstAbort.signal);
      const firstToken = first.next();
      firstToken.catch(() => undefined);
      type Winner = { kind: 'main'; token: IteratorResult<string> } | { kind: 'main-failed'; err: unknown } | { kind: 'prelude'; text: string | null };
      const race = async (): Promise<Winner> => Promise.race([
        firstToken.then((token) => ({ kind: 'main', token }) as const, (err: unknown) => ({ kind: 'main-failed', err }) as const),
        sentence.then((text) => ({ kind: 'prelude', text }) as const),
      ]);
      let winner = await race();
      // A prelude that failed or said nothing is no prelude: the main model goes on alone.
      if (winner.kind === 'prelude' && winner.text === null) {
        winner = await firstToken.then((token) => ({ kind: 'main', token }) as const, (err: unknown) => ({ kind: 'main-failed', err }) as const);
      }
      if (signal.aborted) return;
      if (winner.kind === 'main-failed') throw winner.err;
      if (winner.kind === 'main') {
        preludeAbort.abort();
        log.debug('main model answered before the prelude: prelude dropped');
        if (winner.token.done) return;
        yield* speakable(prepend(winner.token.value, first));
        return;
      }
      // The prelude won: speak it now, and have the main model continue it.
      const opening = winner.text!;
      firstAbort.abort();
      log.debug({ prelude: opening }, 'prelude spoken');
      yield opening;
      yield BREAK;
      const guard = new RepeatGuard(opening);
      const continued = this.mainStream('continuation', [...conversation, { role: 'assistant', content: opening }], signal, p.continueBody);
      for await (const piece of speakable(continued)) {
        const out = guard.push(piece);
        if (out) yield out;
      }
      const rest = guard.end();
      if (rest) yield rest;
    } finally {
      signal.removeEventListener('abort', done);
      done();
    }
  }
}

/** Language names in English for the instruction (`pt-BR` → "Brazilian Portuguese"; ICU data of Node's Intl). */
const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/** The persona, the language to write in, then the story so far (oldest first), as one system message. */
function systemMessage(persona: string, language: string, history: readonly PastNarration[]): string {
  let name = language;
  try {
    name = LANGUAGE_NAMES.of(language) ?? language;
  } catch {
    // not a BCP 47 tag Intl knows: the code itself
  }
  const head = `${persona}\n\nWrite the narration in ${name}.`;
  if (history.length === 0) return head;
  const lines = history.map((h) => `- ${h.text.length > HISTORY_ITEM_CHARS ? `${h.text.slice(0, HISTORY_ITEM_CHARS)}…` : h.text}`);
  return `${head}\n\nThe story so far, as the players heard it (oldest first):\n${lines.join('\n')}`;
}

/** Content deltas → speakable text (server/text/speakable-filter.ts), empty pieces skipped. */
async function* speakable(deltas: AsyncIterable<string>): AsyncGenerator<string> {
  const filter = new SpeakableFilter();
  for await (const delta of deltas) {
    const out = filter.push(delta);
    if (out) yield out;
  }
  const rest = filter.end();
  if (rest) yield rest;
}

/** `head`, then the rest of `tail`. */
async function* prepend(head: string, tail: AsyncIterator<string>): AsyncGenerator<string> {
  yield head;
  try {
    for (;;) {
      const r = await tail.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await tail.return?.(undefined);
  }
}

/**
 * Reads the prelude model's answer up to its first complete sentence, then closes its stream.
 * @returns the sentence (speakable), or null when it failed or said nothing (logged, not an error:
 *   the main model narrates alone)
 */
async function preludeSentence(deltas: AsyncGenerator<string>, log: Logger): Promise<string | null> {
  let text = '';
  try {
    for await (const piece of speakable(deltas)) {
      text += piece;
      const sentence = firstSentence(text, false);
      if (sentence) return sentence;
    }
    return firstSentence(text, true);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'prelude model failed: the main model narrates alone');
    return null;
  }
}
