import type { TextChunk } from './chunker-options.ts';

/** Longest read-ahead handed to an engine for a chunk's intonation, characters. */
export const MAX_CONTINUATION_CHARS = 120;

/**
 * What an engine should read after `chunk` (and then cut off) so the chunk keeps the intonation
 * of a sentence that goes on, for every chunk that ends mid-sentence (`clause`, `conjunction` and
 * `forced` boundaries): the next chunk's spoken text up to and including its first clause or
 * sentence mark, at most {@link MAX_CONTINUATION_CHARS} characters (cut at a word boundary).
 * Clause seams too: espeak-ng shapes a short comma clause by what follows it (the quality bench:
 * `The crew cheers, | raising their mugs` read alone fell 1.9–3.7 semitones under the one-call reading).
 *
 * Why up to the mark: espeak-ng (and most engines) shape intonation per clause, from the
 * punctuation that ends it. Measured with espeak-ng on 6 en/pt sentences, F0 over the last 150 ms
 * of a chunk vs the one-call reading: chunk alone −2.3 to −3.3 semitones (final fall), ending it
 * with a comma −0.1 to −2.6, reading one word ahead −1.7 to −2.1, reading to the clause's mark
 * −0.2 to +0.3.
 *
 * @param next the chunk after `chunk`, or undefined when it is not known yet (streamed text)
 * @returns undefined when the chunk ends a sentence or the narration (nothing to read ahead); `''`
 *   when the sentence goes on but the next words are not known yet (engines then end the chunk as
 *   a clause, with a comma unless it has its own mark); else the read-ahead text
 */
export function continuationOf(chunk: Pick<TextChunk, 'boundary'>, next: Pick<TextChunk, 'spoken'> | undefined): string | undefined {
  if (chunk.boundary !== 'clause' && chunk.boundary !== 'conjunction' && chunk.boundary !== 'forced') return undefined;
  const spoken = next?.spoken.trim() ?? '';
  if (spoken === '') return '';
  const mark = spoken.search(/[.!?…,;:—–](?=\s|$)/u);
  let text = mark >= 0 ? spoken.slice(0, mark + 1) : spoken;
  if (text.length > MAX_CONTINUATION_CHARS) {
    const space = text.lastIndexOf(' ', MAX_CONTINUATION_CHARS);
    text = text.slice(0, space > 0 ? space : MAX_CONTINUATION_CHARS);
  }
  return text;
}

/**
 * Whether a chunk ends a paragraph: its text span (whitespace after it included) ends in a blank line.
 * @param text a TextChunk's `text`
 */
export function endsParagraph(text: string): boolean {
  return /\n[^\S\n]*\n\s*$/u.test(text);
}
