import { expect } from 'chai';
import {
  chunkBounds, defaultCharsPerSecond, defaultMaxChars, resolveChunkerOptions,
} from '../../../server/text/chunker-options.ts';

describe('chunker options', () => {
  it('defaults rate and char limit per language', () => {
    expect(defaultCharsPerSecond('en')).to.equal(14.5);
    expect(defaultCharsPerSecond('pt-BR')).to.equal(13.5);
    expect(defaultMaxChars('pt')).to.equal(203);
    expect(resolveChunkerOptions({ language: 'pt' })).to.include({ charsPerSecond: 13.5, maxChars: 203 });
    expect(resolveChunkerOptions({ language: 'pt', maxChars: 180 }).maxChars).to.equal(180);
  });

  it('derives char bounds where seconds govern and the char window only caps', () => {
    const b = chunkBounds(resolveChunkerOptions());
    expect(b.hardMin).to.be.closeTo(2.4 * 14.5, 1e-9);
    expect(b.hardMax).to.be.closeTo(8 * 14.5, 1e-9);
    expect(b.targetMin).to.be.closeTo(3 * 14.5, 1e-9);
    expect(b.targetMax).to.be.closeTo(7 * 14.5, 1e-9);
    expect([b.firstMin, b.firstForcedMin, b.firstMax]).to.deep.equal([14.5, 21.75, 43.5]);
  });

  it('lets maxChars cap every bound and the char target raise the floor when it fits', () => {
    const tight = chunkBounds(resolveChunkerOptions({ maxChars: 40 }));
    expect(tight.hardMax).to.equal(40);
    expect(tight.targetMax).to.be.at.most(40);
    expect(tight.hardMin).to.be.at.most(tight.targetMin);
    const slowEngine = chunkBounds(resolveChunkerOptions({ charsPerSecond: 40, maxChars: 400 }));
    expect(slowEngine.targetMin).to.equal(180);
  });

  it('rejects invalid options, naming them', () => {
    expect(() => resolveChunkerOptions({ charsPerSecond: 0 })).to.throw(/charsPerSecond/);
    expect(() => resolveChunkerOptions({ firstMinSeconds: 2, firstForcedMinSeconds: 1.5 })).to.throw(/firstMinSeconds/);
  });
});
