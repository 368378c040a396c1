import { expect } from 'chai';
import { cardinalWords, feminineCardinalPt, moneyWords, ordinalWords } from '../../../server/text/number-words.ts';

describe('number words', () => {
  it('reads English cardinals with fractions digit by digit', () => {
    expect(cardinalWords('1250', 'en')).to.equal('one thousand two hundred fifty');
    expect(cardinalWords('3.05', 'en')).to.equal('three point zero five');
    expect(cardinalWords('-2', 'en')).to.equal('minus two');
  });

  it('reads Brazilian cardinals with Brazilian teens and the short scale', () => {
    expect(cardinalWords('17', 'pt')).to.equal('dezessete');
    expect(cardinalWords('2000000001', 'pt')).to.equal('dois bilhões e um');
    expect(cardinalWords('1000000000000', 'pt')).to.equal('um trilhão');
    expect(cardinalWords('3.5', 'pt')).to.equal('três vírgula cinco');
    expect(cardinalWords('3.05', 'pt')).to.equal('três vírgula zero cinco');
    expect(cardinalWords('1200000000', 'pt')).to.equal('um bilhão e duzentos milhões');
  });

  it('joins the last group with "e" only when it is below 100 or a round hundred', () => {
    expect(cardinalWords('1500', 'pt')).to.equal('mil e quinhentos');
    expect(cardinalWords('1050', 'pt')).to.equal('mil e cinquenta');
    expect(cardinalWords('1550', 'pt')).to.equal('mil quinhentos e cinquenta');
    expect(cardinalWords('2000300', 'pt')).to.equal('dois milhões e trezentos');
    expect(cardinalWords('2200000', 'pt')).to.equal('dois milhões e duzentos mil');
    expect(cardinalWords('1530000', 'pt')).to.equal('um milhão quinhentos e trinta mil');
    expect(cardinalWords('1000100000', 'pt')).to.equal('um bilhão e cem mil');
  });

  it('spells European Portuguese with its teens and the long scale', () => {
    expect(cardinalWords('17', 'pt', 'pt')).to.equal('dezassete');
    expect(cardinalWords('1000000000', 'pt', 'pt')).to.equal('mil milhões');
    expect(cardinalWords('1200000000', 'pt', 'pt')).to.equal('mil e duzentos milhões');
    expect(cardinalWords('2300000000000', 'pt', 'pt')).to.equal('dois biliões e trezentos mil milhões');
  });

  it('reads very long digit strings digit by digit', () => {
    expect(cardinalWords('1234567890123456', 'en')).to.match(/^one two three four five six seven eight nine zero one/);
  });

  it('makes Portuguese ordinals and cardinals feminine on request', () => {
    expect(ordinalWords('21', 'pt', 'br', true)).to.equal('vigésima primeira');
    expect(ordinalWords('21', 'en')).to.equal('twenty-first');
    expect(feminineCardinalPt('duzentos e dois')).to.equal('duzentas e duas');
    expect(feminineCardinalPt('dois milhões')).to.equal('dois milhões');
    expect(feminineCardinalPt('dois milhões e duzentos mil')).to.equal('dois milhões e duzentas mil');
    expect(feminineCardinalPt('duzentos e dois milhões')).to.equal('duzentos e dois milhões');
    expect(feminineCardinalPt('dois mil milhões')).to.equal('dois mil milhões');
    expect(feminineCardinalPt('vinte e um mil')).to.equal('vinte e uma mil');
  });

  it('reads money per currency and language', () => {
    expect(moneyWords('1.50', 'BRL', 'pt')).to.equal('um real e cinquenta centavos');
    expect(moneyWords('2', 'EUR', 'en')).to.equal('two euros');
    expect(moneyWords('0.01', 'USD', 'en')).to.equal('one cent');
    expect(moneyWords('3', 'EUR', 'pt', 'pt')).to.equal('três euros');
    expect(moneyWords('1500.01', 'EUR', 'pt', 'pt')).to.equal('mil e quinhentos euros e um cêntimo');
  });
});
