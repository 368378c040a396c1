import { expect } from 'chai';
import { MAX_TOKEN_CHARS, TokenScanner, type ScannedToken } from '../../../server/text/token-scanner.ts';

function scan(deltas: readonly string[]): ScannedToken[] {
  const tokens: ScannedToken[] = [];
  const scanner = new TokenScanner<ScannedToken>((t) => tokens.push(t), (core) => core.length);
  for (const d of deltas) scanner.append(d);
  scanner.finish();
  return tokens;
}

describe('TokenScanner', () => {
  it('splits on whitespace, counting line breaks and line starts', () => {
    const tokens = scan(['  The door\n\nopens. ']);
    expect(tokens.map((t) => [t.core, t.start, t.newlinesAfter, t.lineStart])).to.deep.equal([
      ['The', 2, 0, true], ['door', 6, 2, false], ['opens.', 12, 0, true],
    ]);
    expect(tokens.map((t) => t.cumBefore)).to.deep.equal([0, 4, 9]);
  });

  it('gives the same tokens whatever the delta boundaries', () => {
    const text = 'He ran—fast, then stopped.\nR$ 5,00 and 2d8+4 — done';
    const whole = scan([text]);
    const byChar = scan([...text]);
    expect(byChar).to.deep.equal(whole);
    expect(whole.map((t) => t.core)).to.include.members(['ran—', 'fast,', '—']);
  });

  it('splits runs longer than MAX_TOKEN_CHARS', () => {
    const tokens = scan(['x'.repeat(MAX_TOKEN_CHARS * 2 + 5)]);
    expect(tokens.map((t) => t.core.length)).to.deep.equal([MAX_TOKEN_CHARS, MAX_TOKEN_CHARS, 5]);
  });

  it('keeps the pending text and drops what was consumed', () => {
    const scanner = new TokenScanner<ScannedToken>(() => {}, (c) => c.length);
    scanner.append('one two ');
    scanner.append('three');
    expect(scanner.pendingText(4)).to.equal('one ');
    scanner.consume(4);
    expect(scanner.pendingText()).to.equal('two three');
    expect(scanner.pendingText(8)).to.equal('two ');
  });
});
