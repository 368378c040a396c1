import { z } from 'zod';
import { parseLanguage } from './speech-rules.ts';

/**
 * Options of the semantic chunker (SemanticChunker, StreamingChunker) and the
 * character bounds derived from them.
 */

/**
 * Kind of pause point a chunk ends at, strongest first:
 * `sentence` (. ! ? …, paragraph break), `clause` (, ; : — –, line break,
 * ! ? … before a lowercase word), `conjunction` (cut before and/but/when…),
 * `forced` (a word boundary chosen to keep phrases together), `end` (the text's
 * last chunk).
 */
export type ChunkBoundary = 'sentence' | 'clause' | 'conjunction' | 'forced' | 'end';

/** One chunk of narration, ready for a TtsEngine and for captions. */
export interface TextChunk {
  /** 0-based position in the text (continues across StreamingChunker pushes). */
  index: number;
  /** Exact span of the input, whitespace after it included; all `text`s concatenate to the input. */
  text: string;
  /** What the engine should say: `normalizeForSpeech(text.trim(), language)`; `''` only for a whitespace-only input. */
  spoken: string;
  /** `spoken.length` (UTF-16 code units, as engines' char limits count). */
  chars: number;
  /** Estimated speech duration in seconds: `chars / charsPerSecond`, rounded to ms. */
  estSeconds: number;
  /** Pause point the chunk ends at. */
  boundary: ChunkBoundary;
}

/**
 * Tuning of the chunker. Durations in seconds, lengths in spoken characters.
 * Source of the windows: the product seed spec and its chunking issue (target
 * 3–7 s / 180–320 chars, hard 2.4–8.0 s, first chunk ≈ 1–3 s).
 */
export interface SemanticChunkerOptions {
  /** Text language (`en`, `pt`, `pt-PT`, …); selects normalization and pause words. */
  language: string;
  /** Engine's limit on the SPOKEN text of one request; no chunk exceeds it. Default 250 (XTTS v2 en), 203 for pt. */
  maxChars: number;
  /** Speech rate used to estimate durations. Default en 14.5, pt 13.5 (see {@link defaultCharsPerSecond}). */
  charsPerSecond: number;
  /** Preferred chunk duration window, seconds (default 3–7). */
  targetMinSeconds: number;
  targetMaxSeconds: number;
  /** Preferred chunk length window, characters (default 180–320); see {@link chunkBounds} for how it meets the seconds. */
  targetMinChars: number;
  targetMaxChars: number;
  /** Hard duration bounds of every chunk but the first and the last, seconds (default 2.4–8.0). */
  minSeconds: number;
  maxSeconds: number;
  /** The first chunk ends at the first pause point after this much speech (default 1.0 s) … */
  firstMinSeconds: number;
  /** … that comes within this much (default 3.0 s); texts no longer than this stay one chunk. */
  firstMaxSeconds: number;
  /** Without such a pause point the first chunk is cut at a word boundary no earlier than this (default 1.5 s). */
  firstForcedMinSeconds: number;
}

/**
 * Default speech rate, characters per second. espeak-ng's default rate is
 * 175 words/min; at ~5 letters + 1 space per English word that is
 * 175 × 5 / 60 ≈ 14.6 chars/s, rounded down to 14.5. Portuguese words are
 * longer and XTTS reads them a little slower: 13.5. Engines refine it from
 * measured audio via `setCharsPerSecond`.
 */
export function defaultCharsPerSecond(language: string): number {
  return parseLanguage(language).base === 'pt' ? 13.5 : 14.5;
}

/**
 * Default spoken-character limit: XTTS v2's per-language `char_limits`
 * (coqui-ai/TTS, TTS/tts/layers/xtts/tokenizer.py): en 250, pt 203.
 */
export function defaultMaxChars(language: string): number {
  return parseLanguage(language).base === 'pt' ? 203 : 250;
}

/** Defaults for English; {@link resolveChunkerOptions} adapts rate and limit for pt. */
export const defaultSemanticChunkerOptions: Readonly<SemanticChunkerOptions> = Object.freeze({
  language: 'en',
  maxChars: 250,
  charsPerSecond: 14.5,
  targetMinSeconds: 3,
  targetMaxSeconds: 7,
  targetMinChars: 180,
  targetMaxChars: 320,
  minSeconds: 2.4,
  maxSeconds: 8,
  firstMinSeconds: 1,
  firstMaxSeconds: 3,
  firstForcedMinSeconds: 1.5,
});

const positive = z.number().finite().positive();
const optionsSchema = z
  .object({
    language: z.string().min(1),
    maxChars: z.number().int().min(16),
    charsPerSecond: positive,
    targetMinSeconds: positive,
    targetMaxSeconds: positive,
    targetMinChars: positive,
    targetMaxChars: positive,
    minSeconds: positive,
    maxSeconds: positive,
    firstMinSeconds: positive,
    firstMaxSeconds: positive,
    firstForcedMinSeconds: positive,
  })
  .refine((o) => o.minSeconds <= o.targetMinSeconds && o.targetMinSeconds <= o.targetMaxSeconds && o.targetMaxSeconds <= o.maxSeconds, {
    message: 'need minSeconds ≤ targetMinSeconds ≤ targetMaxSeconds ≤ maxSeconds',
  })
  .refine((o) => o.firstMinSeconds <= o.firstForcedMinSeconds && o.firstForcedMinSeconds <= o.firstMaxSeconds, {
    message: 'need firstMinSeconds ≤ firstForcedMinSeconds ≤ firstMaxSeconds',
  });

/**
 * Defaults merged with `partial` (rate and limit default per language) and validated.
 * @throws Error naming the offending option when a value is out of range.
 */
export function resolveChunkerOptions(partial: Partial<SemanticChunkerOptions> = {}): SemanticChunkerOptions {
  const language = partial.language ?? defaultSemanticChunkerOptions.language;
  const merged = {
    ...defaultSemanticChunkerOptions,
    charsPerSecond: defaultCharsPerSecond(language),
    maxChars: defaultMaxChars(language),
    ...stripUndefined(partial),
  };
  const parsed = optionsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid SemanticChunkerOptions ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'unknown'}`);
  }
  return parsed.data;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Chunk bounds in estimated spoken characters at the current rate. */
export interface ChunkBounds {
  /** Hard minimum/maximum of middle chunks; `hardMax` ≤ maxChars. */
  hardMin: number;
  hardMax: number;
  /** Preferred window, inside the hard one. */
  targetMin: number;
  targetMax: number;
  /** First-chunk window: earliest pause, forced-cut floor, ceiling. */
  firstMin: number;
  firstForcedMin: number;
  firstMax: number;
}

/**
 * Converts the seconds/characters windows into spoken-character bounds.
 * The seconds govern: at 14.5 chars/s the 180–320 char target (12–22 s)
 * cannot meet the 8 s hard maximum, so the char window only caps the target
 * (`targetMaxChars`) and raises its floor (`targetMinChars`) when that floor
 * still fits under the seconds ceiling (slow engines, low rates).
 */
export function chunkBounds(o: SemanticChunkerOptions): ChunkBounds {
  const cps = o.charsPerSecond;
  const hardMax = Math.min(o.maxSeconds * cps, o.maxChars);
  const targetMax = Math.min(o.targetMaxSeconds * cps, o.targetMaxChars, hardMax);
  let targetMin = o.targetMinSeconds * cps;
  if (Math.max(targetMin, o.targetMinChars) <= targetMax) targetMin = Math.max(targetMin, o.targetMinChars);
  targetMin = Math.min(targetMin, targetMax);
  const hardMin = Math.min(o.minSeconds * cps, targetMin);
  const firstMax = Math.min(o.firstMaxSeconds * cps, hardMax);
  const firstForcedMin = Math.min(o.firstForcedMinSeconds * cps, firstMax);
  const firstMin = Math.min(o.firstMinSeconds * cps, firstForcedMin);
  return { hardMin, hardMax, targetMin, targetMax, firstMin, firstForcedMin, firstMax };
}

/**
 * Checks a speaking rate measured from audio before a chunker adopts it.
 * @param charsPerSecond spoken chars per second of audio
 * @throws RangeError when not a positive finite number
 */
export function checkCharsPerSecond(charsPerSecond: number): number {
  if (!Number.isFinite(charsPerSecond) || charsPerSecond <= 0) {
    throw new RangeError(`charsPerSecond must be a positive finite number, got ${charsPerSecond}`);
  }
  return charsPerSecond;
}
