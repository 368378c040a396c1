import { XTTS_INITIAL_CHARS_PER_SECOND, type XttsLanguage } from './languages.ts';

/** Weight of the newest measurement in the moving average (0..1]. */
const SMOOTHING = 0.3;

/** Shorter audio is dominated by leading/trailing silence and is not used, seconds. */
const MIN_AUDIO_SECONDS = 1;

/**
 * Per-language speaking rate in characters of text per second of audio: starts from
 * {@link XTTS_INITIAL_CHARS_PER_SECOND} and follows measured chunks with an exponential moving average.
 */
export class XttsSpeakingRate {
  private readonly measured = new Map<XttsLanguage, number>();

  /** Current estimate for `language`, characters per second. */
  charsPerSecond(language: XttsLanguage): number {
    return this.measured.get(language) ?? XTTS_INITIAL_CHARS_PER_SECOND[language];
  }

  /**
   * Folds one completely synthesized chunk into the estimate; chunks under 1 s of audio are ignored.
   * @param chars characters of the chunk's text
   * @param audioSeconds audio the server sent for it, seconds
   */
  observe(language: XttsLanguage, chars: number, audioSeconds: number): void {
    if (chars <= 0 || !(audioSeconds >= MIN_AUDIO_SECONDS)) return;
    const sample = chars / audioSeconds;
    const prev = this.measured.get(language);
    this.measured.set(language, prev === undefined ? sample : prev + SMOOTHING * (sample - prev));
  }
}
