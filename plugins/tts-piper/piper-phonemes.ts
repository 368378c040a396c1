/**
 * Piper's phonemization rules (rhasspy/piper-phonemize src/phonemize.cpp @bfc2e754,
 * `phonemize_eSpeak`), applied to espeak-ng's clauses: each clause's IPA (mode 0x02: no tie, no
 * separator), language flags such as `(en)` removed, NFD-decomposed, one code point per phoneme, the
 * voice's `phoneme_map` applied (and Piper's default for `pt-br`: `c` → `k`), then the clause
 * terminator's mark appended: `.` `?` `!` (they end the sentence), `,` `:` `;` followed by a space.
 * Piper's espeak fork returns the terminator (`espeak_TextToPhonemesWithTerminator`); the build we
 * ship does not, so {@link clauseTerminator} reads it from the text the clause ended with, by
 * espeak's rules for which marks end a clause (readclause.c): a dash followed by a space counts as
 * `;` (EXTENDED_DASH), an ellipsis, a paragraph break or the end of the text append nothing.
 */

/** Closing quotes and brackets espeak reads past when it looks for a clause's mark. */
const CLOSERS = new Set(['"', "'", '”', '’', '»', ')', ']']);
const SENTENCE_MARKS = new Set(['.', '?', '!']);
const CLAUSE_MARKS = new Set([',', ':', ';']);
const DASHES = new Set(['-', '–', '—']);

/** Piper's built-in phoneme substitutions per espeak voice (piper-phonemize `DEFAULT_PHONEME_MAP`). */
const DEFAULT_PHONEME_MAP: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = { 'pt-br': { c: ['k'] } };

/**
 * What Piper appends after a clause, and whether the clause ends the sentence.
 * @param clauseText the clause's text as written, up to (and maybe past) its mark
 */
export function clauseTerminator(clauseText: string): { mark: string; endsSentence: boolean } {
  const chars = Array.from(clauseText.trimEnd());
  while (chars.length > 0 && CLOSERS.has(chars.at(-1)!)) chars.pop();
  const last = chars.at(-1);
  if (last === undefined) return { mark: '', endsSentence: false };
  if (SENTENCE_MARKS.has(last)) return { mark: last, endsSentence: true };
  if (CLAUSE_MARKS.has(last)) return { mark: `${last} `, endsSentence: false };
  if (DASHES.has(last) && /\s$/u.test(clauseText)) return { mark: '; ', endsSentence: false };
  return { mark: '', endsSentence: false };
}

/** One clause as espeak-ng gave it: its IPA (`_` separators allowed) and the text it read. */
export interface EspeakClause {
  readonly ipa: string;
  readonly text: string;
}

/**
 * Groups clauses into Piper's sentences of phonemes (one code point each).
 * @param espeakVoice the voice's `espeak.voice` (for Piper's default substitutions)
 * @param phonemeMap the voice's `phoneme_map` (substitutions applied after Piper's defaults)
 * @returns one array of phonemes per sentence; the last clause always ends a sentence
 */
export function piperSentences(clauses: readonly EspeakClause[], espeakVoice: string, phonemeMap: Readonly<Record<string, readonly string[]>> = {}): string[][] {
  const substitutions = { ...DEFAULT_PHONEME_MAP[espeakVoice], ...phonemeMap };
  const sentences: string[][] = [];
  let current: string[] = [];
  clauses.forEach((clause, i) => {
    const last = i === clauses.length - 1;
    const { mark, endsSentence } = clauseTerminator(clause.text);
    const ipa = clause.ipa.replace(/_/g, '').replace(/\([^)]*\)/g, '').trim();
    for (const phoneme of (ipa + mark).normalize('NFD')) {
      const mapped = Object.hasOwn(substitutions, phoneme) ? substitutions[phoneme]! : [phoneme];
      current.push(...mapped);
    }
    if (endsSentence || last) {
      if (current.length > 0) sentences.push(current);
      current = [];
    }
  });
  return sentences;
}
