import { expect } from 'chai';
import { normalizeForSpeech } from '../../../server/text/normalize.ts';
import { SpokenLengthEstimator, estimateSeconds } from '../../../server/text/spoken-estimate.ts';

describe('SpokenLengthEstimator', () => {
  it('gives the normalized length of plain words, abbreviations and numerals', () => {
    const en = new SpokenLengthEstimator('en');
    for (const token of ['goblin,', '"Run!"', 'HP', 'Dr.', 'gp', '2d8+4', '$1,250', '3rd', 'it’s']) {
      expect(en.tokenLength(token), token).to.equal(normalizeForSpeech(token, 'en').length);
    }
    const pt = new SpokenLengthEstimator('pt');
    for (const token of ['Sra.', 'PV', 'peça', '1.234,56']) expect(pt.tokenLength(token), token).to.equal(normalizeForSpeech(token, 'pt').length);
  });

  it('estimates seconds from chars and rate', () => {
    expect(estimateSeconds('x'.repeat(29), 14.5)).to.equal(2);
    expect(estimateSeconds(27, 13.5)).to.equal(2);
  });
});
