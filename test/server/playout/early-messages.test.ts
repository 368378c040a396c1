import { expect } from 'chai';
import { EarlyMessages } from '../../../server/playout/early-messages.ts';

describe('EarlyMessages (audio that overtook its room\'s open, issue 13)', () => {
  it('gives a room its held messages in arrival order once, when it opens', () => {
    const early = new EarlyMessages<string>();
    early.hold('a', 'block 1', 100, 0);
    early.hold('b', 'other room', 100, 0);
    early.hold('a', 'chunk-end', 0, 0);
    expect(early.take('a')).to.deep.equal(['block 1', 'chunk-end']);
    expect(early.take('a')).to.deep.equal([]);
    expect(early.take('b')).to.deep.equal(['other room']);
  });

  it('drops what a room that never opens left after 10 s, and holds at most 60 s of audio over all rooms', () => {
    const early = new EarlyMessages<string>();
    early.hold('closed', 'late block', 24_000, 0);
    early.expire(9_000);
    early.hold('other', 'x', 0, 9_000);
    early.expire(10_001);
    expect(early.dropped).to.equal(1);
    expect(early.take('closed')).to.deep.equal([]);
    expect(early.take('other')).to.deep.equal(['x']);
    for (let i = 0; i < 61; i++) early.hold('flood', `s${i}`, 24_000, 20_000);
    expect(early.dropped, 'the 61st second').to.equal(2);
    expect(early.take('flood')).to.have.length(60);
  });
});
