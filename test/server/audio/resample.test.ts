import { expect } from 'chai';
import { StreamingResampler } from '../../../server/audio/resample.ts';

describe('StreamingResampler', () => {
  it('turns 22 050 Hz blocks into about as many 48 kHz samples as the rate ratio says', async () => {
    const r = await StreamingResampler.create(22050, 48000);
    try {
      let out = 0;
      for (let i = 0; i < 50; i++) {
        const block = new Float32Array(441);
        for (let j = 0; j < block.length; j++) block[j] = 0.5 * Math.sin((2 * Math.PI * 440 * (i * 441 + j)) / 22050);
        out += r.process(block).length;
      }
      const expected = (50 * 441 * 48000) / 22050;
      expect(out).to.be.within(expected - 200, expected);
    } finally {
      r.close();
    }
  });

  it('keeps a continuous sine continuous across block edges', async () => {
    const r = await StreamingResampler.create(24000, 48000);
    try {
      const chunks: Float32Array[] = [];
      for (let i = 0; i < 20; i++) {
        const block = new Float32Array(480);
        for (let j = 0; j < 480; j++) block[j] = 0.5 * Math.sin((2 * Math.PI * 200 * (i * 480 + j)) / 24000);
        chunks.push(r.process(block));
      }
      const all = Float32Array.from(chunks.flatMap((c) => [...c]));
      let maxStep = 0;
      for (let i = 2000; i < all.length; i++) maxStep = Math.max(maxStep, Math.abs(all[i]! - all[i - 1]!));
      // 200 Hz at amplitude 0.5 sampled at 48 kHz moves at most 2π·200·0.5/48000 ≈ 0.013 per sample.
      expect(maxStep).to.be.below(0.02);
    } finally {
      r.close();
    }
  });

  it('refuses to work after close', async () => {
    const r = await StreamingResampler.create(16000, 48000);
    r.close();
    expect(() => r.process(new Float32Array(10))).to.throw(/after close/);
  });
});
