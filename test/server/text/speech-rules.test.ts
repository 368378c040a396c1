import { expect } from 'chai';
import { abbreviation, cleanText, padWords, parseLanguage, sentenceEndsAt } from '../../../server/text/speech-rules.ts';

describe('speech rules helpers', () => {
  it('cleans control characters and whitespace', () => {
    expect(cleanText(' a\u0000b\u200b \n\tc ')).to.equal('ab c');
    expect(cleanText('cafe\u0301')).to.equal('café');
  });

  it('pads words where letters or digits touch the match', () => {
    expect(padWords('five', 'level5x', 5, 1)).to.equal(' five ');
    expect(padWords('five', '(5)', 1, 1)).to.equal('five');
  });

  it('knows when an abbreviation period also ends a sentence', () => {
    expect(sentenceEndsAt('etc. Then', 4)).to.equal(true);
    expect(sentenceEndsAt('etc. and', 4)).to.equal(false);
    expect(sentenceEndsAt('etc.', 4)).to.equal(true);
    expect(abbreviation('et cetera', 'etc. The', 0, 4, true)).to.equal('et cetera.');
  });

  it('parses language tags', () => {
    expect(parseLanguage('pt_BR')).to.deep.equal({ base: 'pt', region: 'br' });
    expect(parseLanguage('EN')).to.deep.equal({ base: 'en', region: '' });
  });
});
