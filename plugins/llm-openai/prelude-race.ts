/**
 * The prelude's opening sentence, and what the main model's continuation must not repeat of it
 * (issue 14; the seed spec's "Thread A: Qwen 1.5B → Prelude", "Thread B: Qwen 14B → Narrative").
 */

/** A sentence end: `.`, `!`, `?` or `…` (runs included), closing quotes or brackets, then a space. */
const SENTENCE_END = /[.!?…]+["'”’»)\]]*(?=\s)/u;

/**
 * The first sentence of `text` when it is complete: the text up to and including its end mark,
 * known once the space after it arrived (`3.5` is not an end). With `ended`, the whole text counts
 * as complete when it has no sentence end (a prelude cut by its token cap).
 * @returns the sentence, trimmed, or null when it is not complete yet (or the text is blank)
 */
export function firstSentence(text: string, ended: boolean): string | null {
  const m = SENTENCE_END.exec(text);
  if (m) return text.slice(0, m.index + m[0].length).trim() || null;
  return ended ? text.trim() || null : null;
}

/** Lowercase, whitespace collapsed, for comparing the continuation with the prelude. */
function comparable(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trimStart();
}

/**
 * Removes a repetition of the prelude at the start of the main model's continuation. A server
 * that continues an assistant prefix (llama.cpp, Ollama with a ChatML template, vLLM with
 * `continue_final_message`) writes on from it; one that does not (OpenAI) starts its answer again,
 * often with the same sentence. Text is held while it could still be that repetition (at most the
 * prelude's length), then dropped if it was, or released if it was not. The continuation gets a
 * space before it when it does not start with one.
 */
export class RepeatGuard {
  private held = '';
  private settled = false;
  private readonly prelude: string;

  /** @param prelude the sentence already spoken */
  constructor(prelude: string) {
    this.prelude = comparable(prelude);
  }

  /** Feeds a delta of the continuation; returns what may be spoken now. */
  push(delta: string): string {
    if (this.settled) return delta;
    this.held += delta;
    const seen = comparable(this.held);
    if (seen.length === 0) return '';
    if (seen.length >= this.prelude.length) {
      if (seen.startsWith(this.prelude)) {
        // Drop the repeated sentence; keep what followed it.
        return this.settle(this.afterRepetition());
      }
      return this.settle(this.held);
    }
    if (this.prelude.startsWith(seen)) return '';
    return this.settle(this.held);
  }

  /** The continuation ended: what is still held (a partial repetition is dropped: it is the prelude's). */
  end(): string {
    if (this.settled) return '';
    this.settled = true;
    return '';
  }

  private settle(text: string): string {
    this.settled = true;
    this.held = '';
    return /^\s/.test(text) || text === '' ? text : ` ${text}`;
  }

  /** The held text after its first prelude.length comparable characters. */
  private afterRepetition(): string {
    let count = 0;
    let i = 0;
    const held = this.held.replace(/^\s+/, '');
    let lastWasSpace = false;
    for (; i < held.length && count < this.prelude.length; i++) {
      const space = /\s/.test(held[i]!);
      if (space && lastWasSpace) continue;
      lastWasSpace = space;
      count++;
    }
    return held.slice(i);
  }
}
