import { canonicalEn, canonicalPt, cardinalWords, moneyWords, ordinalWords } from './number-words.ts';
import { abbreviation, padWords } from './speech-rules.ts';

/**
 * English speech normalization rules (numbers, money, dice, RPG and title
 * abbreviations). Input must already be cleaned (speech-rules.ts `cleanText`).
 * Order matters: multi-part patterns (dice, money, ordinals) are spelled before
 * the bare-number rule would split them.
 */

/** English numeral: `1,250`, `1,250.5`, `3.5`, `42` (commas only as thousands groups). */
const NUM = String.raw`\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?`;
/** Euro amount: an English numeral or one with a 1–2 digit decimal comma (`3,50`). */
const EURO_NUM = String.raw`\d+,\d{1,2}(?!\d)|${NUM}`;
/** Portuguese numeral, used for R$ amounts whatever the text's language. */
const NUM_PT = String.raw`\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d+(?:[.,]\d+)?`;

/** Regexes built from the numeral patterns above, compiled once. */
const BRL_AMOUNT = new RegExp(String.raw`R\$\s?(${NUM_PT})`, 'gu');
const USD_AMOUNT = new RegExp(String.raw`(?:US)?\$\s?(${NUM})`, 'gu');
const GBP_AMOUNT = new RegExp(String.raw`£\s?(${NUM})`, 'gu');
const EUR_AMOUNT = new RegExp(String.raw`€\s?(${EURO_NUM})|(?<!\p{N})(${EURO_NUM})\s?€`, 'gu');
const COIN_AMOUNT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?(gp|sp|cp|pp|ep)(?![\p{L}\p{N}])`, 'giu');
const PERCENT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?%`, 'gu');
const UNIT_AMOUNT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?(ft|lbs?)(?![\p{L}\p{N}])(\.?)`, 'gu');
const NUMERAL = new RegExp(String.raw`(?<!\p{N})(${NUM})`, 'gu');

const card = (numeral: string): string => cardinalWords(canonicalEn(numeral), 'en');

const TITLES: Record<string, string> = {
  Mr: 'Mister', Mrs: 'Missus', Ms: 'Miz', Dr: 'Doctor', Prof: 'Professor', Capt: 'Captain', Sgt: 'Sergeant', Lt: 'Lieutenant',
};

const COINS: Record<string, string> = { gp: 'gold', sp: 'silver', cp: 'copper', pp: 'platinum', ep: 'electrum' };

const DICE = /(?<![\p{L}\p{N}_])(\d*)[dD](\d+|%)((?:\s?[+\-−–×*]\s?(?:\d*[dD](?:\d+|%)|\d+))*)(?![\p{L}\p{N}_])/gu;
const DICE_TERM = /\s?([+\-−–×*])\s?(?:(\d*)[dD](\d+|%)|(\d+))/gu;

/** "2d8" → "two d eight"; "d%" → "d percent". */
function dieWords(count: string, sides: string): string {
  const sidesWords = sides === '%' ? 'percent' : card(sides);
  return `${count ? `${card(count)} ` : ''}d ${sidesWords}`;
}

function operatorWord(op: string): string {
  if (op === '+') return 'plus';
  if (op === '×' || op === '*') return 'times';
  return 'minus';
}

/** Dice notation: `2d8+4` → "two d eight plus four", `1d6-1`, `d20`, `2d6+1d4`. */
export function spellDiceEn(text: string): string {
  return text.replace(DICE, (m: string, count: string, sides: string, tail: string, offset: number, all: string) => {
    let words = dieWords(count, sides);
    for (const t of tail.matchAll(DICE_TERM)) {
      const [, op = '+', tCount = '', tSides, constant] = t;
      words += ` ${operatorWord(op)} ${tSides === undefined ? card(constant ?? '0') : dieWords(tCount, tSides)}`;
    }
    return padWords(words, all, offset, m.length);
  });
}

function titlesAndLatin(text: string): string {
  return text
    .replace(/(?<![\p{L}\p{N}])(Mr|Mrs|Ms|Dr|Prof|Capt|Sgt|Lt)\.(?= |$)/gu, (_m, t: string) => TITLES[t] ?? t)
    .replace(/(?<![\p{L}\p{N}])(Mr|Mrs|Ms|Dr)(?= \p{Lu})/gu, (_m, t: string) => TITLES[t] ?? t)
    // "Baker St." is a street; "St. Cuthbert" a saint.
    .replace(/(?<=\p{Lu}\p{Ll}+ )St\.(?= |$)/gu, (m, o: number, s: string) => abbreviation('Street', s, o, m.length, true))
    .replace(/(?<![\p{L}\p{N}])St\.(?= \p{Lu})/gu, 'Saint')
    .replace(/(?<=\p{L},? )(Jr|Sr)\.(?= |$)/gu, (m, t: string, o: number, s: string) =>
      abbreviation(t === 'Jr' ? 'Junior' : 'Senior', s, o, m.length, true))
    .replace(/(?<![\p{L}\p{N}])e\.g\.(?=[ ,]|$)/giu, 'for example')
    .replace(/(?<![\p{L}\p{N}])i\.e\.(?=[ ,]|$)/giu, 'that is')
    .replace(/(?<![\p{L}\p{N}])vs\.?(?= |$)/giu, 'versus')
    .replace(/(?<![\p{L}\p{N}])approx\.(?= |$)/giu, 'approximately')
    .replace(/(?<![\p{L}\p{N}])etc\.(?= |$|,)/giu, (m, o: number, s: string) => abbreviation('et cetera', s, o, m.length, true))
    .replace(/(?<![\p{L}\p{N}])No\.(?= ?\d)/gu, 'number ');
}

function money(text: string): string {
  return text
    .replace(BRL_AMOUNT, (_m, n: string) => moneyWords(canonicalPt(n), 'BRL', 'en'))
    .replace(USD_AMOUNT, (_m, n: string) => moneyWords(canonicalEn(n), 'USD', 'en'))
    .replace(GBP_AMOUNT, (_m, n: string) => moneyWords(canonicalEn(n), 'GBP', 'en'))
    // Euro amounts often keep the continental decimal comma ("3,50 €"); two digits after a comma cannot be a thousands group.
    .replace(EUR_AMOUNT, (_m, a?: string, b?: string) =>
      moneyWords(canonicalEn((a ?? b ?? '0').replace(/,(\d{1,2})$/, '.$1')), 'EUR', 'en'))
    .replace(COIN_AMOUNT, (_m, n: string, coin: string) =>
      `${card(n)} ${COINS[coin.toLowerCase()]} ${canonicalEn(n) === '1' ? 'piece' : 'pieces'}`);
}

function ordinalEn(n: string): string {
  const value = canonicalEn(n);
  return /^0+$/.test(value) ? 'zeroth' : ordinalWords(value, 'en');
}

function numbers(text: string): string {
  return text
    .replace(PERCENT, (_m, n: string) => `${card(n)} percent`)
    .replace(/(?<![\p{N}.,])(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b/giu, (_m, n: string) => ordinalEn(n))
    .replace(UNIT_AMOUNT,
      (m: string, n: string, unit: string, dot: string, o: number, s: string) => {
        const one = canonicalEn(n) === '1';
        const word = unit === 'ft' ? (one ? 'foot' : 'feet') : one ? 'pound' : 'pounds';
        return abbreviation(`${card(n)} ${word}`, s, o, m.length, dot === '.');
      })
    // Ranges "1-4", "10–20" read "one to four"; only short numbers, so dates and ids are left alone.
    .replace(/(?<![\p{N}.,\-–])(\d{1,3}) ?[–—] ?(\d{1,3})(?![\p{N}\-–])|(?<![\p{N}.,\-–])(\d{1,3})-(\d{1,3})(?![\p{N}\-–])/gu,
      (_m, a?: string, b?: string, c?: string, d?: string) => `${card(a ?? c ?? '0')} to ${card(b ?? d ?? '0')}`)
    .replace(/(?<![\p{L}\p{N}])\+ ?(?=\d)/gu, 'plus ')
    .replace(/(?<![\p{L}\p{N}])[-−](?=\d)/gu, 'minus ')
    .replace(NUMERAL, (m: string, n: string, o: number, s: string) =>
      padWords(card(n), s, o, m.length));
}

function rpgAbbreviations(text: string): string {
  return text
    .replace(/(?<![\p{L}\p{N}])(?:HP|hp)(?![\p{L}\p{N}])/gu, 'hit points')
    .replace(/(?<![\p{L}\p{N}])AC(?![\p{L}\p{N}])/gu, 'armor class')
    .replace(/(?<![\p{L}\p{N}])DC(?![\p{L}\p{N}])/gu, 'difficulty class')
    .replace(/(?<![\p{L}\p{N}])(?:XP|xp)(?![\p{L}\p{N}])/gu, 'experience points')
    .replace(/(?<![\p{L}\p{N}])(gp|sp|cp|GP|SP|CP)(?![\p{L}\p{N}])/gu, (_m, c: string) => `${COINS[c.toLowerCase()]} pieces`)
    .replace(/(?<![\p{L}\p{N}])one (hit|experience) points/gu, 'one $1 point')
    .replace(/ ?& ?/g, ' and ');
}

/**
 * English rules, applied to cleaned text.
 * @example normalizeEn('Dr. Vex rolls 2d8+4 and pays $1,250.') ===
 *   'Doctor Vex rolls two d eight plus four and pays one thousand two hundred fifty dollars.'
 */
export function normalizeEn(text: string): string {
  let out = titlesAndLatin(text);
  out = spellDiceEn(out);
  out = money(out);
  out = numbers(out);
  return rpgAbbreviations(out);
}
