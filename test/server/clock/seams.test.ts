import { expect } from 'chai';
import { SEAM_MS, fadeIn, fadeInGain, fadeOut, fadeOutThenSilence, rampSamples } from '../../../server/clock/seams.ts';

const maxStep = (a: Float32Array) => {
  let m = 0;
  for (let i = 1; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - a[i - 1]!));
  return m;
};

describe('seams', () => {
  it('joins two chunks that do not meet without a step larger than the ramp allows', () => {
    const rate = 22050;
    const n = rampSamples(SEAM_MS, rate);
    const a = new Float32Array(1000).fill(0.8);
    const b = new Float32Array(1000).fill(-0.8);
    fadeOut(a, n);
    fadeIn(b, n);
    const joined = new Float32Array(2000);
    joined.set(a);
    joined.set(b, 1000);
    // Unfaded, the join is a 1.6 step; raised-cosine ramps of n samples limit steps to ~0.8·π/(n−1).
    expect(maxStep(joined)).to.be.below((0.8 * Math.PI) / (n - 1) + 1e-6);
    expect(maxStep(joined)).to.be.below(0.05);
  });

  it('ends a fade-out exactly at zero and starts a fade-in exactly at zero', () => {
    const a = fadeOut(new Float32Array(50).fill(1), 20);
    expect(a[49]).to.equal(0);
    expect(a[29]).to.equal(1);
    const b = fadeIn(new Float32Array(50).fill(1), 20);
    expect(b[0]).to.equal(0);
    expect(b[19]).to.be.closeTo(1, 1e-6);
  });

  it('fades a cancel frame out and leaves silence after the ramp', () => {
    const f = fadeOutThenSilence(new Float32Array(441).fill(0.5), 200);
    expect(f[0]).to.be.closeTo(0.5, 1e-6);
    expect(f[199]).to.equal(0);
    expect([...f.subarray(200)].every((x) => x === 0)).to.equal(true);
    expect(maxStep(f)).to.be.below(0.01);
  });

  it('uses complementary raised-cosine gains', () => {
    for (const i of [0, 3, 7, 10]) expect(fadeInGain(i, 11) + fadeInGain(10 - i, 11)).to.be.closeTo(1, 1e-12);
  });

  it('ramps a block shorter than the seam all the way up', () => {
    const b = fadeIn(new Float32Array(10).fill(1), 110);
    expect(b[0]).to.equal(0);
    expect(b[9]).to.be.closeTo(1, 1e-6);
  });
});
