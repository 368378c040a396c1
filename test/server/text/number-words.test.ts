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
  });

  it('keeps European Portuguese as n2words spells it', () => {
    expect(cardinalWords('17', 'pt', 'pt')).to.equal('dezassete');
  });

  it('reads very long digit strings digit by digit', () => {
    expect(cardinalWords('1234567890123456', 'en')).to.match(/^one two three four five six seven eight nine zero one/);
  });

  it('makes Portuguese ordinals and cardinals feminine on request', () => {
    expect(ordinalWords('21', 'pt', 'br', true)).to.equal('vigésima primeira');
    expect(ordinalWords('21', 'en')).to.equal('twenty-first');
    expect(feminineCardinalPt('duzentos e dois')).to.equal('duzentas e duas');
    expect(feminineCardinalPt('dois milhões')).to.equal('dois milhões');
  });

  it('reads money per currency and language', () => {
    expect(moneyWords('1.50', 'BRL', 'pt')).to.equal('um real e cinquenta centavos');
    expect(moneyWords('2', 'EUR', 'en')).to.equal('two euros');
    expect(moneyWords('0.01', 'USD', 'en')).to.equal('one cent');
    expect(moneyWords('3', 'EUR', 'pt', 'pt')).to.equal('três euros');
  });
});
