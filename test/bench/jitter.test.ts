import { expect } from 'chai';
import { frameTiming } from '../../bench/scenarios/jitter.ts';
import type { FrameSeen } from '../../bench/capture.ts';

const frame = (seq: number, timeMs: number): FrameSeen => ({ seq, timeMs, narrationId: 'n', energy: 1 });

describe('frameTiming', () => {
  it('measures jitter as |Δt − 20 ms| between consecutive frames', () => {
    const t = frameTiming([frame(0, 0), frame(1, 20), frame(2, 43), frame(3, 60)]);
    expect(t.jitterMs.n).to.equal(3);
    expect(t.jitterMs.max).to.equal(3);
    expect(t.gaps).to.equal(0);
    expect(t.overTargetDeltas).to.equal(2); // 23 ms, then 17 ms back on the grid
    expect(t.maxDeltaMs).to.equal(23);
  });

  it('counts a delta over 40 ms as a gap', () => {
    const t = frameTiming([frame(0, 0), frame(1, 20), frame(2, 61), frame(3, 62)]);
    expect(t.gaps).to.equal(1);
    expect(t.missingSeqs).to.equal(0);
  });

  it('counts a missing seq as a gap even when the times look regular', () => {
    const t = frameTiming([frame(0, 0), frame(1, 20), frame(3, 40)]);
    expect(t.gaps).to.equal(1);
    expect(t.missingSeqs).to.equal(1);
  });

  it('reports nothing for fewer than two frames', () => {
    const t = frameTiming([frame(0, 0)]);
    expect(t.jitterMs.n).to.equal(0);
    expect(t.gaps).to.equal(0);
  });
});
