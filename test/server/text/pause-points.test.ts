import { expect } from 'chai';
import { bareWord, classifyBoundary, type BoundaryToken } from '../../../server/text/pause-points.ts';
import { EN_PAUSE_WORDS, PT_PAUSE_WORDS, pauseWordsFor } from '../../../server/text/pause-words.ts';

const tok = (core: string, newlinesAfter = 0, lineStart = false): BoundaryToken => ({ core, newlinesAfter, lineStart });
const kindEn = (prev: string, next: string): string | null => classifyBoundary(tok(prev), tok(next), EN_PAUSE_WORDS).kind;
const kindPt = (prev: string, next: string): string | null => classifyBoundary(tok(prev), tok(next), PT_PAUSE_WORDS).kind;

describe('classifyBoundary', () => {
  it('finds sentence ends, with closing quotes and brackets', () => {
    expect(kindEn('dark.', 'The')).to.equal('sentence');
    expect(kindEn('Blade?"', 'Nobody')).to.equal('sentence');
    expect(kindEn('(again!)', 'Then')).to.equal('sentence');
    expect(kindEn('waited…', 'Then')).to.equal('sentence');
  });

  it('does not end sentences at titles, abbreviations, initials or list markers', () => {
    expect(kindEn('Dr.', 'Vex')).to.equal(null);
    expect(kindEn('e.g.', 'Rope')).to.equal(null);
    expect(kindEn('J.', 'Tolkien')).to.equal(null);
    expect(kindPt('Sra.', 'Costa')).to.equal(null);
    expect(classifyBoundary(tok('1.', 0, true), tok('Goblins'), EN_PAUSE_WORDS).kind).to.equal(null);
    expect(kindEn('I.', 'Then')).to.equal('sentence');
  });

  it('treats ! ? … before a lowercase word as clause marks and a period before one as no pause', () => {
    expect(kindEn('"Run!"', 'she')).to.equal('clause');
    expect(kindEn('something...', 'then')).to.equal('clause');
    expect(kindEn('approx.', 'five')).to.equal(null);
    expect(kindEn('Ave.', 'near')).to.equal('forced');
  });

  it('finds clause marks, dashes and line breaks', () => {
    for (const prev of ['open,', 'before;', 'wares:', 'ran—', '—', '–']) expect(kindEn(prev, 'fast'), prev).to.equal('clause');
    expect(classifyBoundary(tok('goblin', 1), tok('orc'), EN_PAUSE_WORDS).kind).to.equal('clause');
    expect(classifyBoundary(tok('goblin', 2), tok('orc'), EN_PAUSE_WORDS).kind).to.equal('sentence');
  });

  it('cuts before conjunctions, not after articles', () => {
    expect(kindEn('shrieks', 'and')).to.equal('conjunction');
    expect(kindEn('shrieks', '"while')).to.equal('conjunction');
    expect(kindPt('ponte', 'enquanto')).to.equal('conjunction');
    expect(kindEn('the', 'and')).to.equal('forced');
  });

  it('never separates amounts, units, dice operators or lone marks', () => {
    expect(kindPt('R$', '5,00')).to.equal(null);
    expect(kindEn('10', 'gp.')).to.equal(null);
    expect(kindEn('50', '%')).to.equal(null);
    expect(kindEn('2d8', '+')).to.equal(null);
    expect(kindEn('+', '4')).to.equal(null);
    expect(kindEn('-', '4')).to.equal(null);
    expect(kindEn('ran', '—')).to.equal(null);
  });

  it('ranks forced cuts: costly after articles and numbers, cheap before prepositions', () => {
    const cost = (p: string, n: string): number => classifyBoundary(tok(p), tok(n), EN_PAUSE_WORDS).phraseCost;
    expect(cost('the', 'amulet')).to.be.greaterThan(cost('amulet', 'glows'));
    expect(cost('three', 'goblins')).to.be.greaterThan(cost('goblins', 'glare'));
    expect(cost('walked', 'through')).to.be.lessThan(cost('walked', 'slowly'));
  });

  it('strips punctuation from words and picks lists by language', () => {
    expect(bareWord('“Then,')).to.equal('then');
    expect(pauseWordsFor('pt-BR')).to.equal(PT_PAUSE_WORDS);
    expect(pauseWordsFor('en-GB')).to.equal(EN_PAUSE_WORDS);
    expect(pauseWordsFor('de').conjunctions.size).to.equal(0);
  });
});
