import { expect } from 'chai';
import { estimateSlotPhase, nextSlotAtOrAfter } from '../../bench/clock-phase.ts';
import { seededRandom } from '../../bench/util.ts';

/** Frame times of a clock with slot 0 at t0: mostly on time (< 0.3 ms late), every 7th tick 1–9 ms late. */
function frameTimes(t0: number, count: number, seed = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, k) => t0 + k * 20 + (k % 7 === 3 ? 1 + 8 * random() : 0.3 * random()));
}

const mod20 = (t: number) => ((t % 20) + 20) % 20;

describe('estimateSlotPhase', () => {
  it('finds the grid of a clock whose ticks are a little late, ignoring the much later ones', () => {
    const t0 = 1_700_000_000_123.4;
    const phase = estimateSlotPhase(frameTimes(t0, 500));
    expect(Math.abs(mod20(phase) - mod20(t0))).to.be.below(0.1);
  });

  it('finds a grid that sits at the wrap of the 20 ms period', () => {
    const t0 = 1_700_000_000_019.9; // on-time ticks fold to 19.9..20.2, across the wrap
    const phase = estimateSlotPhase(frameTimes(t0, 500, 2));
    const err = Math.abs(mod20(phase) - mod20(t0));
    expect(Math.min(err, 20 - err)).to.be.below(0.1);
  });

  it('throws for no frames', () => {
    expect(() => estimateSlotPhase([])).to.throw(RangeError, /at least one/);
  });
});

describe('nextSlotAtOrAfter', () => {
  it('returns the slot itself for a time on the grid and the next slot otherwise', () => {
    expect(nextSlotAtOrAfter(1040, 1000)).to.equal(1040);
    expect(nextSlotAtOrAfter(1040.5, 1000)).to.equal(1060);
    expect(nextSlotAtOrAfter(995, 1000)).to.equal(1000);
  });
});
