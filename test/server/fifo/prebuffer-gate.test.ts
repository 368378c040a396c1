import { expect } from 'chai';
import { PrebufferGate } from '../../../server/fifo/prebuffer-gate.ts';

const gate = () => new PrebufferGate({ prebufferMs: 250, capMs: 4000 });

describe('PrebufferGate', () => {
  it('stays idle until a narration begins, then buffers', () => {
    const g = gate();
    expect(g.decide(1000, false)).to.equal('idle');
    g.begin();
    expect(g.state).to.equal('buffering');
  });

  it('starts playing once the configured pre-buffer is queued (no RTF yet)', () => {
    const g = gate();
    g.begin();
    expect(g.decide(240, false)).to.equal('buffering');
    expect(g.decide(250, false)).to.equal('playing');
  });

  it('starts a short narration as soon as its synthesis is finished', () => {
    const g = gate();
    g.begin();
    expect(g.decide(100, true)).to.equal('playing');
  });

  it('goes underrun when the FIFO runs dry mid-narration, counts it, and re-buffers to the threshold', () => {
    const g = gate();
    g.begin();
    g.decide(300, false);
    expect(g.decide(10, false)).to.equal('underrun');
    expect(g.underruns).to.equal(1);
    expect(g.decide(100, false)).to.equal('underrun');
    expect(g.decide(260, false)).to.equal('playing');
  });

  it('leaves underrun for playing when synthesis finishes', () => {
    const g = gate();
    g.begin();
    g.decide(300, false);
    g.decide(0, false);
    expect(g.decide(40, true)).to.equal('playing');
  });

  it('drains when finished and empty, and resets to idle', () => {
    const g = gate();
    g.begin();
    g.decide(300, true);
    expect(g.decide(10, true)).to.equal('playing');
    expect(g.decide(0, true)).to.equal('drained');
    g.reset();
    expect(g.state).to.equal('idle');
  });

  it('shrinks the threshold to the floor for fast engines and grows it for slow ones', () => {
    const g = gate();
    g.setRtf(0.02);
    expect(g.thresholdMs()).to.equal(60);
    g.setRtf(0.5);
    expect(g.thresholdMs()).to.equal(2000);
    g.setRtf(0.9);
    expect(g.thresholdMs()).to.equal(4000);
    g.setRtf(1.2);
    expect(g.thresholdMs()).to.equal(Infinity);
  });

  it('waits for the whole narration when rtf ≥ 1, but never past the cap (back-pressure would deadlock)', () => {
    const g = gate();
    g.setRtf(1.5);
    g.begin();
    expect(g.decide(3000, false)).to.equal('buffering');
    expect(g.decide(4000, false)).to.equal('playing');
  });

  it('rejects a bad RTF naming it', () => {
    expect(() => gate().setRtf(-1)).to.throw(/RTF.*-1/);
  });
});
