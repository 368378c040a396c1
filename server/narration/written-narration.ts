import type { Logger } from 'pino';
import { WriterError, isWriterError, type NarrationWriter, type PastNarration } from '../event/narration-writer.ts';
import { textProblem } from './narration-error.ts';
import type { Narration } from './narration.ts';
import type { NarrationStream } from './narration-stream.ts';

/** A writer's failure or a capped answer, as the room reports it to its DM (`narration:error`). */
export interface WriterProblem {
  readonly narrationId: string;
  readonly trigger: string;
  /** `llm_failed`: the model failed (what it wrote before stays spoken); `text_too_long`: its answer passed `limits.maxTextChars` and was cut there. */
  readonly code: 'llm_failed' | 'text_too_long';
  readonly message: string;
}

/** What {@link writeNarration} needs. */
export interface WrittenNarration {
  readonly writer: NarrationWriter;
  readonly roomId: string;
  /** The streamed narration the text goes into (RoomNarrator.stream). */
  readonly stream: NarrationStream & { narration: Narration };
  readonly prompt: string;
  /** Config `language` (BCP 47). */
  readonly language: string;
  readonly history: readonly PastNarration[];
  /** Config `limits.maxTextChars`: the answer is cut there and the model stopped. */
  readonly maxChars: number;
  /** A rule's template, narrated instead when the model fails before writing anything. */
  readonly fallback?: string;
  readonly log: Logger;
  readonly onProblem: (problem: WriterProblem) => void;
}

/**
 * Pipes a narration writer's text into a streamed narration (issue 14): each delta goes to the
 * streaming chunker as it arrives, so the first chunk is spoken at the model's first safe pause,
 * not after its whole answer. Cancelling the narration aborts the writer's signal at once (its HTTP
 * streams close). A failure leaves what was already spoken, marks the narration's report failed
 * and tells the DM; when nothing was written yet and the rule has a template, the template is
 * narrated instead. The stream is always ended. Never rejects.
 */
export async function writeNarration(w: WrittenNarration): Promise<void> {
  const { stream } = w;
  const { narration } = stream;
  const signal = narration.abort.signal;
  let wrote = false;
  const problem = (code: WriterProblem['code'], message: string) => w.onProblem({ narrationId: narration.id, trigger: narration.trigger, code, message });
  try {
    for await (const piece of w.writer.write({ roomId: w.roomId, narrationId: narration.id, prompt: w.prompt, language: w.language, history: w.history, signal })) {
      if (signal.aborted) return;
      if (typeof piece !== 'string') {
        stream.break();
        continue;
      }
      // The writer promises speakable text; a character no client string may carry is dropped, never narrated.
      const text = textProblem(piece) === null ? piece : [...piece].filter((ch) => textProblem(ch) === null).join('');
      const room = w.maxChars - stream.length;
      if (text.length > room) {
        stream.push(text.slice(0, room));
        problem('text_too_long', `the language model's answer passed limits.maxTextChars (${w.maxChars} characters): it was cut there`);
        w.log.warn({ roomId: w.roomId, narrationId: narration.id, maxChars: w.maxChars }, 'language model answer cut at limits.maxTextChars');
        return; // leaving the loop closes the writer's streams
      }
      stream.push(text);
      if (text.trim() !== '') wrote = true;
    }
    if (!signal.aborted && !wrote) throw new WriterError('empty', 'the language model answered with no speakable text');
  } catch (err) {
    if (signal.aborted) return;
    const message = isWriterError(err) ? err.message : `the language model failed: ${err instanceof Error ? err.message : String(err)}`;
    if (!isWriterError(err)) w.log.error({ roomId: w.roomId, narrationId: narration.id, err }, 'narration writer failed');
    if (!wrote && w.fallback) {
      stream.push(w.fallback);
      problem('llm_failed', `${message}; the rule's template was narrated instead`);
      return;
    }
    narration.textError = message;
    problem('llm_failed', message);
  } finally {
    stream.end();
  }
}
