/**
 * Characters per word that turn espeak's words-per-minute rate into characters per second.
 * Measured here with en-us at 175 wpm: 80–116-character narration sentences gave 4.3–6.7 s of
 * audio, 17–19 chars/s, i.e. ~6 characters per "word" (letters, space and punctuation, pauses included).
 */
export const CHARS_PER_ESPEAK_WORD = 6;

/** Weight of the newest measurement in the moving average (0..1]. */
const SMOOTHING = 0.3;

/** Shorter audio is dominated by leading/trailing silence and is not used to refine the rate, seconds. */
const MIN_AUDIO_SECONDS = 1;

/** First estimate of characters per second for a rate in words per minute. */
export function charsPerSecondForRate(wpm: number): number {
  return (wpm * CHARS_PER_ESPEAK_WORD) / 60;
}

/**
 * Per-language speaking rate in characters of text per second of audio: starts from an estimate
 * and follows measured chunks with an exponential moving average.
 */
export class SpeakingRateEstimator {
  private readonly measured = new Map<string, number>();

  /** @param initialCharsPerSecond estimate used for a language until it has a measurement */
  constructor(private readonly initialCharsPerSecond: number) {
    if (!(initialCharsPerSecond > 0)) throw new Error(`initialCharsPerSecond must be > 0, got ${initialCharsPerSecond}`);
  }

  /** Current estimate for `language`, characters per second. */
  charsPerSecond(language: string): number {
    return this.measured.get(language) ?? this.initialCharsPerSecond;
  }

  /**
   * Folds one synthesized chunk into the estimate. Chunks under 1 s of audio or with no text are ignored.
   * @param chars characters of the chunk's text
   * @param audioSeconds duration of the audio espeak produced for it, seconds
   */
  observe(language: string, chars: number, audioSeconds: number): void {
    if (chars <= 0 || !(audioSeconds >= MIN_AUDIO_SECONDS)) return;
    const sample = chars / audioSeconds;
    const prev = this.measured.get(language);
    this.measured.set(language, prev === undefined ? sample : prev + SMOOTHING * (sample - prev));
  }
}
