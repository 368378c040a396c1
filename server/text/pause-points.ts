import type { PauseWords } from './pause-words.ts';

/**
 * Classifies the boundary between two whitespace-separated tokens of narration
 * as a pause point (and how good a forced cut there would be), or as a place
 * that must never be cut (inside a title + name, a money amount, a dice
 * expression, a list marker, before a lone punctuation mark).
 */

/** A token as the chunker sees it: text without surrounding whitespace, and what separates it from the next. */
export interface BoundaryToken {
  /** Token text, no whitespace (e.g. `"Dr."`, `"2d8+4,"`, `"“Run!”"`). */
  core: string;
  /** Line breaks in the whitespace after the token. */
  newlinesAfter: number;
  /** Whether the token starts a line (first token, or a line break before it). */
  lineStart: boolean;
}

/** Pause kinds in priority order (the cut-point kinds of ChunkBoundary). */
export type PauseKind = 'sentence' | 'clause' | 'conjunction' | 'forced';

/** Classification of one boundary: `kind` null means never cut here. */
export interface PausePoint {
  kind: PauseKind | null;
  /** Added cost of a forced cut here (≥ −2; higher = splits a phrase more), 0 for other kinds. */
  phraseCost: number;
}

const OPENERS = /^["'“‘«„(\[{¿¡*_]+/u;
const CLOSERS = /["'”’»)\]}*_]+$/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const CURRENCY_PREFIX = /^(?:R\$|US\$|\$|€|£)$/u;
const OPERATOR = /^[+\-−–×*=/]$/u;

/** Token without leading openers and trailing closers/punctuation, lowercased: `“Then,` → `then`. */
export function bareWord(core: string): string {
  return core.replace(OPENERS, '').replace(/[^\p{L}\p{N}]+$/u, '').toLowerCase();
}

function firstSignificant(core: string): string {
  return core.replace(OPENERS, '').charAt(0);
}

const isLower = (c: string): boolean => c !== '' && c !== c.toUpperCase() && c === c.toLowerCase();
const isUpper = (c: string): boolean => c !== '' && c !== c.toLowerCase() && c === c.toUpperCase();

/** Pause kind from the punctuation that ends `prev`, or 'none'/'protected'. */
function punctuationKind(prev: BoundaryToken, next: BoundaryToken, words: PauseWords): PauseKind | 'none' | 'protected' {
  const tail = prev.core.replace(CLOSERS, '');
  const nextFirst = firstSignificant(next.core);
  if (/[.!?…]$/u.test(tail)) {
    const ellipsis = /(?:…|\.\.)$/u.test(tail);
    if (tail.endsWith('.') && !ellipsis && !/[!?]\.$/u.test(tail)) {
      const word = tail.replace(/^[^\p{L}\p{N}]+/u, '').slice(0, -1);
      if (words.noBreakAbbreviations.has(word.toLowerCase())) return 'protected';
      // Initials ("J. R. R. Tolkien"), but not the pronoun "I".
      if (/^(?:\p{Lu}\.)*\p{Lu}$/u.test(word) && word !== 'I' && isUpper(nextFirst)) return 'protected';
      if (/^\d+$/u.test(word) && prev.lineStart) return 'protected';
      return isLower(nextFirst) ? 'none' : 'sentence';
    }
    // "Run!" she shouted — the mark ends a quote, not the sentence.
    return isLower(nextFirst) ? 'clause' : 'sentence';
  }
  if (/[,;:]$/u.test(tail)) return 'clause';
  // A spaced minus before a number is arithmetic ("2d8 - 4"), not a dash.
  if (/^[-–−]$/u.test(prev.core) && /^\d/u.test(next.core)) return 'protected';
  if (/[—–―]$/u.test(tail) || /^(?:-|--)$/u.test(prev.core)) return 'clause';
  return 'none';
}

/** Whether cutting between `prev` and `next` would split an amount, a dice expression or a lone mark from its word. */
function splitsUnit(prev: BoundaryToken, next: BoundaryToken, words: PauseWords): boolean {
  const p = prev.core;
  const n = next.core;
  if (CURRENCY_PREFIX.test(p) && /^\d/u.test(n)) return true;
  if (/\d$/u.test(p) && words.units.has(n.replace(/[^\p{L}\p{N}%€]+$/u, '').toLowerCase())) return true;
  if (OPERATOR.test(p) || OPERATOR.test(n) || (/^[+\-−×*=]\d/u.test(n) && /\d$/u.test(p))) return true;
  if (/^\d{1,3}$/u.test(p) && /^\d{3}(?!\d)/u.test(n)) return true;
  // A lone mark ("—", "?", "»") belongs with the word before it.
  return !LETTER_OR_DIGIT.test(n) && !OPENERS.test(n);
}

/**
 * Cost of a forced cut between `prev` and `next`: high after words that bind
 * to the next (articles, prepositions, numbers, first half of a name), low
 * before words that open a phrase. 0 is a neutral word boundary.
 */
export function phraseCost(prev: BoundaryToken, next: BoundaryToken, words: PauseWords): number {
  const pw = bareWord(prev.core);
  const nw = bareWord(next.core);
  let cost = 0;
  if (words.binding.has(pw)) cost += 4;
  if ((/\d/u.test(prev.core) && !/[.,;:!?]$/u.test(prev.core)) || words.numberWords.has(pw)) cost += 3;
  if (isUpper(firstSignificant(prev.core)) && isUpper(firstSignificant(next.core)) && !prev.lineStart) cost += 1.5;
  if (words.phraseStarters.has(nw)) cost -= 1.5;
  if (CLOSERS.test(prev.core)) cost -= 0.5;
  return cost;
}

/**
 * Classifies the boundary after `prev` (cut position: the start of `next`).
 * Rules: sentence ends are . ! ? … (with closing quotes/brackets) before a
 * non-lowercase word, except after titles/abbreviations, initials and list
 * markers; clause marks are , ; : — – and ! ? … before a lowercase word;
 * conjunctions are cut before; a paragraph break is a sentence end and a
 * line break at least a clause mark.
 */
export function classifyBoundary(prev: BoundaryToken, next: BoundaryToken, words: PauseWords): PausePoint {
  let kind: PauseKind | null;
  const punct = punctuationKind(prev, next, words);
  if (punct === 'protected') kind = null;
  else if (punct !== 'none') kind = punct;
  else if (splitsUnit(prev, next, words)) kind = null;
  else {
    const pw = bareWord(prev.core);
    const conj = words.conjunctions.has(bareWord(next.core)) && !words.binding.has(pw) && !words.conjunctions.has(pw);
    kind = conj ? 'conjunction' : 'forced';
  }
  if (prev.newlinesAfter >= 2) kind = 'sentence';
  else if (prev.newlinesAfter === 1 && kind !== 'sentence') kind = 'clause';
  return { kind, phraseCost: kind === 'forced' ? phraseCost(prev, next, words) : 0 };
}
