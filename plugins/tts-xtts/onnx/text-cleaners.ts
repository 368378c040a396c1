import * as ar from 'n2words/ar-SA';
import * as cs from 'n2words/cs-CZ';
import * as de from 'n2words/de-DE';
import * as en from 'n2words/en-GB';
import * as es from 'n2words/es-ES';
import * as fr from 'n2words/fr-FR';
import * as hu from 'n2words/hu-HU';
import * as it from 'n2words/it-IT';
import * as nl from 'n2words/nl-NL';
import * as pl from 'n2words/pl-PL';
import * as pt from 'n2words/pt-PT';
import * as ru from 'n2words/ru-RU';
import * as tr from 'n2words/tr-TR';
import { MAX_SPOKEN_INTEGER_DIGITS } from '../../../server/text/number-words.ts';
import type { XttsLanguage } from '../languages.ts';

/**
 * XTTS-v2 text cleaning, a port of Coqui TTS `multilingual_cleaners` and
 * `VoiceBpeTokenizer.preprocess_text` (TTS/tts/layers/xtts/tokenizer.py, v0.22). The model was
 * trained on text cleaned this way, so the rules (and their quirks) are kept as Coqui has them.
 * Number words come from n2words instead of Python's num2words, so wording can differ in detail
 * (e.g. num2words writes "one thousand, two hundred and fifty", n2words en-GB drops the comma).
 */

type Cleaned = Exclude<XttsLanguage, 'zh' | 'ja' | 'ko'>;
type NumberWords = { toCardinal(v: bigint): string; toOrdinal(v: bigint): string };

// en-GB: its "and" after hundreds matches num2words' English ("one hundred and one").
const WORDS: Record<Cleaned, NumberWords> = { ar, cs, de, en, es, fr, hu, it, nl, pl, pt, ru, tr };

/** num2words' `pointword` per language (its float reading: integer, point word, digits one by one). */
const POINT_WORD: Record<Cleaned, string> = {
  en: 'point', de: 'Komma', fr: 'virgule', es: 'punto', pt: 'vírgula', it: 'virgola', pl: 'przecinek',
  ru: 'запятая', nl: 'komma', cs: 'celá', ar: 'فاصلة', tr: 'virgül', hu: 'egész',
};

// Python's `\w` (str.isalnum() or "_") and `\s` (str.isspace()); JS's own classes are ASCII-only
// for \w and differ from Python's for \s.
const W = '[\\p{L}\\p{N}_]';
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
/** Python `\b` before a word character / after one. */
const B_START = `(?<!${W})`;
const B_END = `(?!${W})`;
const WHITESPACE_RUN = new RegExp(`${PY_SPACE}+`, 'gu');
const EDGE_SPACE = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');

/** Coqui `_abbreviations`: `\b<abbr>\.` (ru: `\b<abbr>\b`), case-insensitive, in this order. */
const ABBREVIATIONS: Record<Cleaned, ReadonlyArray<[string, string]>> = {
  en: [['mrs', 'misess'], ['mr', 'mister'], ['dr', 'doctor'], ['st', 'saint'], ['co', 'company'], ['jr', 'junior'],
    ['maj', 'major'], ['gen', 'general'], ['drs', 'doctors'], ['rev', 'reverend'], ['lt', 'lieutenant'],
    ['hon', 'honorable'], ['sgt', 'sergeant'], ['capt', 'captain'], ['esq', 'esquire'], ['ltd', 'limited'],
    ['col', 'colonel'], ['ft', 'fort']],
  es: [['sra', 'señora'], ['sr', 'señor'], ['dr', 'doctor'], ['dra', 'doctora'], ['st', 'santo'], ['co', 'compañía'],
    ['jr', 'junior'], ['ltd', 'limitada']],
  fr: [['mme', 'madame'], ['mr', 'monsieur'], ['dr', 'docteur'], ['st', 'saint'], ['co', 'compagnie'], ['jr', 'junior'],
    ['ltd', 'limitée']],
  de: [['fr', 'frau'], ['dr', 'doktor'], ['st', 'sankt'], ['co', 'firma'], ['jr', 'junior']],
  pt: [['sra', 'senhora'], ['sr', 'senhor'], ['dr', 'doutor'], ['dra', 'doutora'], ['st', 'santo'], ['co', 'companhia'],
    ['jr', 'júnior'], ['ltd', 'limitada']],
  it: [['sig', 'signore'], ['dr', 'dottore'], ['st', 'santo'], ['co', 'compagnia'], ['jr', 'junior'], ['ltd', 'limitata']],
  pl: [['p', 'pani'], ['m', 'pan'], ['dr', 'doktor'], ['sw', 'święty'], ['jr', 'junior']],
  ar: [],
  cs: [['dr', 'doktor'], ['ing', 'inženýr'], ['p', 'pan']],
  ru: [['г-жа', 'госпожа'], ['г-н', 'господин'], ['д-р', 'доктор']],
  nl: [['dhr', 'de heer'], ['mevr', 'mevrouw'], ['dr', 'dokter'], ['jhr', 'jonkheer']],
  tr: [['b', 'bay'], ['byk', 'büyük'], ['dr', 'doktor']],
  hu: [['dr', 'doktor'], ['b', 'bácsi'], ['nőv', 'nővér']],
};

/** Coqui `_symbols_multilingual`: words for & @ % # $ £ °, in that order. */
const SYMBOLS: Record<Cleaned, readonly [string, string, string, string, string, string, string]> = {
  en: ['and', 'at', 'percent', 'hash', 'dollar', 'pound', 'degree'],
  es: ['y', 'arroba', 'por ciento', 'numeral', 'dolar', 'libra', 'grados'],
  fr: ['et', 'arobase', 'pour cent', 'dièse', 'dollar', 'livre', 'degrés'],
  de: ['und', 'at', 'prozent', 'raute', 'dollar', 'pfund', 'grad'],
  pt: ['e', 'arroba', 'por cento', 'cardinal', 'dólar', 'libra', 'graus'],
  it: ['e', 'chiocciola', 'per cento', 'cancelletto', 'dollaro', 'sterlina', 'gradi'],
  pl: ['i', 'małpa', 'procent', 'krzyżyk', 'dolar', 'funt', 'stopnie'],
  ar: ['و', 'على', 'في المئة', 'رقم', 'دولار', 'جنيه', 'درجة'],
  cs: ['a', 'na', 'procento', 'křížek', 'dolar', 'libra', 'stupně'],
  ru: ['и', 'собака', 'процентов', 'номер', 'доллар', 'фунт', 'градус'],
  nl: ['en', 'bij', 'procent', 'hekje', 'dollar', 'pond', 'graden'],
  tr: ['ve', 'at', 'yüzde', 'diyez', 'dolar', 'sterlin', 'derece'],
  hu: ['és', 'kukac', 'százalék', 'kettőskereszt', 'dollár', 'font', 'fok'],
};
const SYMBOL_CHARS = ['&', '@', '%', '#', '$', '£', '°'] as const;

/** Coqui `_ordinal_re` suffixes (after `([0-9]+)`). */
const ORDINAL_RE: Record<Cleaned, RegExp> = {
  en: /([0-9]+)(st|nd|rd|th)/gu,
  es: /([0-9]+)(º|ª|er|o|a|os|as)/gu,
  fr: /([0-9]+)(º|ª|er|re|e|ème)/gu,
  de: new RegExp(`([0-9]+)(st|nd|rd|th|º|ª|\\.(?=${PY_SPACE}|$))`, 'gu'),
  pt: /([0-9]+)(º|ª|o|a|os|as)/gu,
  it: /([0-9]+)(º|°|ª|o|a|i|e)/gu,
  pl: /([0-9]+)(º|ª|st|nd|rd|th)/gu,
  ar: /([0-9]+)(ون|ين|ث|ر|ى)/gu,
  cs: new RegExp(`([0-9]+)\\.(?=${PY_SPACE}|$)`, 'gu'),
  ru: /([0-9]+)(-й|-я|-е|-ое|-ье|-го)/gu,
  nl: /([0-9]+)(de|ste|e)/gu,
  tr: /([0-9]+)(\.|inci|nci|uncu|üncü|\.)/gu,
  hu: /([0-9]+)(\.|adik|edik|odik|edik|ödik|ödike|ik)/gu,
};

// Coqui `_comma_number_re` / `_dot_number_re` (whose unescaped "." matches any character).
const COMMA_NUMBER = new RegExp(`${B_START}\\p{Nd}{1,3}(,\\p{Nd}{3})*(\\.\\p{Nd}+)?${B_END}`, 'gu');
const DOT_NUMBER = new RegExp(`${B_START}\\p{Nd}{1,3}(.\\p{Nd}{3})*(,\\p{Nd}+)?${B_END}`, 'gu');
const DECIMAL_NUMBER = /([0-9]+[.,][0-9]+)/gu;
const NUMBER = /[0-9]+/gu;
const CURRENCY_RE = {
  GBP: /((£[0-9.,]*[0-9]+)|([0-9.,]*[0-9]+£))/gu,
  USD: /((\$[0-9.,]*[0-9]+)|([0-9.,]*[0-9]+\$))/gu,
  EUR: /(([0-9.,]*[0-9]+€)|((€[0-9.,]*[0-9]+)))/gu,
};
type Currency = keyof typeof CURRENCY_RE;

/** Unit and cent names [one, few/many…] as num2words' CURRENCY_FORMS, and Coqui's `and_equivalents`. */
type Forms = readonly string[];
const CURRENCIES: Partial<Record<Cleaned, { and: string; names: Record<Currency, [Forms, Forms]> }>> = {
  en: { and: ', ', names: { USD: [['dollar', 'dollars'], ['cent', 'cents']], GBP: [['pound', 'pounds'], ['penny', 'pence']], EUR: [['euro', 'euro'], ['cent', 'cents']] } },
  es: { and: ' con ', names: { USD: [['dólar', 'dólares'], ['centavo', 'centavos']], GBP: [['libra', 'libras'], ['penique', 'peniques']], EUR: [['euro', 'euros'], ['céntimo', 'céntimos']] } },
  fr: { and: ' et ', names: { USD: [['dollar', 'dollars'], ['cent', 'cents']], GBP: [['livre', 'livres'], ['penny', 'pence']], EUR: [['euro', 'euros'], ['centime', 'centimes']] } },
  de: { and: ' und ', names: { USD: [['Dollar', 'Dollar'], ['Cent', 'Cent']], GBP: [['Pfund', 'Pfund'], ['Penny', 'Pence']], EUR: [['Euro', 'Euro'], ['Cent', 'Cent']] } },
  pt: { and: ' e ', names: { USD: [['dólar', 'dólares'], ['cêntimo', 'cêntimos']], GBP: [['libra', 'libras'], ['péni', 'pence']], EUR: [['euro', 'euros'], ['cêntimo', 'cêntimos']] } },
  it: { and: ' e ', names: { USD: [['dollaro', 'dollari'], ['centesimo', 'centesimi']], GBP: [['sterlina', 'sterline'], ['penny', 'penny']], EUR: [['euro', 'euro'], ['centesimo', 'centesimi']] } },
  pl: { and: ', ', names: { USD: [['dolar', 'dolary', 'dolarów'], ['cent', 'centy', 'centów']], GBP: [['funt', 'funty', 'funtów'], ['pens', 'pensy', 'pensów']], EUR: [['euro', 'euro', 'euro'], ['cent', 'centy', 'centów']] } },
  cs: { and: ', ', names: { USD: [['dolar', 'dolary', 'dolarů'], ['cent', 'centy', 'centů']], GBP: [['libra', 'libry', 'liber'], ['penny', 'pence', 'pencí']], EUR: [['euro', 'euro', 'euro'], ['cent', 'centy', 'centů']] } },
  ru: { and: ', ', names: { USD: [['доллар', 'доллара', 'долларов'], ['цент', 'цента', 'центов']], GBP: [['фунт', 'фунта', 'фунтов'], ['пенс', 'пенса', 'пенсов']], EUR: [['евро', 'евро', 'евро'], ['цент', 'цента', 'центов']] } },
  nl: { and: ', ', names: { USD: [['dollar', 'dollar'], ['cent', 'cent']], GBP: [['pond', 'pond'], ['penny', 'pence']], EUR: [['euro', 'euro'], ['cent', 'cent']] } },
};

function cardinal(digits: string, lang: Cleaned): string {
  const n = BigInt(digits);
  // n2words runs out of scale names past ~10^15 in several languages ("zehn undefined"): read digits.
  if (String(n).length > MAX_SPOKEN_INTEGER_DIGITS) return [...digits].map((d) => WORDS[lang].toCardinal(BigInt(d))).join(' ');
  return WORDS[lang].toCardinal(n);
}

function ordinal(digits: string, lang: Cleaned): string {
  const n = BigInt(digits);
  if (n === 0n || String(n).length > MAX_SPOKEN_INTEGER_DIGITS) return cardinal(digits, lang);
  return WORDS[lang].toOrdinal(n);
}

/** num2words float reading: trailing zeros dropped (Python float), then digit by digit. */
function decimal(amount: string, lang: Cleaned): string {
  const [int = '0', rawFrac = ''] = amount.replace(',', '.').split('.');
  const frac = rawFrac.replace(/0+$/, '');
  if (frac === '') return cardinal(int, lang);
  return [cardinal(int, lang), POINT_WORD[lang], ...[...frac].map((d) => cardinal(d, lang))].join(' ');
}

function plural(n: bigint, forms: Forms, lang: Cleaned): string {
  if (forms.length === 3) {
    const d = n % 10n;
    const h = n % 100n;
    if (lang === 'cs') return forms[n === 1n ? 0 : n >= 2n && n <= 4n ? 1 : 2]!;
    if (n === 1n || (lang === 'ru' && d === 1n && h !== 11n)) return forms[0]!;
    return forms[d >= 2n && d <= 4n && (h < 12n || h > 14n) ? 1 : 2]!;
  }
  return forms[n === 1n || (lang === 'fr' && n === 0n) ? 0 : 1]!;
}

/** Cardinal before a noun: "ein Euro", "un dólar". */
function countWords(n: bigint, lang: Cleaned): string {
  const words = cardinal(String(n), lang);
  if (lang === 'de') return words.replace(/eins$/u, 'ein');
  if (lang === 'es' || lang === 'it') return words.replace(/uno$/u, 'un');
  return words;
}

/**
 * Coqui `_expand_currency`: digits of the match (comma read as a point), rounded to cents;
 * "<units> <name>" and, unless the amount is whole, "<and><cents> <cent name>".
 * @throws Error when the digits do not form one number (Python's float() ValueError)
 */
function currencyWords(match: string, lang: Cleaned, currency: Currency): string {
  const table = CURRENCIES[lang]!;
  const amount = match.replace(/,/g, '.').replace(/[^0-9.]/g, '');
  if (!/^(\d+\.?\d*|\.\d+)$/.test(amount)) throw new Error(`currency amount "${match}" is not a number`);
  const [int = '', frac = ''] = amount.split('.');
  let units = BigInt(int === '' ? '0' : int);
  let cents = Math.round(Number(`0.${frac || '0'}`) * 100);
  if (cents === 100) { units += 1n; cents = 0; }
  const [unitForms, centForms] = table.names[currency];
  const head = `${countWords(units, lang)} ${plural(units, unitForms, lang)}`;
  if (/^0*$/.test(frac)) return head;
  const c = BigInt(cents);
  return `${head}${table.and}${countWords(c, lang)} ${plural(c, centForms, lang)}`;
}

/** Coqui `expand_numbers_multilingual` for one non-CJK language. */
function expandNumbers(input: string, lang: Cleaned): string {
  const dropAll = (ch: string) => (m: string) => m.split(ch).join('');
  let text = lang === 'en' || lang === 'ru' ? input.replace(COMMA_NUMBER, dropAll(',')) : input.replace(DOT_NUMBER, dropAll('.'));
  if (CURRENCIES[lang] !== undefined) {
    // Coqui wraps the three substitutions in one try/except: a bad amount stops that substitution
    // and the later ones, earlier ones stay.
    try {
      for (const c of ['GBP', 'USD', 'EUR'] as const) text = text.replace(CURRENCY_RE[c], (m) => currencyWords(m, lang, c));
    } catch { /* the symbol table names the sign */ }
  }
  if (lang !== 'tr') text = text.replace(DECIMAL_NUMBER, (m) => decimal(m, lang));
  text = text.replace(ORDINAL_RE[lang], (_m, digits: string) => ordinal(digits, lang));
  return text.replace(NUMBER, (m) => cardinal(m, lang));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const abbreviationCache = new Map<Cleaned, ReadonlyArray<[RegExp, string]>>();

function abbreviationRes(lang: Cleaned): ReadonlyArray<[RegExp, string]> {
  let res = abbreviationCache.get(lang);
  if (res === undefined) {
    res = ABBREVIATIONS[lang].map(([abbr, words]): [RegExp, string] => [
      new RegExp(`${B_START}${escapeRegExp(abbr)}${lang === 'ru' ? B_END : '\\.'}`, 'giu'),
      words,
    ]);
    abbreviationCache.set(lang, res);
  }
  return res;
}

function pyStrip(text: string): string {
  return text.replace(EDGE_SPACE, '');
}

/** Coqui `multilingual_cleaners`. */
function multilingualCleaners(input: string, lang: Cleaned): string {
  let text = input.replaceAll('"', '');
  if (lang === 'tr') text = text.replaceAll('İ', 'i').replaceAll('Ö', 'ö').replaceAll('Ü', 'ü');
  text = expandNumbers(text.toLowerCase(), lang);
  for (const [re, words] of abbreviationRes(lang)) text = text.replace(re, words);
  SYMBOL_CHARS.forEach((sym, i) => {
    text = text.replaceAll(sym, ` ${SYMBOLS[lang][i]} `).replaceAll('  ', ' ');
  });
  return pyStrip(text).replace(WHITESPACE_RUN, ' ');
}

/**
 * Cleans text the way XTTS-v2 was trained on: Coqui `Xtts.inference_stream` (`strip()`, `lower()`)
 * then `VoiceBpeTokenizer.preprocess_text` → `multilingual_cleaners` (TTS/tts/layers/xtts/tokenizer.py):
 * `"` removed; Turkish İ/Ö/Ü lowered by hand; lowercase; numbers in words in the language (thousands
 * separators dropped — `,` in en/ru, `.` elsewhere —, £/$/€ amounts, decimals except tr, ordinals
 * such as 1st/1º/1er/1., then cardinals); Coqui's per-language abbreviation table (Mr. → mister);
 * its symbol table (& @ % # $ £ ° → words, so "14%" → "fourteen percent"); whitespace runs → one space.
 * Number words come from n2words (num2words in Coqui): en uses en-GB ("one hundred and one"),
 * pt uses pt-PT (as num2words does); numbers over 15 digits are read digit by digit.
 * Currency words exist for en es fr de pt it pl cs ru nl; in ar/tr/hu (where num2words has none)
 * the sign is read by the symbol table, as in Coqui.
 *
 * zh, ja, ko: Coqui transliterates (pypinyin, cutlet, hangul-romanize), which has no JavaScript
 * equivalent here; these get only strip + lowercase + whitespace collapsing, so the model sees
 * the native script.
 * @param text raw text, any length (callers keep to XTTS_CHAR_LIMITS).
 * @returns the cleaned text, no leading/trailing whitespace; `''` for blank input. Never throws.
 */
export function cleanXttsText(text: string, language: XttsLanguage): string {
  const stripped = pyStrip(text);
  if (language === 'zh' || language === 'ja' || language === 'ko') return stripped.toLowerCase().replace(WHITESPACE_RUN, ' ');
  // Coqui's inference lowercases before the cleaners, which would turn İ into i + U+0307 before the
  // Turkish fix; training data went through the cleaners alone, so the fix runs first here.
  return multilingualCleaners(stripped, language);
}
