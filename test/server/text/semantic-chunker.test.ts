import { expect } from 'chai';
import { SemanticChunker, defaultSemanticChunkerOptions } from '../../../server/text/semantic-chunker.ts';
import { expectChunkInvariants, firstChunkWithin3s } from './chunk-invariants.ts';
import {
  DIALOGUE_EN, NUMBERS_EN, PARAGRAPHS_PT, RUN_ON_EN, SHORT_LINE, cutOffsets, cutsInsideWord, randomNarration, seededRandom,
} from './narration-corpus.ts';

describe('SemanticChunker', () => {
  const en = new SemanticChunker();
  const pt = new SemanticChunker({ language: 'pt' });

  it('keeps a single short line as one chunk ending at `end`', () => {
    const chunks = en.chunk(SHORT_LINE);
    expect(chunks).to.have.length(1);
    expect(chunks[0]).to.deep.include({ index: 0, text: SHORT_LINE, spoken: SHORT_LINE, boundary: 'end' });
  });

  it('returns no chunks for an empty text and one silent chunk for whitespace', () => {
    expect(en.chunk('')).to.deep.equal([]);
    const ws = en.chunk(' \n ');
    expect(ws).to.have.length(1);
    expect(ws[0]).to.deep.include({ text: ' \n ', spoken: '', chars: 0, boundary: 'end' });
  });

  for (const [name, text, chunker] of [
    ['dialogue with quotes', DIALOGUE_EN, en],
    ['lists of numbers, money and dice', NUMBERS_EN, en],
    ['a long sentence with no punctuation', RUN_ON_EN, en],
    ['Portuguese paragraphs', PARAGRAPHS_PT, pt],
  ] as const) {
    it(`holds every invariant on ${name}`, () => {
      const chunks = chunker.chunk(text);
      expect(chunks.length).to.be.greaterThan(2);
      expectChunkInvariants(text, chunks, chunker.options);
      expect(firstChunkWithin3s(chunks, chunker.options)).to.equal(true);
    });
  }

  it('holds every invariant on 300 seeded random narrations', () => {
    let firstWithin3s = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seededRandom(seed);
      const text = randomNarration(rand, 1 + Math.floor(rand() * 15));
      const chunks = en.chunk(text);
      expectChunkInvariants(text, chunks, en.options);
      if (firstChunkWithin3s(chunks, en.options)) firstWithin3s++;
    }
    // Only texts opening with long amounts or dice may exceed ~3 s.
    expect(firstWithin3s).to.be.greaterThan(285);
  });

  it('keeps whitespace between chunks with the preceding chunk', () => {
    const chunks = en.chunk(DIALOGUE_EN);
    for (const c of chunks.slice(1)) expect(c.text).to.match(/^\S/);
  });

  it('cuts a run-on sentence only at forced or conjunction boundaries, never after an article or preposition', () => {
    const chunks = en.chunk(RUN_ON_EN);
    for (const c of chunks.slice(0, -1)) {
      expect(c.boundary).to.be.oneOf(['forced', 'conjunction']);
      expect(c.text.trim().split(' ').at(-1)).to.not.be.oneOf(['the', 'of', 'a', 'an', 'in', 'with', 'by', 'from']);
    }
  });

  it('labels the pause point each chunk ends at', () => {
    const text = 'The goblin shrieks and flees into the dark. Silence follows, broken only by dripping water; '
      + 'somewhere below, a drum begins to beat, slow and steady, while the torches gutter and the shadows grow long and cold. '
      + 'You wait.';
    const chunks = en.chunk(text);
    expect(chunks.map((c) => [c.text, c.boundary])).to.deep.equal([
      ['The goblin shrieks ', 'conjunction'],
      // "and flees into the dark." alone would be 1.7 s, under the 2.4 s floor.
      ['and flees into the dark. Silence follows, broken only by dripping water; ', 'clause'],
      ['somewhere below, a drum begins to beat, slow and steady, ', 'clause'],
      ['while the torches gutter and the shadows grow long and cold. You wait.', 'end'],
    ]);
  });

  it('prefers a sentence end to a clause mark and a clause mark to a conjunction', () => {
    const sentence = en.chunk('Warning shouts echo through the hall. The guards, who had been asleep, grab their spears and run toward the gate while the bells ring out across the silent city.');
    expect(sentence[0]!.boundary).to.equal('sentence');
    const clause = en.chunk('Her voice trembles. The guards grab their spears and run toward the gate, while the bells ring out across the silent city and the crowd scatters in fear.');
    expect(clause.map((c) => c.boundary)).to.include('clause');
    expect(clause[1]!.text).to.match(/gate, $/);
  });

  it('does not end sentences at titles, initials, decimals or mid-sentence ellipses', () => {
    const text = 'Dr. Vex and Mr. Smith met J. R. Tolkien at St. Cuthbert, paid 3.5 gp... and left. They never returned to the valley again, not even once.';
    const chunks = en.chunk(text);
    const cuts = cutOffsets(chunks);
    for (const bad of ['Dr. ', 'Mr. ', 'J. ', 'R. ', 'St. ', '3.', '3.5 ']) {
      const at = text.indexOf(bad) + bad.length;
      expect(cuts, `cut after ${bad}`).to.not.include(at);
    }
    expect(chunks.filter((c) => c.boundary === 'sentence').map((c) => c.text.trim().at(-1))).to.satisfy((ends: string[]) => ends.every((e) => e === '.'));
  });

  it('never separates a number from its unit, a currency from its amount or a title from its name', () => {
    const pieces = ['R$ 5,00', '10 gp', '2d8 + 4', 'Mr. Smith', '50 %', '$ 20'];
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(seed);
      const words = RUN_ON_EN.split(' ');
      const text = words.map((w) => (rand() < 0.15 ? `${pieces[Math.floor(rand() * pieces.length)]} ${w}` : w)).join(' ');
      const cuts = cutOffsets(en.chunk(text));
      for (const piece of pieces) {
        for (let at = text.indexOf(piece); at >= 0; at = text.indexOf(piece, at + 1)) {
          const inside = cuts.filter((c) => c > at && c < at + piece.length);
          expect(inside, `cut inside ${piece} in ${text}`).to.deep.equal([]);
        }
      }
    }
  });

  it('forces word-boundary cuts under a small maxChars and keeps every chunk under it', () => {
    const tight = new SemanticChunker({ maxChars: 40 });
    const chunks = tight.chunk(NUMBERS_EN);
    expect(chunks.length).to.be.greaterThan(8);
    for (const c of chunks) expect(c.chars).to.be.at.most(40);
    expect(chunks.map((c) => c.text).join('')).to.equal(NUMBERS_EN);
    cutOffsets(chunks).forEach((at) => expect(cutsInsideWord(NUMBERS_EN, at)).to.equal(false));
  });

  it('ends the first chunk at the first pause point after about a second', () => {
    const chunks = en.chunk('Ah, you arrive at last, traveler. The council has waited three days for your return and grows impatient.');
    expect(chunks[0]!.text).to.equal('Ah, you arrive at last, ');
    expect(chunks[0]!.boundary).to.equal('clause');
  });

  it('cuts the first chunk at a phrase boundary within 1.5–3 s when no pause point comes', () => {
    const [first] = en.chunk(RUN_ON_EN);
    expect(first!.boundary).to.equal('forced');
    expect(first!.estSeconds).to.be.within(1.4, 3.1);
  });

  it('uses Portuguese pause words, titles and limits for pt', () => {
    expect(pt.options.charsPerSecond).to.equal(13.5);
    expect(pt.options.maxChars).to.equal(203);
    const chunks = pt.chunk(PARAGRAPHS_PT);
    const cuts = cutOffsets(chunks);
    expect(cuts).to.not.include(PARAGRAPHS_PT.indexOf('Sr. ') + 4);
    expect(chunks.map((c) => c.boundary)).to.include('sentence');
    expect(chunks.some((c) => c.spoken.includes('mil duzentos e trinta e quatro reais'))).to.equal(true);
  });

  it('scales durations with setCharsPerSecond', () => {
    const slow = new SemanticChunker();
    slow.setCharsPerSecond(10);
    const fast = slow.chunk(NUMBERS_EN);
    expect(fast.every((c) => Math.abs(c.estSeconds - c.chars / 10) < 0.001)).to.equal(true);
    expect(fast.length).to.be.greaterThan(en.chunk(NUMBERS_EN).length);
    expect(() => slow.setCharsPerSecond(0)).to.throw(RangeError, /charsPerSecond/);
  });

  it('rejects inconsistent options by name', () => {
    expect(() => new SemanticChunker({ minSeconds: 9 })).to.throw(/minSeconds/);
    expect(() => new SemanticChunker({ maxChars: -1 })).to.throw(/maxChars/);
    expect(defaultSemanticChunkerOptions.maxChars).to.equal(250);
  });
});
