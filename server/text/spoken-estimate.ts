import { normalizeForSpeech } from './normalize.ts';

/**
 * Spoken-length estimate of single tokens, which the chunker sums to size
 * candidate chunks without normalizing every candidate span (that would be
 * quadratic). Plain words skip the normalizer; others are normalized and
 * memoized, since narration repeats its tokens.
 */

/**
 * A plain word: letters, apostrophes and hyphens, only the first letter may be
 * a capital, wrapped in ordinary punctuation. Normalization leaves it as is
 * unless it is one of {@link EXPANDED_WORDS}.
 */
const PLAIN_WORD = /^["“‘(«]?\p{L}[\p{Ll}'’-]*[.,;:!?…"”’)»]*$/u;

/** Words the normalizers expand (titles, table abbreviations, units) in any language. */
const EXPANDED_WORDS = new Set(
  `mr mrs ms dr dra prof profa capt sgt lt st jr sr sra srta sto sta vs approx aprox etc no hp xp pv pvs gp sp cp pp ep po
   pc pe pl ft lb lbs km m kg pág págs`.split(/\s+/),
);

/** Memo size bound: enough for a session's vocabulary, small enough to never matter for memory (~1 MB). */
const MEMO_LIMIT = 10_000;

/** Estimates the spoken length of tokens of one language. */
export class SpokenLengthEstimator {
  private readonly memo = new Map<string, number>();

  /** @param language tag passed to normalizeForSpeech. */
  constructor(private readonly language: string) {}

  /**
   * Length in characters of `normalizeForSpeech(token)`; exact for a token on its
   * own (multi-token patterns such as "R$ 5,00" are sized per token, off by a few chars).
   * @param token text without whitespace.
   */
  tokenLength(token: string): number {
    if (PLAIN_WORD.test(token) && !EXPANDED_WORDS.has(token.replace(/[^\p{L}]+/gu, '').toLowerCase())) return token.length;
    const cached = this.memo.get(token);
    if (cached !== undefined) return cached;
    const length = normalizeForSpeech(token, this.language).length;
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(token, length);
    return length;
  }
}

/**
 * Estimated speech duration of spoken text.
 * @param spoken normalized text (or its length in chars).
 * @param charsPerSecond speech rate, chars/s, > 0.
 * @returns seconds.
 */
export function estimateSeconds(spoken: string | number, charsPerSecond: number): number {
  const chars = typeof spoken === 'number' ? spoken : spoken.length;
  return chars / charsPerSecond;
}
