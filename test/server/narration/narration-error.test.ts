import { expect } from 'chai';
import { NarrationError, checkDeltaText, checkNarrationText, textProblem } from '../../../server/narration/narration-error.ts';

/** The text rules every entry point shares (client messages, server-side `narrate`, streams, names). */
describe('narration text rules', () => {
  const refusal = (fn: () => unknown): NarrationError => {
    try {
      fn();
    } catch (err) {
      return err as NarrationError;
    }
    throw new Error('expected a refusal');
  };

  it('accepts speech in any script, emoji (surrogate pairs) included', () => {
    for (const text of ['The ogre roars.', 'Você rola 1d20.', '竜が目を覚ます。', 'Roll 🎲 again', 'tab\tand\nnewline']) {
      expect(textProblem(text), text).to.equal(null);
      expect(checkNarrationText(text, 100)).to.equal(text);
    }
  });

  it('names what is wrong: control characters, bidirectional overrides, lone surrogates', () => {
    expect(textProblem('bell\u0007')).to.equal('control characters');
    expect(textProblem('abc\u202Edef')).to.match(/^bidirectional formatting characters/);
    expect(textProblem('x\u2066y')).to.match(/^bidirectional/);
    expect(textProblem('Bob\uD800')).to.equal('a lone UTF-16 surrogate (not valid Unicode)');
    expect(textProblem('\uDC00Bob')).to.equal('a lone UTF-16 surrogate (not valid Unicode)');
    expect(textProblem('\uDBFF\uDFFF')).to.equal(null); // a pair (U+10FFFF)
  });

  it('refuses such text from narrate and from stream deltas with bad_text', () => {
    const e = refusal(() => checkNarrationText('The bell\uD800 tolls.', 100));
    expect(e).to.be.instanceOf(NarrationError);
    expect(e).to.include({ code: 'bad_text', message: 'text contains a lone UTF-16 surrogate (not valid Unicode)' });
    expect(refusal(() => checkDeltaText('\u202E', 0, 100))).to.include({ code: 'bad_text' });
  });
});
