import {
  canonicalEn, canonicalPt, cardinalWords, feminineCardinalPt, moneyWords, ordinalWords, type PtVariant,
} from './number-words.ts';
import { abbreviation, padWords } from './speech-rules.ts';

/**
 * Portuguese speech normalization rules (numbers, money, dice, RPG and title
 * abbreviations). Input must already be cleaned (speech-rules.ts `cleanText`).
 * Numerals follow Portuguese conventions: `.` groups thousands, `,` is the
 * decimal mark (`R$ 1.234,56`); a dot followed by other than three digits is
 * read as a decimal too (`3.5`). Whole numbers agree in gender with a feminine
 * noun right after them ("1500 moedas" → "mil e quinhentas moedas").
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

/**
 * Feminine nouns common in RPG narration, singular and plural, lowercase; the
 * suffix rule in `feminineNoun` covers most other feminine plurals. Singular
 * nouns in -a are matched only through this list (see `feminineNoun`).
 */
const FEMININE_NOUNS = new Set((
  'moeda moedas peça peças prata pratas hora horas vez vezes pessoa pessoas arma armas flecha flechas '
  + 'criatura criaturas porta portas espada espadas légua léguas milha milhas libra libras carta cartas '
  + 'cabeça cabeças alma almas tocha tochas runa runas joia joias jóia jóias gema gemas pedra pedras '
  + 'rodada rodadas semana semanas noite noites chama chamas faca facas lança lanças vida vidas '
  + 'magia magias adaga adagas flor flores mão mãos chave chaves torre torres ponte pontes ave aves '
  + 'nave naves classe classes mulher mulheres luz luzes cruz cruzes voz vozes ordem ordens tribo tribos '
  + 'legião legiões manhã manhãs tarde tardes'
).split(' '));

/**
 * Masculine (or common-gender, read masculine) nouns that the suffix rule
 * would take for feminine — Greek -ma/-ta nouns, people in -a; nouns in -ista
 * are common-gender and read masculine too — and words in -as that are not nouns.
 */
const MASCULINE_EXCEPTIONS = new Set((
  'dias mapas problemas sistemas temas planetas poetas climas idiomas dramas programas guardas cometas '
  + 'piratas fantasmas poemas enigmas dilemas esquemas emblemas aromas gramas quilogramas miligramas '
  + 'diplomas pijamas profetas monarcas patriarcas druidas eremitas gorilas atlas coração corações '
  + 'mas apenas'
).split(' '));

/**
 * Whether a Portuguese noun is feminine, for number agreement; case-insensitive.
 * @param word the word after a number, e.g. "moedas", "Poção".
 * @param plural whether the number is other than one: plurals are checked by
 *   suffix too (-as, -ções, -sões, -dades, -gens: "flechas", "cidades"),
 *   singulars by the unambiguous suffixes only (-ção, -são, -dade, -gem:
 *   "poção", "viagem") plus `FEMININE_NOUNS`, because after "1" a word in -a
 *   is as often a verb or preposition ("o jogador 1 ataca", "de 1 a 6").
 * Source: the gender-by-ending tendencies in Cunha & Cintra, *Nova Gramática
 * do Português Contemporâneo*, chapter "Substantivo" (gender), with their exceptions.
 */
export function feminineNoun(word: string, plural: boolean): boolean {
  const w = word.toLowerCase();
  if (FEMININE_NOUNS.has(w)) return true;
  if (MASCULINE_EXCEPTIONS.has(w) || /istas?$/.test(w)) return false;
  return plural ? /\p{L}(?:as|ções|sões|dades|gens)$/u.test(w) : /\p{L}(?:ção|são|dade|gem)$/u.test(w);
}

/**
 * The noun a number counts: the next word, after one space, skipping a
 * written "mil" ("2 mil moedas"); `''` when punctuation or the end follows.
 */
function countedNoun(after: string): string {
  return /^ (?:mil (?=\p{L}))?(\p{L}+)/iu.exec(after)?.[1] ?? '';
}

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
  /** Whether numeral `n` counts a feminine noun, `after` being the text that follows it. */
  const countsFeminine = (n: string, after: string): boolean =>
    feminineNoun(countedNoun(after), !/^0*1$/.test(canonicalPt(n)));
  /** `card`, agreeing with a feminine noun; decimals stay as they are ("um vírgula cinco"). */
  const cardOf = (n: string, feminine: boolean): string =>
    feminine && !canonicalPt(n).includes('.') ? feminineCardinalPt(card(n)) : card(n);
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
        (m: string, a: string | undefined, b: string | undefined, c: string | undefined, d: string | undefined, o: number, s: string) => {
          const to = b ?? d ?? '0';
          const feminine = countsFeminine(to, s.slice(o + m.length));
          return `${cardOf(a ?? c ?? '0', feminine)} a ${cardOf(to, feminine)}`;
        })
      .replace(/(?<![\p{L}\p{N}])\+ ?(?=\d)/gu, 'mais ')
      .replace(/(?<![\p{L}\p{N}])[-−](?=\d)/gu, 'menos ')
      .replace(NUMERAL, (m: string, n: string, o: number, s: string) =>
        padWords(cardOf(n, countsFeminine(n, s.slice(o + m.length))), s, o, m.length));

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
