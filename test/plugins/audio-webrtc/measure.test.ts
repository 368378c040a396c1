import { expect } from 'chai';
import { measureOpusEncodeCost } from '../../../plugins/audio-webrtc/measure.ts';

describe('measureOpusEncodeCost', () => {
  it('times the per-frame encode and reports ordered percentiles well inside the 20 ms frame', async () => {
    const cost = await measureOpusEncodeCost(200, { warmupFrames: 10 });
    expect(cost.frames).to.equal(200);
    expect(cost.perFrameUs.p50).to.be.greaterThan(0);
    expect(cost.perFrameUs.p50).to.be.at.most(cost.perFrameUs.p95);
    expect(cost.perFrameUs.p95).to.be.at.most(cost.perFrameUs.max);
    // Generous: even a noisy 2-core host encodes a 20 ms mono frame in a few ms.
    expect(cost.perFrameUs.p50).to.be.below(10_000);
  });

  it('refuses a frame count that is not a positive integer', async () => {
    let message = '';
    await measureOpusEncodeCost(0).catch((e: Error) => (message = e.message));
    expect(message).to.match(/frames must be a positive integer/);
  });
});
