import { expect } from 'chai';
import { continuationOf, endsParagraph, MAX_CONTINUATION_CHARS } from '../../../server/text/continuation.ts';
import { clauseText } from '../../../server/synthesis/tts-engine.ts';

describe('continuation read-ahead (issue 12: intonation at mid-sentence seams)', () => {
  it('reads on to the next clause mark after a clause, conjunction or forced cut, never after a sentence', () => {
    expect(continuationOf({ boundary: 'conjunction' }, { spoken: 'and the torches are cold, and nobody moves.' })).to.equal('and the torches are cold,');
    expect(continuationOf({ boundary: 'clause' }, { spoken: 'raising their mugs.' })).to.equal('raising their mugs.');
    expect(continuationOf({ boundary: 'forced' }, { spoken: 'door of the keep' })).to.equal('door of the keep');
    expect(continuationOf({ boundary: 'sentence' }, { spoken: 'The hall is dark.' })).to.equal(undefined);
    expect(continuationOf({ boundary: 'end' }, undefined)).to.equal(undefined);
    // Streamed text: the next words are not known yet.
    expect(continuationOf({ boundary: 'conjunction' }, undefined)).to.equal('');
    // Decimal points and dice are not marks; a long clause is cut at a word boundary.
    expect(continuationOf({ boundary: 'forced' }, { spoken: 'deals 2.5 damage, then falls.' })).to.equal('deals 2.5 damage,');
    const long = continuationOf({ boundary: 'forced' }, { spoken: 'word '.repeat(60).trim() })!;
    expect(long.length).to.be.at.most(MAX_CONTINUATION_CHARS);
    expect(long.endsWith('word')).to.equal(true);
  });

  it('ends an unpunctuated continuing chunk with a comma for engines without word timing, and keeps a chunk\'s own mark', () => {
    const chunk = (text: string, continuation?: string) => ({ narrationId: 'n', index: 0, text, language: 'en', continuation });
    expect(clauseText(chunk('The hall grows dark', 'and cold.'))).to.equal('The hall grows dark,');
    expect(clauseText(chunk('The hall grows dark', ''))).to.equal('The hall grows dark,');
    expect(clauseText(chunk('"Run!"', 'he shouts.'))).to.equal('"Run!"');
    expect(clauseText(chunk('The crew cheers,', 'raising their mugs.'))).to.equal('The crew cheers,');
    expect(clauseText(chunk('The gate is open.'))).to.equal('The gate is open.');
  });

  it('sees a paragraph break in a chunk\'s trailing whitespace', () => {
    expect(endsParagraph('The gate is open.\n\n')).to.equal(true);
    expect(endsParagraph('The gate is open. \n  \n ')).to.equal(true);
    expect(endsParagraph('The gate is open.\n')).to.equal(false);
    expect(endsParagraph('The gate is open. ')).to.equal(false);
  });
});
