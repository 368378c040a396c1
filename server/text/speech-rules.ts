/**
 * Helpers shared by the per-language speech normalizers (normalize-en.ts,
 * normalize-pt.ts): text cleanup and the small decisions every rule needs.
 */

/**
 * C0/C1 control characters (except the whitespace ones, which collapse to a
 * space) and zero-width format characters: a TTS engine would either read them
 * as garbage or choke on them.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF]/g;

/**
 * Unicode NFC, control characters removed, every whitespace run (incl. NBSP
 * and the narrow NBSP of "10 %") turned into one space, ends trimmed.
 */
export function cleanText(text: string): string {
  return collapseWhitespace(text.normalize('NFC').replace(CONTROL, ''));
}

/** Every whitespace run becomes one ASCII space; ends trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Words that replace `text.slice(offset, offset + length)`, with a space added
 * on a side where a letter or digit touches the match ("level5" → "level five").
 */
export function padWords(words: string, text: string, offset: number, length: number): string {
  const before = text.charAt(offset - 1);
  const after = text.charAt(offset + length);
  const touching = /[\p{L}\p{N}]/u;
  return `${touching.test(before) ? ' ' : ''}${words}${touching.test(after) ? ' ' : ''}`;
}

/**
 * Whether the text at `offset` (just after an abbreviation's period) starts a
 * new sentence — end of text, or a space then a capital or digit (optionally
 * behind an opening quote) — so the period is also a full stop that prosody needs.
 * Expects whitespace already collapsed.
 */
export function sentenceEndsAt(text: string, offset: number): boolean {
  if (offset >= text.length) return true;
  return /^ ["“‘«(]?[\p{Lu}\p{N}]/u.test(text.slice(offset, offset + 4));
}

/**
 * Replacement for an abbreviation that carries a period: the spoken words, plus
 * the period again when the abbreviation closes a sentence ("etc. The" →
 * "et cetera. The"). For `String.prototype.replace` callbacks.
 */
export function abbreviation(spoken: string, text: string, offset: number, matchLength: number, hadPeriod: boolean): string {
  return hadPeriod && sentenceEndsAt(text, offset + matchLength) ? `${spoken}.` : spoken;
}

/** Parses `en`, `en-US`, `pt_BR`, `PT-pt` into a lowercase base and region. */
export function parseLanguage(language: string): { base: string; region: string } {
  const [base = '', region = ''] = language.toLowerCase().split(/[-_]/);
  return { base, region };
}
