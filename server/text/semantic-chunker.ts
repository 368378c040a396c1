import { checkCharsPerSecond, resolveChunkerOptions, type SemanticChunkerOptions, type TextChunk } from './chunker-options.ts';
import { StreamingChunker } from './streaming-chunker.ts';

export {
  chunkBounds, defaultCharsPerSecond, defaultMaxChars, defaultSemanticChunkerOptions, resolveChunkerOptions,
  type ChunkBoundary, type ChunkBounds, type SemanticChunkerOptions, type TextChunk,
} from './chunker-options.ts';
export { estimateSeconds } from './spoken-estimate.ts';
export { StreamingChunker } from './streaming-chunker.ts';

/**
 * Splits narration into chunks at natural pause points, for a TTS engine.
 *
 * Rules (product seed spec + chunking issue):
 * - Pause points, strongest first: sentence ends (. ! ? … with closing quotes
 *   or brackets, paragraph breaks) > clause marks (, ; : — –, line breaks)
 *   > before a conjunction/subordinator (pause-words.ts) > forced word
 *   boundary. Periods of titles and abbreviations (Mr. Dr. St. e.g. vs.
 *   Sr. Sra.), initials, list markers and decimals are not sentence ends;
 *   ! ? … before a lowercase word are clause marks.
 * - No cut inside a word, a number, a dice expression or a money amount
 *   ("R$ 5,00", "10 gp", "2d8 + 4"), nor after a title ("Mr. | Smith").
 * - Chunks after the first and before the last: 2.4–8.0 s estimated (hard),
 *   3–7 s preferred; the spoken text of every chunk ≤ maxChars. Forced cuts
 *   avoid ending on an article, preposition or number.
 * - The first chunk ends at the first pause point after ≈1 s of speech so
 *   audio starts fast, or, with none within ≈3 s, at the word boundary in
 *   1.5–3 s that best keeps a phrase together. A text of ≤ 3 s is one chunk.
 *
 * Durations are estimated from spoken characters at `charsPerSecond`.
 */
export class SemanticChunker {
  private readonly opts: SemanticChunkerOptions;

  /** @throws Error naming the invalid option. */
  constructor(options: Partial<SemanticChunkerOptions> = {}) {
    this.opts = resolveChunkerOptions(options);
  }

  /** Resolved options. */
  get options(): Readonly<SemanticChunkerOptions> {
    return this.opts;
  }

  /**
   * Updates the speech rate (engines measure it from their audio).
   * @param charsPerSecond spoken chars per second of audio, > 0.
   * @throws RangeError when not a positive finite number.
   */
  setCharsPerSecond(charsPerSecond: number): void {
    this.opts.charsPerSecond = checkCharsPerSecond(charsPerSecond);
  }

  /**
   * Chunks a whole text. Concatenating the chunks' `text` gives `text` back
   * exactly; the last chunk has boundary `end`. `''` gives [].
   */
  chunk(text: string): TextChunk[] {
    return new StreamingChunker(this.opts).end(text);
  }

  /** A streaming chunker with these options, for text that arrives in deltas. */
  stream(): StreamingChunker {
    return new StreamingChunker(this.opts);
  }
}
