import { expect } from 'chai';
import type { XttsLanguage } from '../../../../plugins/tts-xtts/languages.ts';
import { cleanXttsText } from '../../../../plugins/tts-xtts/onnx/text-cleaners.ts';

/** [input, language, expected]; most taken from Coqui's own tests in TTS/tts/layers/xtts/tokenizer.py. */
type Case = [string, XttsLanguage, string];

function check(cases: Case[]): void {
  for (const [input, lang, expected] of cases) expect(cleanXttsText(input, lang), `${lang}: ${input}`).to.equal(expected);
}

describe('XTTS text cleaners (Coqui multilingual_cleaners)', () => {
  it('spells English numbers: cardinals, decimals, ordinals, thousands separators', () => {
    check([
      ['In 12.5 seconds.', 'en', 'in twelve point five seconds.'],
      ['There were 50 soldiers.', 'en', 'there were fifty soldiers.'],
      ['This is a 1st test', 'en', 'this is a first test'],
      ["That's 100,000.5.", 'en', "that's one hundred thousand point five."],
      ['1,000,000 people and 101 dalmatians', 'en', 'one million people and one hundred and one dalmatians'],
      ['the 23rd floor', 'en', 'the twenty-third floor'],
      ['pi is 3.14', 'en', 'pi is three point one four'],
    ]);
  });

  it('reads English money the way Coqui trims num2words currency (no zero cents)', () => {
    check([
      ['That will be $20 sir.', 'en', 'that will be twenty dollars sir.'],
      ['That will be 20€ sir.', 'en', 'that will be twenty euro sir.'],
      ['That will be 20.15€ sir.', 'en', 'that will be twenty euro, fifteen cents sir.'],
      ['£1 only', 'en', 'one pound only'],
    ]);
  });

  it('expands English abbreviations and symbols, drops double quotes, collapses whitespace', () => {
    check([
      ['Hello Mr. Smith.', 'en', 'hello mister smith.'],
      ['Mrs. and Drs. Jones of Ft. Knox', 'en', 'misess and doctors jones of fort knox'],
      ['I have 14% battery', 'en', 'i have fourteen percent battery'],
      ['Tom & Jerry @ home #1, 36°', 'en', 'tom and jerry at home hash one, thirty-six degree'],
      ['  "Quoted"\t\n  text  ', 'en', 'quoted text'],
    ]);
  });

  it('does not take a word ending in an abbreviation for the abbreviation (Unicode word boundary, as Python)', () => {
    // An ASCII \b would see a boundary between "ä" and "dr" and write "ädoctor".
    check([['Ask the kdr. and the Ädr. now', 'en', 'ask the kdr. and the ädr. now']]);
  });

  it('cleans Portuguese (pt-PT number words, as num2words)', () => {
    check([
      ['Em 12,5 segundos.', 'pt', 'em doze vírgula cinco segundos.'],
      ['Havia 50 soldados.', 'pt', 'havia cinquenta soldados.'],
      ['Este é um 1º teste', 'pt', 'este é um primeiro teste'],
      ['Isso custará $20 senhor.', 'pt', 'isso custará vinte dólares senhor.'],
      ['Isso custará 20,15€ senhor.', 'pt', 'isso custará vinte euros e quinze cêntimos senhor.'],
      ['Olá Sr. Silva, a Dra. Costa chegou.', 'pt', 'olá senhor silva, a doutora costa chegou.'],
      ['O meu email é ana&joao@gmail.com', 'pt', 'o meu email é ana e joao arroba gmail.com'],
      ['São 1.000 moedas', 'pt', 'são mil moedas'],
    ]);
  });

  it('cleans German, keeping the capitals num2words-style words carry (Komma, Euro)', () => {
    check([
      ['In 12,5 Sekunden.', 'de', 'in zwölf Komma fünf sekunden.'],
      ['Es gab 50 Soldaten.', 'de', 'es gab fünfzig soldaten.'],
      ['Dies ist ein 1. Test', 'de', 'dies ist ein erste test'],
      ['Das macht $20 Herr.', 'de', 'das macht zwanzig Dollar herr.'],
      ['Das macht 20,15€ Herr.', 'de', 'das macht zwanzig Euro und fünfzehn Cent herr.'],
      ['Frau Dr. Müller hat 14% & mehr', 'de', 'frau doktor müller hat vierzehn prozent und mehr'],
    ]);
  });

  it('cleans French', () => {
    check([
      ['En 12,5 secondes.', 'fr', 'en douze virgule cinq secondes.'],
      ['Ceci est un 1er test', 'fr', 'ceci est un premier test'],
      ['Cela vous fera 20€ monsieur.', 'fr', 'cela vous fera vingt euros monsieur.'],
      ['Cela vous fera 20,15€ monsieur.', 'fr', 'cela vous fera vingt euros et quinze centimes monsieur.'],
      ['Ce sera 100.000,5.', 'fr', 'ce sera cent mille virgule cinq.'],
      ["Mme. Moreau a 14° de fièvre", 'fr', 'madame moreau a quatorze degrés de fièvre'],
    ]);
  });

  it('cleans Spanish', () => {
    check([
      ['En 12,5 segundos.', 'es', 'en doce punto cinco segundos.'],
      ['Este es un 1er test', 'es', 'este es un primero test'],
      ['Eso le costará $1 señor.', 'es', 'eso le costará un dólar señor.'],
      ['Eso le costará 20,15€ señor.', 'es', 'eso le costará veinte euros con quince céntimos señor.'],
      ['La Dra. Martinez @ casa', 'es', 'la doctora martinez arroba casa'],
    ]);
  });

  it('uses the Slavic plural forms for currency (pl, cs, ru)', () => {
    check([
      ['To będzie kosztować 20,15€ panie.', 'pl', 'to będzie kosztować dwadzieścia euro, piętnaście centów panie.'],
      ['To bude 20.15€ pane.', 'cs', 'to bude dvacet euro, patnáct centů pane.'],
      ['Это будет $22', 'ru', 'это будет двадцать два доллара'],
    ]);
  });

  it('lowers Turkish dotted capitals by hand and skips decimals in Turkish, as Coqui does', () => {
    check([
      ['Bu 1. test İÖÜ', 'tr', 'bu birinci test iöü'],
      ['12,5 saniye', 'tr', 'on iki,beş saniye'],
    ]);
  });

  it('expands Russian abbreviations, which have no trailing period', () => {
    check([['Здравствуйте Г-н Иванов.', 'ru', 'здравствуйте господин иванов.']]);
  });

  it('keeps the symbol reading when a currency amount is not one number, as Coqui\'s try/except does', () => {
    check([['£5 or $1.2.3', 'en', 'five pounds or dollar one point two.three']]);
  });

  it('reads numbers too long for number words digit by digit', () => {
    check([['code 12345678901234567', 'en', 'code one two three four five six seven eight nine zero one two three four five six seven']]);
  });

  it('only lowercases and collapses whitespace for zh, ja and ko (no transliteration in JS)', () => {
    check([
      ['  你好  世界 ABC 12% ', 'zh', '你好 世界 abc 12%'],
      ['こんにちは  World', 'ja', 'こんにちは world'],
      ['안녕  HELLO 3', 'ko', '안녕 hello 3'],
    ]);
  });

  it('leaves already-clean text unchanged and is idempotent on its own output', () => {
    const clean: Case[] = [
      ['the thing is, they went there!', 'en', ''],
      ['a canção não é de ninguém.', 'pt', ''],
      ["c'est la vie, n'est-ce pas?", 'fr', ''],
      ['el niño está aquí', 'es', ''],
    ];
    for (const [text, lang] of clean) expect(cleanXttsText(text, lang)).to.equal(text);
    for (const [text, lang] of [
      ['Mr. Smith paid $20.15 for 3 apples & 1st prize!', 'en'],
      ['Sr. Silva pagou 20,15€ por 3 maçãs.', 'pt'],
      ['Mme. Moreau a payé 20,15€.', 'fr'],
    ] as [string, XttsLanguage][]) {
      const once = cleanXttsText(text, lang);
      expect(cleanXttsText(once, lang), `${lang}: ${text}`).to.equal(once);
    }
  });

  it('returns an empty string for blank input', () => {
    expect(cleanXttsText(' \n\t ', 'en')).to.equal('');
    expect(cleanXttsText('', 'zh')).to.equal('');
  });
});
