import { expect } from 'chai';
import { normalizeForSpeech } from '../../../server/text/normalize.ts';

/** [input, expected] pairs; each line is one rule of the normalizer. */
function expectAll(language: string, cases: ReadonlyArray<[string, string]>): void {
  for (const [input, spoken] of cases) expect(normalizeForSpeech(input, language), input).to.equal(spoken);
}

describe('normalizeForSpeech', () => {
  describe('en', () => {
    it('reads dice notation', () => {
      expectAll('en', [
        ['Take 2d8+4 damage.', 'Take two d eight plus four damage.'],
        ['Roll a d20', 'Roll a d twenty'],
        ['1d6-1', 'one d six minus one'],
        ['2d6 + 1d4', 'two d six plus one d four'],
        ['3D6', 'three d six'],
      ]);
    });

    it('reads cardinals with thousands separators and decimals, signs and ranges', () => {
      expectAll('en', [
        ['1,250 arrows', 'one thousand two hundred fifty arrows'],
        ['1,000,000', 'one million'],
        ['3.5 miles', 'three point five miles'],
        ['3.14', 'three point one four'],
        ['level5', 'level five'],
        ['-5 to hit', 'minus five to hit'],
        ['a +2 sword', 'a plus two sword'],
        ['1-4 goblins', 'one to four goblins'],
      ]);
    });

    it('reads ordinals and percentages', () => {
      expectAll('en', [
        ['the 3rd door', 'the third door'],
        ['1st, 2nd, 11th, 23rd, 101st', 'first, second, eleventh, twenty-third, one hundred first'],
        ['50% chance', 'fifty percent chance'],
        ['12.5%', 'twelve point five percent'],
      ]);
    });

    it('reads money in dollars, euros, pounds, reais and coins', () => {
      expectAll('en', [
        ['$1,250', 'one thousand two hundred fifty dollars'],
        ['$5', 'five dollars'],
        ['$1', 'one dollar'],
        ['$0.99', 'ninety-nine cents'],
        ['$1.50', 'one dollar and fifty cents'],
        ['€3', 'three euros'],
        ['3,50 €', 'three euros and fifty cents'],
        ['£3.20', 'three pounds and twenty pence'],
        ['R$ 5,00', 'five reais'],
        ['10 gp', 'ten gold pieces'],
        ['1 gp', 'one gold piece'],
        ['3 sp and 5 cp', 'three silver pieces and five copper pieces'],
      ]);
    });

    it('expands RPG abbreviations', () => {
      expectAll('en', [
        ['HP', 'hit points'],
        ['23 HP left', 'twenty-three hit points left'],
        ['1 HP', 'one hit point'],
        ['AC 17', 'armor class seventeen'],
        ['a DC 15 check', 'a difficulty class fifteen check'],
        ['300 XP', 'three hundred experience points'],
        ['gp', 'gold pieces'],
        ['D&D', 'D and D'],
      ]);
    });

    it('expands titles and Latin abbreviations, keeping a period that ends a sentence', () => {
      expectAll('en', [
        ['Dr. Vex', 'Doctor Vex'],
        ['Mr. Smith and Mrs. Poe met Ms. Lee', 'Mister Smith and Missus Poe met Miz Lee'],
        ['St. Cuthbert', 'Saint Cuthbert'],
        ['Baker St. Then', 'Baker Street. Then'],
        ['swords, shields, etc. The end', 'swords, shields, et cetera. The end'],
        ['e.g. rope', 'for example rope'],
        ['30 ft. away', 'thirty feet away'],
      ]);
    });
  });

  describe('pt', () => {
    it('reads dice notation', () => {
      expectAll('pt', [
        ['2d8+4', 'dois d oito mais quatro'],
        ['1d6-1', 'um d seis menos um'],
        ['d20', 'd vinte'],
      ]);
    });

    it('reads Portuguese numerals, ordinals and percentages, Brazilian by default', () => {
      expectAll('pt', [
        ['1.250 soldados', 'mil duzentos e cinquenta soldados'],
        ['3,5', 'três vírgula cinco'],
        ['16 e 19', 'dezesseis e dezenove'],
        ['1000000000', 'um bilhão'],
        ['1º e 2ª', 'primeiro e segunda'],
        ['a 23ª porta', 'a vigésima terceira porta'],
        ['50%', 'cinquenta por cento'],
        ['1-4 goblins', 'um a quatro goblins'],
      ]);
      expectAll('pt-PT', [['16', 'dezasseis']]);
    });

    it('joins "mil" with "e" before round hundreds and numbers below 100', () => {
      expectAll('pt', [
        ['1500', 'mil e quinhentos'],
        ['1050', 'mil e cinquenta'],
        ['1550', 'mil quinhentos e cinquenta'],
        ['2.000.300', 'dois milhões e trezentos'],
      ]);
      expectAll('pt-PT', [['1.200.000.000', 'mil e duzentos milhões']]);
    });

    it('makes numbers agree with the feminine noun that follows them', () => {
      expectAll('pt', [
        ['1500 moedas', 'mil e quinhentas moedas'],
        ['1.250 moedas', 'mil duzentas e cinquenta moedas'],
        ['1550 moedas', 'mil quinhentas e cinquenta moedas'],
        ['1500 soldados', 'mil e quinhentos soldados'],
        ['2 espadas e 2 machados', 'duas espadas e dois machados'],
        ['1 poção', 'uma poção'],
        ['201 flechas', 'duzentas e uma flechas'],
        ['2.200 moedas', 'duas mil e duzentas moedas'],
        ['2.200.000 moedas', 'dois milhões e duzentas mil moedas'],
        ['2.000.000 de moedas', 'dois milhões de moedas'],
        ['2 Horas', 'duas Horas'],
        ['2 mil pessoas', 'duas mil pessoas'],
        ['1-2 horas', 'uma a duas horas'],
        ['2 cidades', 'duas cidades'],
      ]);
      expectAll('pt-PT', [['1500 moedas', 'mil e quinhentas moedas']]);
    });

    it('keeps numbers masculine before masculine nouns, at a sentence end, in dice and money', () => {
      expectAll('pt', [
        ['22 dias', 'vinte e dois dias'],
        ['2 fantasmas', 'dois fantasmas'],
        ['O baú tem 2.', 'O baú tem dois.'],
        ['Ganhou 200, mas perdeu', 'Ganhou duzentos, mas perdeu'],
        ['o jogador 1 ataca', 'o jogador um ataca'],
        ['uma espada +1 escondida', 'uma espada mais um escondida'],
        ['de 1 a 6', 'de um a seis'],
        ['2d6 moedas', 'dois d seis moedas'],
        ['R$ 1.500,00', 'mil e quinhentos reais'],
        ['R$ 2,00 e 2 moedas', 'dois reais e duas moedas'],
      ]);
    });

    it('reads money in reais, euros and coins with feminine agreement', () => {
      expectAll('pt', [
        ['R$ 5,00', 'cinco reais'],
        ['R$ 1,50', 'um real e cinquenta centavos'],
        ['R$ 1.234,56', 'mil duzentos e trinta e quatro reais e cinquenta e seis centavos'],
        ['€3', 'três euros'],
        ['2 po', 'duas peças de ouro'],
        ['1 po', 'uma peça de ouro'],
        ['200 pp', 'duzentas peças de prata'],
        ['10 gp', 'dez peças de ouro'],
      ]);
    });

    it('expands RPG abbreviations and titles', () => {
      expectAll('pt', [
        ['HP', 'pontos de vida'],
        ['45 PV', 'quarenta e cinco pontos de vida'],
        ['1 PV', 'um ponto de vida'],
        ['CA 16', 'classe de armadura dezesseis'],
        ['CD 14', 'classe de dificuldade catorze'],
        ['300 XP', 'trezentos pontos de experiência'],
        ['Sr. Silva e Sra. Costa', 'Senhor Silva e Senhora Costa'],
        ['Dr. Silva', 'Doutor Silva'],
        ['nº 5', 'número cinco'],
        ['etc.', 'etcétera.'],
      ]);
    });
  });

  it('strips control characters and collapses whitespace in every language', () => {
    expect(normalizeForSpeech('  Hello\u0007 \u200bworld\t\n ', 'fr')).to.equal('Hello world');
    expect(normalizeForSpeech('Room\u0000 \t\n  101', 'en')).to.equal('Room one hundred one');
    expect(normalizeForSpeech('a\u00a0\u00a0b', 'pt')).to.equal('a b');
  });

  it('leaves numbers of other languages as written', () => {
    expect(normalizeForSpeech('Würfle 2d8+4', 'de')).to.equal('Würfle 2d8+4');
  });

  it('returns an empty string for nothing speakable', () => {
    expect(normalizeForSpeech(' \n\u0001 ', 'en')).to.equal('');
  });
});
