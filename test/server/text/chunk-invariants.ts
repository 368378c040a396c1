import { expect } from 'chai';
import { normalizeForSpeech } from '../../../server/text/normalize.ts';
import type { SemanticChunkerOptions, TextChunk } from '../../../server/text/semantic-chunker.ts';
import { cutOffsets, cutsInsideWord } from './narration-corpus.ts';

/** Invariant checks shared by the SemanticChunker and StreamingChunker tests. */

/** Asserts every invariant the chunker promises for `input`. */
export function expectChunkInvariants(input: string, chunks: readonly TextChunk[], options: SemanticChunkerOptions): void {
  expect(chunks.map((c) => c.text).join(''), 'spans concatenate to the input').to.equal(input);
  expect(chunks.map((c) => c.index)).to.deep.equal(chunks.map((_c, i) => i));
  cutOffsets(chunks).forEach((offset) => {
    expect(cutsInsideWord(input, offset), `cut inside a word at ${offset}: …${input.slice(offset - 10, offset + 10)}…`).to.equal(false);
  });
  chunks.forEach((c, i) => {
    const where = `chunk ${i} ${JSON.stringify(c.text)}`;
    expect(c.spoken, where).to.equal(normalizeForSpeech(c.text.trim(), options.language));
    expect(c.chars, where).to.equal(c.spoken.length);
    expect(c.chars, `${where} exceeds maxChars`).to.be.at.most(options.maxChars);
    expect(c.estSeconds, where).to.be.closeTo(c.chars / options.charsPerSecond, 0.001);
    expect(c.boundary === 'end', where).to.equal(i === chunks.length - 1);
    if (i > 0 && i < chunks.length - 1) {
      expect(c.estSeconds, `${where} outside the hard bounds`).to.be.within(options.minSeconds, options.maxSeconds);
    }
  });
  if (chunks.length > 1) {
    const first = chunks[0]!;
    // First chunk: ≥ ~1 s of speech (estimates are per token, so allow a little slack) and within the hard maximum;
    // the ~3 s ceiling is checked by firstChunkWithin3s, since a long amount ("$1,250") may push it past.
    expect(first.estSeconds, `first chunk ${JSON.stringify(first.text)}`).to.be.within(0.85, options.maxSeconds);
  }
}

/** Whether the first chunk of a multi-chunk result ended within ~3 s (+ estimate slack). */
export function firstChunkWithin3s(chunks: readonly TextChunk[], options: SemanticChunkerOptions): boolean {
  return chunks.length < 2 || chunks[0]!.estSeconds <= options.firstMaxSeconds + 0.3;
}
