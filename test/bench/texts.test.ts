import { expect } from 'chai';
import { SHORT_TEXTS, passageOf } from '../../bench/texts.ts';

describe('bench texts', () => {
  it('has at least 30 distinct short narrations of one or two sentences', () => {
    expect(new Set(SHORT_TEXTS).size).to.be.at.least(30);
    for (const t of SHORT_TEXTS) {
      expect(t.length, t).to.be.within(10, 140);
      expect(t.split(/[.!?](\s|$)/).filter((s) => s.trim().length > 0).length, t).to.be.at.most(2);
    }
  });

  it('sizes a passage to the duration at the given rate, cut at a word and closed with a full stop', () => {
    for (const offset of [0, 3, 7, 11]) {
      const p = passageOf(5, 15, offset);
      expect(p.length, p).to.be.within(60, 76);
      expect(p).to.match(/\w\.$/);
    }
  });

  it('starts consecutive passages at different sentences', () => {
    expect(passageOf(5, 15, 0)).to.not.equal(passageOf(5, 15, 1));
  });
});
