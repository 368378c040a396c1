import {
  canonicalEn, canonicalPt, cardinalWords, feminineCardinalPt, moneyWords, ordinalWords, type PtVariant,
} from './number-words.ts';
import { abbreviation, padWords } from './speech-rules.ts';

/**
 * Portuguese speech normalization rules (numbers, money, dice, RPG and title
 * abbreviations). Input must already be cleaned (speech-rules.ts `cleanText`).
 * Numerals follow Portuguese conventions: `.` groups thousands, `,` is the
 * decimal mark (`R$ 1.234,56`); a dot followed by other than three digits is
 * read as a decimal too (`3.5`).
 */

const NUM = String.raw`\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d+(?:[.,]\d+)?`;
/** English-style numeral after `US$`/`$`, which texts copy from English sources. */
const NUM_EN = String.raw`\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?`;

const TITLES: Record<string, string> = {
  Sr: 'Senhor', Sra: 'Senhora', Srta: 'Senhorita', Dr: 'Doutor', Dra: 'Doutora',
  Prof: 'Professor', Profa: 'Professora', Sto: 'Santo', Sta: 'Santa',
};

/**
 * Coin abbreviations: the Portuguese D&D 5e ones (PO, PP = prata, PC, PE, PL)
 * and the English ones that Portuguese tables also use (gp, sp, cp, ep).
 */
const COINS: Record<string, string> = {
  po: 'ouro', pp: 'prata', pc: 'cobre', pe: 'electro', pl: 'platina',
  gp: 'ouro', sp: 'prata', cp: 'cobre', ep: 'electro',
};

const DICE = /(?<![\p{L}\p{N}_])(\d*)[dD](\d+|%)((?:\s?[+\-−–×*]\s?(?:\d*[dD](?:\d+|%)|\d+))*)(?![\p{L}\p{N}_])/gu;
const DICE_TERM = /\s?([+\-−–×*])\s?(?:(\d*)[dD](\d+|%)|(\d+))/gu;

/** Regexes built from the numeral patterns above, compiled once. */
const BRL_AMOUNT = new RegExp(String.raw`R\$\s?(${NUM})`, 'gu');
const USD_AMOUNT = new RegExp(String.raw`(?:US)?\$\s?(?:(${NUM_EN})|(${NUM}))`, 'gu');
const GBP_AMOUNT = new RegExp(String.raw`£\s?(${NUM})`, 'gu');
const EUR_AMOUNT = new RegExp(String.raw`€\s?(${NUM})|(?<!\p{N})(${NUM})\s?€`, 'gu');
const COIN_AMOUNT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?(po|pp|pc|pe|pl|gp|sp|cp|ep)(?![\p{L}\p{N}])`, 'giu');
const PERCENT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?%`, 'gu');
const UNIT_AMOUNT = new RegExp(String.raw`(?<!\p{N})(${NUM})\s?(km|m|kg|ft)(?![\p{L}\p{N}])(\.?)`, 'gu');
const NUMERAL = new RegExp(String.raw`(?<!\p{N})(${NUM})`, 'gu');

/** Numeral words and their language-specific helpers, bound to one variant. */
function rules(variant: PtVariant) {
  const card = (n: string): string => cardinalWords(canonicalPt(n), 'pt', variant);
  const die = (count: string, sides: string): string =>
    `${count ? `${card(count)} ` : ''}d ${sides === '%' ? 'por cento' : card(sides)}`;
  const op = (o: string): string => (o === '+' ? 'mais' : o === '×' || o === '*' ? 'vezes' : 'menos');

  const dice = (text: string): string =>
    text.replace(DICE, (m: string, count: string, sides: string, tail: string, offset: number, all: string) => {
      let words = die(count, sides);
      for (const t of tail.matchAll(DICE_TERM)) {
        const [, o = '+', tCount = '', tSides, constant] = t;
        words += ` ${op(o)} ${tSides === undefined ? card(constant ?? '0') : die(tCount, tSides)}`;
      }
      return padWords(words, all, offset, m.length);
    });

  const titles = (text: string): string =>
    text
      .replace(/(?<![\p{L}\p{N}])(Srta|Sra|Sr|Dra|Dr|Profa|Prof|Sto|Sta)\.(?= |$)/gu, (_m, t: string) => TITLES[t] ?? t)
      .replace(/(?<![\p{L}\p{N}])p\. ?ex\.(?= |$|,)/giu, 'por exemplo')
      .replace(/(?<![\p{L}\p{N}])vs\.?(?= |$)/giu, 'versus')
      .replace(/(?<![\p{L}\p{N}])aprox\.(?= |$)/giu, 'aproximadamente')
      .replace(/(?<![\p{L}\p{N}])págs?\.(?= ?\d)/giu, 'página ')
      .replace(/(?<![\p{L}\p{N}])[nN]\.? ?º(?= ?\d)/gu, 'número ')
      .replace(/(?<![\p{L}\p{N}])etc\.(?= |$|,)/giu, (m, o: number, s: string) => abbreviation('etcétera', s, o, m.length, true));

  const money = (text: string): string =>
    text
      .replace(BRL_AMOUNT, (_m, n: string) => moneyWords(canonicalPt(n), 'BRL', 'pt', variant))
      .replace(USD_AMOUNT, (_m, e?: string, p?: string) =>
        moneyWords(e !== undefined ? canonicalEn(e) : canonicalPt(p ?? '0'), 'USD', 'pt', variant))
      .replace(GBP_AMOUNT, (_m, n: string) => moneyWords(canonicalPt(n), 'GBP', 'pt', variant))
      .replace(EUR_AMOUNT, (_m, a?: string, b?: string) =>
        moneyWords(canonicalPt(a ?? b ?? '0'), 'EUR', 'pt', variant))
      .replace(COIN_AMOUNT, (_m, n: string, coin: string) => {
        const one = canonicalPt(n) === '1';
        return `${feminineCardinalPt(card(n))} ${one ? 'peça' : 'peças'} de ${COINS[coin.toLowerCase()]}`;
      });

  const numbers = (text: string): string =>
    text
      .replace(PERCENT, (_m, n: string) => `${card(n)} por cento`)
      .replace(/(?<![\p{N}.,])(\d+)\.?([ºª])/gu, (_m, n: string, mark: string) =>
        /^0+$/.test(n) ? card(n) : ordinalWords(n, 'pt', variant, mark === 'ª'))
      .replace(UNIT_AMOUNT,
        (m: string, n: string, unit: string, dot: string, o: number, s: string) => {
          const one = canonicalPt(n) === '1';
          const names: Record<string, [string, string]> = {
            km: ['quilômetro', 'quilômetros'], m: ['metro', 'metros'], kg: ['quilo', 'quilos'], ft: ['pé', 'pés'],
          };
          let word = (names[unit] ?? ['', ''])[one ? 0 : 1];
          if (variant === 'pt') word = word.replace('ô', 'ó');
          return abbreviation(`${card(n)} ${word}`, s, o, m.length, dot === '.');
        })
      // Ranges "1-4", "10–20" read "um a quatro"; only short numbers, so dates and ids are left alone.
      .replace(/(?<![\p{N}.,\-–])(\d{1,3}) ?[–—] ?(\d{1,3})(?![\p{N}\-–])|(?<![\p{N}.,\-–])(\d{1,3})-(\d{1,3})(?![\p{N}\-–])/gu,
        (_m, a?: string, b?: string, c?: string, d?: string) => `${card(a ?? c ?? '0')} a ${card(b ?? d ?? '0')}`)
      .replace(/(?<![\p{L}\p{N}])\+ ?(?=\d)/gu, 'mais ')
      .replace(/(?<![\p{L}\p{N}])[-−](?=\d)/gu, 'menos ')
      .replace(NUMERAL, (m: string, n: string, o: number, s: string) =>
        padWords(card(n), s, o, m.length));

  const rpg = (text: string): string =>
    text
      .replace(/(?<![\p{L}\p{N}])(?:HP|hp|PV|PVs)(?![\p{L}\p{N}])/gu, 'pontos de vida')
      .replace(/(?<![\p{L}\p{N}])CA(?![\p{L}\p{N}])/gu, 'classe de armadura')
      .replace(/(?<![\p{L}\p{N}])CD(?![\p{L}\p{N}])/gu, 'classe de dificuldade')
      .replace(/(?<![\p{L}\p{N}])(?:XP|xp)(?![\p{L}\p{N}])/gu, 'pontos de experiência')
      .replace(/(?<![\p{L}\p{N}])um pontos de (vida|experiência)/gu, 'um ponto de $1')
      .replace(/ ?& ?/g, ' e ');

  return { dice, titles, money, numbers, rpg };
}

const RULES: Record<PtVariant, ReturnType<typeof rules>> = { br: rules('br'), pt: rules('pt') };

/**
 * Portuguese rules, applied to cleaned text.
 * @param variant `br` (Brazil, the default) or `pt` (Portugal) — spelling of
 *   numbers ("dezesseis"/"dezasseis") and scale of billions.
 * @example normalizePt('O Sr. Silva paga R$ 5,00 e rola 2d8+4.') ===
 *   'O Senhor Silva paga cinco reais e rola dois d oito mais quatro.'
 */
export function normalizePt(text: string, variant: PtVariant = 'br'): string {
  const r = RULES[variant];
  let out = r.titles(text);
  out = r.dice(out);
  out = r.money(out);
  out = r.numbers(out);
  return r.rpg(out);
}
