import * as enUS from 'n2words/en-US';
import * as enGB from 'n2words/en-GB';
import * as ptPT from 'n2words/pt-PT';

/**
 * Number-to-words for the speech normalizer, a thin layer over n2words 4
 * (`n2words/en-US`, `n2words/pt-PT`). n2words ships only European Portuguese,
 * so the Brazilian variant re-spells the three teens that differ and uses the
 * short scale (bilhão = 10^9) that Brazil uses instead of "mil milhões".
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

/** Short-scale names of 10^9, 10^12 (pt-BR), singular and plural. */
const BR_SCALES: ReadonlyArray<[bigint, string, string]> = [
  [10n ** 12n, 'trilhão', 'trilhões'],
  [10n ** 9n, 'bilhão', 'bilhões'],
];

function brCardinalInteger(n: bigint): string {
  for (const [scale, one, many] of BR_SCALES) {
    if (n < scale) continue;
    const top = n / scale;
    const rest = n % scale;
    const head = `${brCardinalInteger(top)} ${top === 1n ? one : many}`;
    if (rest === 0n) return head;
    // Portuguese joins the last group with "e" only when it is a round or small number.
    const joiner = rest < 100n || (rest < 1000n && rest % 100n === 0n) ? ' e ' : ' ';
    return head + joiner + brCardinalInteger(rest);
  }
  return toBrazilian(ptPT.toCardinal(n));
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
  } else if (variant === 'pt') {
    words = ptPT.toCardinal(body);
  } else {
    words = brCardinalInteger(BigInt(int));
    if (frac !== undefined) words += ` vírgula ${toBrazilian(ptPT.toCardinal(`0.${frac}`)).replace(/^zero vírgula /, '')}`;
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
  const local = variant === 'br' ? toBrazilian(words) : words;
  // Every Portuguese ordinal word ends in -o in the masculine and -a in the feminine.
  return feminine ? local.replace(/o\b/g, 'a') : local;
}

/**
 * Portuguese cardinal agreeing with a feminine noun ("duas peças", "duzentas
 * moedas"): um/dois and the hundreds change, scale nouns (milhão…) do not,
 * nor the words counting them ("dois milhões de peças").
 */
export function feminineCardinalPt(words: string): string {
  const parts = words.split(' ');
  return parts
    .map((w, i) => {
      const next = parts[i + 1] ?? '';
      if (/^(milh|bilh|trilh|bili|trili)/.test(next)) return w;
      if (w === 'um') return 'uma';
      if (w === 'dois') return 'duas';
      return w.replace(/entos$/, 'entas');
    })
    .join(' ');
}

/**
 * Money amount in words via n2words' currency forms where they exist
 * (en-US dollars, en-GB pounds, pt-PT euros) and composed from cardinals
 * otherwise (reais, euros in English).
 * @param value canonical numeral, e.g. `"1250"`, `"5.00"`.
 * @param currency ISO 4217 code.
 */
export function moneyWords(value: string, currency: 'USD' | 'GBP' | 'EUR' | 'BRL', lang: 'en' | 'pt', variant: PtVariant = 'br'): string {
  if (lang === 'en' && currency === 'USD') return enUS.toCurrency(value);
  if (lang === 'en' && currency === 'GBP') return enGB.toCurrency(value);
  if (lang === 'pt' && currency === 'EUR' && variant === 'pt') return ptPT.toCurrency(value);
  const [int = '0', fracRaw] = value.split('.');
  const cents = fracRaw === undefined ? 0 : Number(`${fracRaw}00`.slice(0, 2));
  const units = BigInt(int);
  const names: Record<typeof currency, { en: [string, string, string, string]; pt: [string, string, string, string] }> = {
    USD: { en: ['dollar', 'dollars', 'cent', 'cents'], pt: ['dólar', 'dólares', 'centavo', 'centavos'] },
    GBP: { en: ['pound', 'pounds', 'penny', 'pence'], pt: ['libra', 'libras', 'pêni', 'pence'] },
    EUR: { en: ['euro', 'euros', 'cent', 'cents'], pt: ['euro', 'euros', 'centavo', 'centavos'] },
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
