import { expect } from 'chai';
import { normalizeForSpeech } from '../../../server/text/normalize.ts';
import { SemanticChunker, StreamingChunker, type TextChunk } from '../../../server/text/semantic-chunker.ts';
import { expectChunkInvariants } from './chunk-invariants.ts';
import {
  DIALOGUE_EN, NUMBERS_EN, PARAGRAPHS_PT, RUN_ON_EN, randomDeltas, randomNarration, seededRandom,
} from './narration-corpus.ts';

function streamAll(chunker: StreamingChunker, deltas: readonly string[]): TextChunk[] {
  const out: TextChunk[] = [];
  for (const d of deltas) out.push(...chunker.push(d));
  out.push(...chunker.end());
  return out;
}

/** Spoken chars of the text after the chunks the two results share. */
function divergentTail(text: string, a: readonly TextChunk[], b: readonly TextChunk[], language: string): number {
  let i = 0;
  let at = 0;
  while (i < a.length && i < b.length && JSON.stringify(a[i]) === JSON.stringify(b[i])) at += a[i++]!.text.length;
  if (i === a.length && i === b.length) return 0;
  return normalizeForSpeech(text.slice(at), language).length;
}

describe('StreamingChunker', () => {
  const semantic = new SemanticChunker();

  it('holds every invariant when fed 1–3 characters at a time', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rand = seededRandom(seed);
      const text = randomNarration(rand, 1 + Math.floor(rand() * 12));
      const chunks = streamAll(semantic.stream(), randomDeltas(text, rand, 3));
      expectChunkInvariants(text, chunks, semantic.options);
    }
  });

  it('gives the same chunks whatever the delta sizes', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rand = seededRandom(seed * 7919);
      const text = randomNarration(rand, 1 + Math.floor(rand() * 12));
      const byChars = streamAll(semantic.stream(), randomDeltas(text, rand, 3));
      const byWords = streamAll(semantic.stream(), randomDeltas(text, rand, 25));
      const atOnce = streamAll(semantic.stream(), [text]);
      expect(byChars).to.deep.equal(atOnce);
      expect(byWords).to.deep.equal(atOnce);
    }
  });

  it('matches chunk() of the whole text except in the last ~10 s, where knowing the end changes the choice', () => {
    const o = semantic.options;
    const endWindow = (o.maxSeconds + o.minSeconds) * o.charsPerSecond;
    let identical = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = seededRandom(seed);
      const text = randomNarration(rand, 1 + Math.floor(rand() * 15));
      const streamed = streamAll(semantic.stream(), randomDeltas(text, rand, 3));
      const tail = divergentTail(text, streamed, semantic.chunk(text), o.language);
      expect(tail, `seed ${seed}`).to.be.below(endWindow);
      if (tail === 0) identical++;
    }
    expect(identical).to.be.greaterThan(150);
  });

  for (const [name, text, language] of [
    ['dialogue', DIALOGUE_EN, 'en'], ['numbers', NUMBERS_EN, 'en'], ['run-on sentence', RUN_ON_EN, 'en'], ['Portuguese', PARAGRAPHS_PT, 'pt'],
  ] as const) {
    it(`streams the ${name} sample with every invariant`, () => {
      const chunker = new StreamingChunker({ language });
      const chunks = streamAll(chunker, randomDeltas(text, seededRandom(42), 3));
      expectChunkInvariants(text, chunks, chunker.options);
    });
  }

  it('emits the first chunk as soon as its pause point is followed by the next word', () => {
    const s = new StreamingChunker();
    expect(s.push('Ah, you arrive at last,')).to.deep.equal([]);
    const out = s.push(' traveler. The');
    expect(out.map((c) => c.text)).to.deep.equal(['Ah, you arrive at last, ']);
    expect(out[0]!.index).to.equal(0);
  });

  it('emits a middle chunk once a sentence end inside the target window is followed by a whole word', () => {
    const s = new StreamingChunker();
    s.push('The door creaks open. ');
    expect(s.push('A cold wind rushes in, carrying the smell of rain and old smoke. Behind')).to.have.length(1);
    const first = s.push(' the');
    expect(first.map((c) => c.boundary)).to.deep.equal(['sentence']);
    expect(first[0]!.text).to.equal('A cold wind rushes in, carrying the smell of rain and old smoke. ');
    expect(first[0]!.index).to.equal(1);
  });

  it('holds back text until a cut is safe, then emits within the hard maximum', () => {
    const s = new StreamingChunker();
    let emitted = 0;
    let pushedChars = 0;
    const words = RUN_ON_EN.split(' ');
    for (const w of words) {
      const out = s.push(`${w} `);
      pushedChars += w.length + 1;
      emitted += out.reduce((n, c) => n + c.text.length, 0);
      // Never more than a hard maximum of pending text plus one lookahead word.
      expect(pushedChars - emitted).to.be.at.most(s.options.maxSeconds * s.options.charsPerSecond + 40);
    }
    const rest = s.end();
    expect(rest.at(-1)!.boundary).to.equal('end');
  });

  it('continues indices across pushes, returns nothing on a second end() and refuses push after end()', () => {
    const s = new StreamingChunker();
    const all = streamAll(s, randomDeltas(DIALOGUE_EN, seededRandom(3), 5));
    expect(all.map((c) => c.index)).to.deep.equal(all.map((_c, i) => i));
    expect(s.end()).to.deep.equal([]);
    expect(() => s.push('more')).to.throw(/after end/);
  });

  it('applies a new charsPerSecond to the chunks not yet emitted', () => {
    const s = new StreamingChunker();
    s.setCharsPerSecond(20);
    const chunks = streamAll(s, [NUMBERS_EN]);
    for (const c of chunks) expect(c.estSeconds).to.be.closeTo(c.chars / 20, 0.001);
    expect(() => s.setCharsPerSecond(Number.NaN)).to.throw(RangeError);
  });

  it('chunks a 10 000-character text in one pass, linear in its length', () => {
    const text = randomNarration(seededRandom(99), 200).slice(0, 10_000);
    const long = streamAll(new StreamingChunker(), randomDeltas(text, seededRandom(1), 3));
    expect(long.map((c) => c.text).join('')).to.equal(text);
    expect(long.length).to.be.greaterThan(80);
  });
});
