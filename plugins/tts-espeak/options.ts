import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * ISO 639-1 languages this plugin speaks. espeak-ng has ~130 voices; these are the
 * ones with a tested default voice (see {@link DEFAULT_VOICES}).
 */
export const ESPEAK_LANGUAGES = ['en', 'pt', 'es', 'fr', 'de', 'it'] as const;

/** One of {@link ESPEAK_LANGUAGES}. */
export type EspeakLanguage = (typeof ESPEAK_LANGUAGES)[number];

/**
 * Default espeak-ng voice name per language: the voice file names of espeak-ng-data/voices
 * (`gmw/en-US` → `en-us`, `roa/pt-BR` → `pt-br`). Names are case-insensitive in espeak.
 */
export const DEFAULT_VOICES: Readonly<Record<EspeakLanguage, string>> = {
  en: 'en-us',
  pt: 'pt-br',
  es: 'es',
  fr: 'fr',
  de: 'de',
  it: 'it',
};

/**
 * espeak-ng's accepted speaking rate in words per minute
 * (espeakRATE_MINIMUM / espeakRATE_MAXIMUM in espeak-ng's speak_lib.h).
 */
export const ESPEAK_RATE_MIN_WPM = 80;
/** See {@link ESPEAK_RATE_MIN_WPM}. */
export const ESPEAK_RATE_MAX_WPM = 450;

/**
 * Options of the `tts-espeak` plugin (config `plugins.tts-espeak`). Unknown keys are rejected.
 * - `voices`: per-language voice override, e.g. `{ "en": "en-gb-x-rp", "pt": "pt" }`; a voice may carry
 *   an espeak variant (`en-us+f3`). Languages left out keep {@link DEFAULT_VOICES}.
 * - `rate`: speaking rate in words per minute, 80..450 (espeak's own default 175).
 * - `pitch`: base pitch 0..100 (espeak's default 50).
 * - `workers`: worker threads, each with its own warm espeak instance, 1..4, or `auto` (the default):
 *   {@link autoEspeakWorkers}. Each worker runs one synthesis at a time; more workers let several rooms
 *   synthesize in parallel on more cores.
 */
export const espeakOptionsSchema = z
  .object({
    voices: z.partialRecord(z.enum(ESPEAK_LANGUAGES), z.string().trim().min(1)).default({}),
    rate: z.number().int().min(ESPEAK_RATE_MIN_WPM).max(ESPEAK_RATE_MAX_WPM).default(175),
    pitch: z.number().int().min(0).max(100).default(50),
    workers: z.union([z.number().int().min(1).max(4), z.literal('auto')]).default('auto'),
  })
  .strict();

/** Validated options of the `tts-espeak` plugin, defaults applied. */
export type EspeakOptions = z.output<typeof espeakOptionsSchema>;

/**
 * espeak workers for `workers: auto`: one per core the process may use, 1–4. espeak's synthesis is
 * bursty (a first chunk takes 3–30 ms) and the other threads (the playout clock, the game loop) are
 * light, so when many rooms start a narration at once every core helps; four warm instances
 * (~25 MB each) cover the bursts measured (bench `--only audio-path`: TTFA p95 at 16/48/128 rooms).
 * GPU tiers do not change it: espeak never runs on the GPU.
 * @param cores cores available (default `os.availableParallelism()`)
 */
export function autoEspeakWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores));
}
