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

  it('starts a fast engine (espeak-class, rtf 0.01–0.05) on the floor: the first chunk covers the next one', () => {
    for (const rtf of [0.01, 0.02, 0.05]) {
      const g = gate();
      g.setRtf(rtf);
      g.begin();
      expect(g.thresholdMs(), `rtf ${rtf}`).to.equal(60);
      expect(g.decide(40, false)).to.equal('buffering');
      expect(g.decide(60, false)).to.equal('playing');
    }
  });

  it('asks for the lead of one longest chunk at w = 0: (r·maxChunk + margin) / (1 − r)', () => {
    const g = gate();
    g.setRtf(0.5);
    g.begin();
    // (0.5 × 8000 + 300) / 0.5 = 8600 → capped at 4000 (capMs)
    expect(g.thresholdMs()).to.equal(4000);
    const wide = new PrebufferGate({ prebufferMs: 250, capMs: 12_000 });
    wide.setRtf(0.5);
    wide.begin();
    expect(wide.thresholdMs()).to.equal(8600);
  });

  it('lowers the threshold as it waits, since synthesis goes on meanwhile (1 ms of waiting = 1/(1 − r) ms less audio)', () => {
    const g = new PrebufferGate({ prebufferMs: 250, capMs: 12_000 });
    g.setRtf(0.5);
    g.begin();
    expect(g.decide(0, false)).to.equal('buffering'); // no audio yet: the clock has not started
    expect(g.thresholdMs()).to.equal(8600);
    for (let i = 0; i < 100; i++) expect(g.decide(1000, false)).to.equal('buffering'); // 2 000 ms waited with audio
    expect(g.thresholdMs()).to.equal((4300 - 2000) / 0.5);
    expect(g.decide(4599, false)).to.equal('buffering');
    expect(g.decide(4700, false)).to.equal('playing');
  });

  it('near real time waits about one longest chunk’s synthesis instead of an unbounded lead', () => {
    const g = new PrebufferGate({ prebufferMs: 250, capMs: 12_000 });
    g.setRtf(0.95);
    g.begin();
    let frames = 0;
    let buffered = 500;
    // Audio arriving at the engine's rate: 20 ms of time brings 20 / 0.95 ms of audio.
    while (g.decide(buffered, false) === 'buffering') {
      frames++;
      buffered += 20 / 0.95;
      if (frames > 1000) break;
    }
    expect(g.state).to.equal('playing');
    const waitedMs = frames * 20;
    // Start rule: w + 0.05·B ≥ 0.95·8000 + 300 = 7900 → w ≈ 7.4 s, B ≈ 8.3 s, below the 12 s cap the old rule asked.
    expect(waitedMs).to.be.within(7000, 7900);
    expect(buffered).to.be.below(9000);
  });

  it('drops the first-chunk credit after an underrun (the next chunk may follow a short remainder)', () => {
    const g = new PrebufferGate({ prebufferMs: 250, capMs: 12_000 });
    g.setRtf(0.05);
    g.begin();
    expect(g.thresholdMs()).to.equal(60);
    g.decide(100, false);
    expect(g.decide(0, false)).to.equal('underrun');
    // (0.05 × 8000 + 300) / 0.95 ≈ 737 ms before the first frame of waiting
    expect(g.thresholdMs()).to.be.closeTo(700 / 0.95, 1e-9);
    expect(g.decide(200, false)).to.equal('underrun');
  });

  it('waits for the whole narration when rtf ≥ 1', () => {
    const g = gate();
    g.setRtf(1.2);
    expect(g.thresholdMs()).to.equal(Infinity);
    g.setRtf(1);
    expect(g.thresholdMs()).to.equal(Infinity);
  });

  it('waits for the whole narration when rtf ≥ 1, but never past the cap (back-pressure would deadlock)', () => {
    const g = gate();
    g.setRtf(1.5);
    g.begin();
    for (let i = 0; i < 1000; i++) expect(g.decide(3000, false)).to.equal('buffering');
    expect(g.decide(4000, false)).to.equal('playing');
  });

  it('rejects bad duration options naming them', () => {
    expect(() => new PrebufferGate({ prebufferMs: 250, capMs: 4000, maxChunkMs: -1 })).to.throw(/maxChunkMs.*-1/);
    expect(() => new PrebufferGate({ prebufferMs: 250, capMs: 4000, marginMs: Number.NaN })).to.throw(/marginMs/);
  });

  it('rejects a bad RTF naming it', () => {
    expect(() => gate().setRtf(-1)).to.throw(/RTF.*-1/);
  });
});
