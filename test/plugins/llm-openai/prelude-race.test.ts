import { expect } from 'chai';
import { RepeatGuard, firstSentence } from '../../../plugins/llm-openai/prelude-race.ts';

/** Feeds `text` to a guard in pieces of `size` characters and joins what it releases. */
function guarded(prelude: string, text: string, size: number): string {
  const guard = new RepeatGuard(prelude);
  let out = '';
  for (let i = 0; i < text.length; i += size) out += guard.push(text.slice(i, i + size));
  return out + guard.end();
}

describe('llm-openai prelude: first sentence and repetition guard', () => {
  it('a sentence is complete once a space follows its end mark', () => {
    expect(firstSentence('The air turns cold.', false)).to.equal(null);
    expect(firstSentence('The air turns cold. Frost', false)).to.equal('The air turns cold.');
    expect(firstSentence('It costs 3.5 gold', false)).to.equal(null);
    expect(firstSentence('"Halt!" The guard', false)).to.equal('"Halt!"');
    expect(firstSentence('Wait… then', false)).to.equal('Wait…');
    expect(firstSentence('The air turns cold', true)).to.equal('The air turns cold');
    expect(firstSentence('   ', true)).to.equal(null);
  });

  for (const size of [1, 3, 7, 1000]) {
    it(`removes a repeated prelude and keeps what follows (pieces of ${size})`, () => {
      expect(guarded('The air turns cold.', 'The air turns cold. Frost creeps in.', size)).to.equal(' Frost creeps in.');
      expect(guarded('The air turns cold.', 'the air  turns cold. Frost creeps in.', size)).to.equal(' Frost creeps in.');
    });

    it(`passes a true continuation through, with a space before it (pieces of ${size})`, () => {
      expect(guarded('The air turns cold.', ' Frost creeps in.', size)).to.equal(' Frost creeps in.');
      expect(guarded('The air turns cold.', 'Frost creeps in.', size)).to.equal(' Frost creeps in.');
      expect(guarded('The air turns cold.', 'The air is still. Frost creeps in.', size)).to.equal(' The air is still. Frost creeps in.');
    });
  }

  it('drops a partial repetition at the end (it is the prelude\'s own words)', () => {
    expect(guarded('The air turns cold.', 'The air', 3)).to.equal('');
  });
});
