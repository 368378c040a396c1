import { normalizeEn } from './normalize-en.ts';
import { normalizePt } from './normalize-pt.ts';
import { cleanText, collapseWhitespace, parseLanguage } from './speech-rules.ts';

/**
 * A BCP 47-ish language tag: `en`, `pt`, `en-US`, `pt-BR`, `pt-PT`, or any
 * other tag (which gets whitespace/control cleanup only).
 */
export type SpeechLanguage = 'en' | 'pt' | (string & {});

/**
 * Turns source text into what a TTS engine should say.
 *
 * All languages: Unicode NFC, control and zero-width characters removed,
 * whitespace runs collapsed to one space, ends trimmed.
 * `en` (any region; numbers read American-style via n2words `en-US`) and `pt`
 * (`pt`/`pt-BR` → Brazilian, `pt-PT` → European) also spell out: cardinals
 * with thousands separators and decimals, ordinals (`23rd`, `2ª`), money
 * (`$1,250`, `R$ 5,00`, `€3`, `10 gp`), percentages, dice (`2d8+4` → "two d
 * eight plus four"), ranges (`1-4`), signs, the RPG abbreviations HP AC DC XP
 * gp sp cp (pt also PV CA CD PO), titles (Mr. Dr. St. / Sr. Sra. Dr.) and
 * Latin abbreviations (e.g., etc.). Number words come from n2words.
 *
 * Punctuation is kept: engines use it for prosody.
 * @param text any text; never throws on odd input (unparseable parts stay as written).
 * @returns normalized text; `''` when `text` holds nothing speakable.
 */
export function normalizeForSpeech(text: string, language: SpeechLanguage): string {
  const clean = cleanText(text);
  if (clean === '') return clean;
  const { base, region } = parseLanguage(language);
  if (base === 'en') return collapseWhitespace(normalizeEn(clean));
  if (base === 'pt') return collapseWhitespace(normalizePt(clean, region === 'pt' ? 'pt' : 'br'));
  return clean;
}
