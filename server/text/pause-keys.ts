import type { TextChunk } from './chunker-options.ts';

/**
 * What a seam's pause depends on: the mark the chunk ends with (engines pause differently after
 * each: espeak-ng en-us in one call, 313 ms after `.` and `?`, 351 after `!`, 238 after `;` `:` `…`
 * `—`, 162 after `,`), or, for a chunk cut without one, the cut's kind.
 */
export type PauseKey = 'period' | 'question' | 'exclamation' | 'semicolon' | 'comma' | 'conjunction' | 'forced';

/**
 * The pause key of a chunk that ends at `boundary` with `text` (its source span): the last mark
 * before trailing whitespace and closing quotes/brackets; `;` stands for `:` `…` `—` `–` too. A
 * sentence end without a mark (a paragraph break) is a period, a clause end without one (a line
 * break) a comma. Null for the narration's last chunk.
 */
export function pauseKeyOf(chunk: Pick<TextChunk, 'boundary' | 'text'>): PauseKey | null {
  switch (chunk.boundary) {
    case 'end':
      return null;
    case 'conjunction':
    case 'forced':
      return chunk.boundary;
  }
  const mark = /([.!?…,;:—–])[\s"'”’»)\]}*_]*$/u.exec(chunk.text)?.[1];
  switch (mark) {
    case '.':
      return 'period';
    case '?':
      return 'question';
    case '!':
      return 'exclamation';
    case ',':
      return 'comma';
    case undefined:
      return chunk.boundary === 'sentence' ? 'period' : 'comma';
    default:
      return 'semicolon';
  }
}

/**
 * Whether a quotation mark sits at the seam after `chunk`: closing its text, or opening `next`'s.
 * Only unambiguous marks (`"` `“` `”` `«` `»`), not apostrophes.
 */
export function quoteAtSeam(chunk: Pick<TextChunk, 'text'>, next: Pick<TextChunk, 'text'> | undefined): boolean {
  return /["”»]\s*$/u.test(chunk.text) || /^\s*["“«]/u.test(next?.text ?? '');
}
