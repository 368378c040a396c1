/**
 * XTTS-v2 languages and their per-request text limits.
 */

/**
 * Longest text XTTS-v2 accepts per request, characters, by ISO 639-1 code. Longer text makes the
 * model truncate or babble. Source: Coqui TTS, TTS/tts/layers/xtts/tokenizer.py (`char_limits`).
 */
export const XTTS_CHAR_LIMITS = {
  en: 250, de: 253, fr: 273, es: 239, it: 213, pt: 203, pl: 224, tr: 226,
  ru: 182, nl: 251, cs: 186, ar: 166, zh: 82, ja: 71, hu: 224, ko: 95,
} as const satisfies Record<string, number>;

/** A language this plugin speaks (a key of {@link XTTS_CHAR_LIMITS}). */
export type XttsLanguage = keyof typeof XTTS_CHAR_LIMITS;

/** ISO 639-1 codes this plugin speaks: the keys of {@link XTTS_CHAR_LIMITS}. */
export const XTTS_LANGUAGES = Object.keys(XTTS_CHAR_LIMITS) as XttsLanguage[];

/** Output rate of XTTS-v2 (its HiFi-GAN decoder and the servers' PCM), Hz. */
export const XTTS_SAMPLE_RATE = 24_000;

/**
 * First speaking-rate estimate, characters of text per second of audio, used until a language has
 * measured chunks. Alphabetic languages: ~14 chars/s (the chunker's en default, 14.5, is measured
 * English narration); CJK scripts carry a syllable or more per character, so 5–7 chars/s
 * (typical read speech: ~5 syllables/s zh, ~7–8 morae/s ja, ~6–7 syllables/s ko). Estimates only.
 */
export const XTTS_INITIAL_CHARS_PER_SECOND: Readonly<Record<XttsLanguage, number>> = {
  en: 14.5, de: 14, fr: 14, es: 14, it: 14, pt: 13.5, pl: 13, tr: 13,
  ru: 13, nl: 14, cs: 13, ar: 12, zh: 5, ja: 6, hu: 13, ko: 6.5,
};

/**
 * Language code the XTTS servers expect: XTTS names Chinese `zh-cn` (config.languages of the
 * released model), every other language by its ISO 639-1 code.
 */
export function xttsWireLanguage(language: XttsLanguage): string {
  return language === 'zh' ? 'zh-cn' : language;
}

/**
 * Narrows a language code to one XTTS speaks.
 * @throws Error naming the code and the supported ones
 */
export function assertXttsLanguage(language: string): XttsLanguage {
  if (Object.hasOwn(XTTS_CHAR_LIMITS, language)) return language as XttsLanguage;
  throw new Error(`XTTS does not speak language "${language}"; supported: ${XTTS_LANGUAGES.join(', ')}`);
}
