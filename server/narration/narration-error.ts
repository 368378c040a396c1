/**
 * Why a narration request was refused. Stable strings: game code and clients switch on them.
 * - `bad_request`: the payload's shape is wrong (a field of the wrong type, an unknown key)
 * - `empty_text`, `text_too_long`, `bad_text` (control characters): the narration text
 * - `unknown_voice`: the engine has no such voice for the room's language
 * - `unknown_event`, `bad_event` (a missing, too long or badly typed field): the rules table
 * - `not_allowed`: the sender's role may not do this (a player sending a DM command)
 * - `queue_full`: the room already has `limits.maxQueuedNarrations` narrations waiting (for a
 *   player's event: the players' share of them; the last quarter is kept for the DM)
 * - `rate_limited`: a player sent more events than `limits.playerEventsPerMinute`
 * - `no_stream`: a stream delta or end without an open stream
 * - `no_llm`: narration by a language model was asked for and none is mounted (plugins/llm-openai)
 * - `closed`: the room's narration, or the whole narrator, is closed
 */
export type NarrationErrorCode =
  | 'bad_request'
  | 'empty_text'
  | 'text_too_long'
  | 'bad_text'
  | 'unknown_voice'
  | 'unknown_event'
  | 'bad_event'
  | 'not_allowed'
  | 'queue_full'
  | 'rate_limited'
  | 'no_stream'
  | 'no_llm'
  | 'closed';

/**
 * A narration request refused before anything changed: the room, and the narration
 * already playing, are untouched. `message` is written for the person who sent the
 * request (a client gets it as `narration:error`); `code` is for code.
 */
export class NarrationError extends Error {
  override readonly name = 'NarrationError';
  constructor(readonly code: NarrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** C0/C1 control characters other than tab, line feed and carriage return. */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * Bidirectional formatting characters (U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates):
 * they reorder how text displays, so a name or caption could show something else than it says
 * (CVE-2021-42574, "Trojan Source").
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (`String.prototype.isWellFormed`, ES2024, negated). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether `s` holds a character no client string may carry: a control character other than tab,
 * line feed and carriage return, a bidirectional formatting character, or a lone UTF-16 surrogate
 * (not encodable as UTF-8: one in a player's name broke state decoding for every client of the room).
 */
export function hasControlChars(s: string): boolean {
  return textProblem(s) !== null;
}

/** What is wrong with `s` ({@link hasControlChars}), in words for an error message, or null. */
export function textProblem(s: string): string | null {
  if (CONTROL_CHARS.test(s)) return 'control characters';
  if (BIDI_CONTROLS.test(s)) return 'bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069)';
  if (LONE_SURROGATE.test(s)) return 'a lone UTF-16 surrogate (not valid Unicode)';
  return null;
}

/**
 * Checks narration text as every entry point takes it (client messages, server-side
 * `narrate`, streams' deltas use {@link checkDeltaText}).
 * @param maxChars config `limits.maxTextChars`
 * @param what the field's name in error messages (`text`, `prompt`)
 * @returns the text, unchanged
 * @throws NarrationError `bad_request` (not a string), `empty_text`, `text_too_long`, `bad_text`
 */
export function checkNarrationText(text: unknown, maxChars: number, what = 'text'): string {
  if (typeof text !== 'string') throw new NarrationError('bad_request', `${what} must be a string`);
  if (text.length > maxChars) throw new NarrationError('text_too_long', `${what} is longer than ${maxChars} characters`);
  if (text.trim().length === 0) throw new NarrationError('empty_text', `${what} is empty`);
  const problem = textProblem(text);
  if (problem) throw new NarrationError('bad_text', `${what} contains ${problem}`);
  return text;
}

/**
 * Checks one delta of a streamed narration: may be empty or whitespace (a token can be a space);
 * the stream as a whole must stay within `maxChars`.
 * @param soFar characters the stream already holds
 * @throws NarrationError `bad_request`, `text_too_long`, `bad_text`
 */
export function checkDeltaText(text: unknown, soFar: number, maxChars: number): string {
  if (typeof text !== 'string') throw new NarrationError('bad_request', 'text must be a string');
  if (soFar + text.length > maxChars) throw new NarrationError('text_too_long', `streamed text is longer than ${maxChars} characters`);
  const problem = textProblem(text);
  if (problem) throw new NarrationError('bad_text', `text contains ${problem}`);
  return text;
}
