/**
 * A narration writer turns a prompt into narration text as it is written: a language model
 * (plugins/llm-openai) streaming its answer token by token (issue 14; the seed spec's
 * "Qwen → Chunker → XTTS"). The core pipes what it yields into a streamed narration, so speech
 * starts at the first safe pause while the model is still writing.
 *
 * A plugin binds one under `TOKENS.NarrationWriter`; without one, rules with only an `llm` prompt
 * are refused at startup and `generate` / `narration:narrate_llm` answer `no_llm`.
 */
export interface NarrationWriter {
  /**
   * Writes the narration for `request.prompt`. Yields text in order as it is produced, already
   * speakable (markup and stage directions removed); the deltas joined are the narration's text.
   * Yields a `{ break: true }` mark where the text so far is a finished opening (the prelude) that
   * should be spoken now rather than wait for more text.
   *
   * Stops promptly, without throwing, once `request.signal` aborts (the narration was cancelled),
   * closing its HTTP streams.
   * @throws WriterError when the model cannot be reached, answers an error, times out, breaks its
   *   stream off, refuses, or answers nothing; text already yielded stays spoken
   */
  write(request: WriteRequest): AsyncIterable<string | WriterBreak>;
}

/** A point in the writer's output where what came before should be chunked and spoken at once. */
export interface WriterBreak {
  readonly break: true;
}

/** One narration to write. */
export interface WriteRequest {
  readonly roomId: string;
  readonly narrationId: string;
  /** The DM's prompt, or a rule's `llm.prompt` filled from the event; 1–`limits.maxTextChars` characters. */
  readonly prompt: string;
  /** The language the narration is spoken in (config `language`, BCP 47: `en`, `pt-BR`): the model should write in it. */
  readonly language: string;
  /** The room's past narrations, oldest first (already bounded by the room; the writer may use fewer). */
  readonly history: readonly PastNarration[];
  /** Aborts when the narration is cancelled or the room closes. */
  readonly signal: AbortSignal;
}

/** A narration the room already heard, as context for the next prompt. */
export interface PastNarration {
  /** What was spoken (the narration's text). */
  readonly text: string;
  /** What started it (`event:door_open`, `dm:text`, `dm:llm`, …). */
  readonly trigger: string;
}

/**
 * Why a writer failed, in words for the DM (`narration:error` code `llm_failed`). The message names
 * the server and what went wrong (status, time-out, malformed stream) and never carries credentials.
 */
export class WriterError extends Error {
  override readonly name = 'WriterError';
  /**
   * @param kind what failed, for metrics and tests: `unreachable`, `http`, `timeout`, `stream` (broken off
   *   or malformed), `refused`, `empty`
   */
  constructor(readonly kind: WriterErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Whether `err` is a {@link WriterError}, by name: a plugin may be loaded as a second copy of the core's
 * modules (a compiled plugin next to a source checkout, a test runner's loader), where `instanceof` fails.
 */
export function isWriterError(err: unknown): err is WriterError {
  return err instanceof Error && err.name === 'WriterError' && typeof (err as WriterError).kind === 'string';
}

export type WriterErrorKind = 'unreachable' | 'http' | 'timeout' | 'stream' | 'refused' | 'empty';
