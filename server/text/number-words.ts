import * as enUS from 'n2words/en-US';
import * as enGB from 'n2words/en-GB';
import * as ptPT from 'n2words/pt-PT';

/**
 * Number-to-words for the speech normalizer, a thin layer over n2words 4
 * (`n2words/en-US`, `n2words/pt-PT`). n2words ships only European Portuguese,
 * so the Brazilian variant re-spells the three teens that differ. Portuguese
 * numbers of 1000 and up are joined here from n2words' words for 0–999 (see
 * `ptCardinalInteger`): n2words 4.0 misses "e" before round hundreds ("mil
 * quinhentos" for 1500) and garbles the long scale ("um mil milhões duzentos
 * milhões" for 1.2 × 10^9), and Brazil needs the short scale anyway.
 */

/** Portuguese variant: `br` (pt-BR, the default for plain `pt`) or `pt` (pt-PT). */
export type PtVariant = 'br' | 'pt';

/**
 * Integer parts longer than this many digits are read digit by digit
 * ("one two three …"): such strings are codes or ids, not quantities, and
 * n2words would say "quadrillion", which no narrator wants.
 */
export const MAX_SPOKEN_INTEGER_DIGITS = 15;

const BR_TEENS: ReadonlyArray<[RegExp, string]> = [
  [/dezasseis/g, 'dezesseis'],
  [/dezassete/g, 'dezessete'],
  [/dezanove/g, 'dezenove'],
];

function toBrazilian(words: string): string {
  let out = words;
  for (const [re, to] of BR_TEENS) out = out.replace(re, to);
  return out;
}

/** n2words' pt-PT words re-spelled for `variant`. */
function localize(words: string, variant: PtVariant): string {
  return variant === 'br' ? toBrazilian(words) : words;
}

/**
 * Scale words, largest first, singular and plural: the short scale in Brazil
 * (bilhão = 10^9, trilhão = 10^12), the long scale in Portugal (10^9 = "mil
 * milhões", bilião = 10^12). Below 10^15 (`MAX_SPOKEN_INTEGER_DIGITS`) these suffice.
 */
const PT_SCALES: Record<PtVariant, ReadonlyArray<[bigint, string, string]>> = {
  br: [[10n ** 12n, 'trilhão', 'trilhões'], [10n ** 9n, 'bilhão', 'bilhões'], [10n ** 6n, 'milhão', 'milhões'], [1000n, 'mil', 'mil']],
  pt: [[10n ** 12n, 'bilião', 'biliões'], [10n ** 6n, 'milhão', 'milhões'], [1000n, 'mil', 'mil']],
};

/**
 * Whether "e" joins `rest`, the part of a number below its highest scale
 * group, to that group: yes when the last non-zero group of three digits is
 * below 100 or a round hundred — "mil e cinquenta" (1050), "mil e quinhentos"
 * (1500), "dois milhões e duzentos mil" (2 200 000), "um bilhão e cem mil" —
 * and no otherwise: "mil quinhentos e cinquenta" (1550), "um milhão quinhentos
 * e trinta mil" (1 530 000). Within a group "e" always joins hundreds, tens
 * and units ("duzentos e trinta e um"); n2words does that part.
 * Source: Celso Cunha & Lindley Cintra, *Nova Gramática do Português
 * Contemporâneo*, chapter "Numerais" (use of the conjunction "e"), and
 * Napoleão Mendes de Almeida, *Gramática Metódica da Língua Portuguesa*
 * (1400 = "mil e quatrocentos", 3048 = "três mil e quarenta e oito", 4367 =
 * "quatro mil trezentos e sessenta e sete"); the same rule holds in pt-PT.
 */
function joinsWithE(rest: bigint): boolean {
  let last = rest;
  while (last % 1000n === 0n) last /= 1000n;
  return last < 100n || (last < 1000n && last % 100n === 0n);
}

/** Portuguese words for a non-negative integer below 10^15, e.g. 1500n → "mil e quinhentos". */
function ptCardinalInteger(n: bigint, variant: PtVariant): string {
  for (const [scale, one, many] of PT_SCALES[variant]) {
    if (n < scale) continue;
    const top = n / scale;
    const rest = n % scale;
    // "mil", not "um mil"; but "um milhão".
    const head = top === 1n ? (scale === 1000n ? one : `um ${one}`) : `${ptCardinalInteger(top, variant)} ${many}`;
    if (rest === 0n) return head;
    return `${head}${joinsWithE(rest) ? ' e ' : ' '}${ptCardinalInteger(rest, variant)}`;
  }
  return localize(ptPT.toCardinal(n), variant);
}

function digitByDigit(digits: string, lang: 'en' | 'pt', variant: PtVariant): string {
  return [...digits].map((d) => cardinalWords(d, lang, variant)).join(' ');
}

/**
 * Cardinal number in words.
 * @param value canonical numeral: optional `-`, ASCII digits, optional `.` and
 *   fraction digits (separators already removed), e.g. `"1250"`, `"3.5"`, `"-2"`.
 * @param lang `en` (American English) or `pt`.
 * @param variant Portuguese variant, ignored for `en`.
 * @returns e.g. `"one thousand two hundred fifty"`, `"três vírgula cinco"`.
 * @throws Error from n2words when `value` is not a numeral.
 */
export function cardinalWords(value: string, lang: 'en' | 'pt', variant: PtVariant = 'br'): string {
  const negative = value.startsWith('-');
  const body = negative ? value.slice(1) : value;
  const [int = '0', frac] = body.split('.');
  let words: string;
  if (int.replace(/^0+(?=\d)/, '').length > MAX_SPOKEN_INTEGER_DIGITS) {
    words = digitByDigit(int, lang, variant);
    if (frac !== undefined) words += lang === 'en' ? ' point ' : ' vírgula ';
    if (frac !== undefined) words += digitByDigit(frac, lang, variant);
  } else if (lang === 'en') {
    // English reads fractions digit by digit: 3.14 is "three point one four", not "point fourteen".
    words = enUS.toCardinal(int);
    if (frac !== undefined) words += ` point ${digitByDigit(frac, lang, variant)}`;
  } else if (frac !== undefined && frac.length > 3) {
    // Portuguese reads short fractions as a number ("três vírgula catorze") and long ones digit by digit.
    words = `${cardinalWords(int, lang, variant)} vírgula ${digitByDigit(frac, lang, variant)}`;
  } else {
    words = ptCardinalInteger(BigInt(int), variant);
    if (frac !== undefined) words += ` vírgula ${localize(ptPT.toCardinal(`0.${frac}`), variant).replace(/^zero vírgula /, '')}`;
  }
  if (!negative) return words;
  return `${lang === 'en' ? 'minus' : 'menos'} ${words}`;
}

/**
 * Ordinal number in words ("twenty-third", "vigésimo terceiro").
 * @param value positive integer numeral, e.g. `"23"`.
 * @param feminine Portuguese feminine form (`2ª` → "segunda"); ignored for `en`.
 * @throws RangeError from n2words when `value` is 0 or not an integer.
 */
export function ordinalWords(value: string, lang: 'en' | 'pt', variant: PtVariant = 'br', feminine = false): string {
  if (lang === 'en') return enUS.toOrdinal(value);
  const words = ptPT.toOrdinal(value);
  const local = localize(words, variant);
  // Every Portuguese ordinal word ends in -o in the masculine and -a in the feminine.
  return feminine ? local.replace(/o\b/g, 'a') : local;
}

/**
 * Portuguese cardinal agreeing with a feminine noun: um → uma, dois → duas and
 * the hundreds duzentos…novecentos → -as, in every group that counts the noun
 * ("duas mil e duzentas moedas", "vinte e uma mil pessoas"). Scale nouns
 * (milhão, bilhão, bilião…) are masculine, so the words counting them keep
 * their form ("duzentos e dois milhões de moedas", "dois mil milhões") while
 * a lower group still agrees ("dois milhões e duzentas mil moedas").
 * Source: Cunha & Cintra, *Nova Gramática do Português Contemporâneo*, chapter
 * "Numerais" (gender of cardinals; milhar/milhão/bilhão are masculine nouns).
 * @param words masculine cardinal as `cardinalWords` returns it for `pt`.
 * @example feminineCardinalPt('dois milhões e duzentos mil') === 'dois milhões e duzentas mil'
 */
export function feminineCardinalPt(words: string): string {
  const parts = words.split(' ');
  // Right to left: everything left of a scale noun counts that (masculine) noun.
  let feminine = true;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = parts[i] ?? '';
    if (/^(?:milh|bilh|bili|trilh|trili)/.test(w)) feminine = false;
    if (!feminine) continue;
    parts[i] = w === 'um' ? 'uma' : w === 'dois' ? 'duas' : w.replace(/entos$/, 'entas');
  }
  return parts.join(' ');
}

/**
 * Money amount in words via n2words' currency forms where they exist
 * (en-US dollars, en-GB pounds) and composed from cardinals otherwise (every
 * Portuguese amount, so it gets this module's "e" rule; cêntimos in pt-PT).
 * @param value canonical numeral, e.g. `"1250"`, `"5.00"`.
 * @param currency ISO 4217 code.
 */
export function moneyWords(value: string, currency: 'USD' | 'GBP' | 'EUR' | 'BRL', lang: 'en' | 'pt', variant: PtVariant = 'br'): string {
  if (lang === 'en' && currency === 'USD') return enUS.toCurrency(value);
  if (lang === 'en' && currency === 'GBP') return enGB.toCurrency(value);
  const [int = '0', fracRaw] = value.split('.');
  const cents = fracRaw === undefined ? 0 : Number(`${fracRaw}00`.slice(0, 2));
  const units = BigInt(int);
  const names: Record<typeof currency, { en: [string, string, string, string]; pt: [string, string, string, string] }> = {
    USD: { en: ['dollar', 'dollars', 'cent', 'cents'], pt: ['dólar', 'dólares', 'centavo', 'centavos'] },
    GBP: { en: ['pound', 'pounds', 'penny', 'pence'], pt: ['libra', 'libras', 'pêni', 'pence'] },
    EUR: { en: ['euro', 'euros', 'cent', 'cents'], pt: variant === 'pt' ? ['euro', 'euros', 'cêntimo', 'cêntimos'] : ['euro', 'euros', 'centavo', 'centavos'] },
    BRL: { en: ['real', 'reais', 'centavo', 'centavos'], pt: ['real', 'reais', 'centavo', 'centavos'] },
  };
  const [one, many, centOne, centMany] = names[currency][lang];
  let unitWords = cardinalWords(int, lang, variant);
  if (lang === 'pt' && currency === 'GBP') unitWords = feminineCardinalPt(unitWords);
  const parts: string[] = [];
  if (units > 0n || cents === 0) parts.push(`${unitWords} ${units === 1n ? one : many}`);
  if (cents > 0) parts.push(`${cardinalWords(String(cents), lang, variant)} ${cents === 1 ? centOne : centMany}`);
  return parts.join(lang === 'en' ? ' and ' : ' e ');
}

/** `"1,250.50"` → `"1250.50"`. */
export function canonicalEn(numeral: string): string {
  return numeral.replace(/,/g, '');
}

/** `"1.250,50"` → `"1250.50"`, `"3,5"` → `"3.5"`, `"3.5"` → `"3.5"`. */
export function canonicalPt(numeral: string): string {
  if (/^\d{1,3}(?:\.\d{3})+(?:,\d+)?$/.test(numeral)) return numeral.replace(/\./g, '').replace(',', '.');
  return numeral.replace(',', '.');
}
