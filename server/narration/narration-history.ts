import type { PastNarration } from '../event/narration-writer.ts';
import type { NarrationReport } from './narration.ts';

/** Past narrations a room keeps for its language model's context: as many as `plugins.llm-openai.history` may ask (≤ 32). */
export const MAX_HISTORY = 32;
/** Characters of one past narration kept; the writer cuts further (a prompt has a budget). */
export const MAX_HISTORY_CHARS = 2000;

/**
 * The last {@link MAX_HISTORY} narrations a room heard, oldest first, each cut to
 * {@link MAX_HISTORY_CHARS} characters: what a narration writer gets as context (issue 14: "the room
 * history goes into the next prompt, and is bounded"). Narrations cancelled before any audio
 * played, and empty ones, were never heard and are not kept.
 */
export class NarrationHistory {
  private readonly items: PastNarration[] = [];

  /** Records a narration that ended (its report). */
  add(report: Pick<NarrationReport, 'text' | 'trigger' | 'audioMs'>): void {
    const text = report.text.trim();
    if (text === '' || report.audioMs <= 0) return;
    this.items.push({ text: text.length > MAX_HISTORY_CHARS ? text.slice(0, MAX_HISTORY_CHARS) : text, trigger: report.trigger });
    if (this.items.length > MAX_HISTORY) this.items.shift();
  }

  /** The kept narrations, oldest first (a copy). */
  list(): PastNarration[] {
    return [...this.items];
  }
}
