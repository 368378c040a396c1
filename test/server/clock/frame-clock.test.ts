import { expect } from 'chai';
import sinon from 'sinon';
import { FrameClock } from '../../../server/clock/frame-clock.ts';

describe('FrameClock', () => {
  describe('with fake timers', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: 1_000_000 });
    });
    afterEach(() => clock.restore());

    it('ticks once per 20 ms slot on the absolute schedule', () => {
      const slots: Array<[number, number]> = [];
      const fc = new FrameClock({ onTick: (slot, scheduled) => slots.push([slot, scheduled]), now: () => Date.now(), precise: 'none' });
      fc.start();
      clock.tick(100);
      fc.stop();
      expect(slots).to.deep.equal([0, 1, 2, 3, 4, 5].map((k) => [k, 1_000_000 + 20 * k]));
    });

    it('catches up after a stall: ticks equal elapsed slots, none skipped', () => {
      const slots: number[] = [];
      const fc = new FrameClock({ onTick: (slot) => slots.push(slot), now: () => Date.now(), precise: 'none' });
      fc.start();
      clock.tick(40);
      // The thread was blocked for 100 ms: wall time moves on, no timer ran.
      clock.setSystemTime(Date.now() + 100);
      clock.tick(20);
      fc.stop();
      const elapsedSlots = Math.floor((Date.now() - fc.startMs) / 20) + 1;
      expect(slots.length).to.equal(elapsedSlots);
      expect(slots).to.deep.equal(Array.from({ length: elapsedSlots }, (_, i) => i));
      expect(fc.stats().catchUpTicks).to.be.at.least(4);
    });

    it('keeps ticking when a tick throws and reports the error', () => {
      const errors: unknown[] = [];
      let n = 0;
      const fc = new FrameClock({
        onTick: () => {
          if (n++ === 1) throw new Error('boom');
        },
        onError: (e) => errors.push(e),
        now: () => Date.now(),
        precise: 'none',
      });
      fc.start();
      clock.tick(60);
      fc.stop();
      expect(n).to.equal(4);
      expect(errors).to.have.length(1);
    });

    it('stops ticking after stop()', () => {
      let n = 0;
      const fc = new FrameClock({ onTick: () => n++, now: () => Date.now(), precise: 'none' });
      fc.start();
      clock.tick(20);
      fc.stop();
      clock.tick(200);
      expect(n).to.equal(2);
    });
  });

  it('on a real thread stalled 100 ms, emits exactly one tick per elapsed slot', async () => {
    const nows: number[] = [];
    const fc = new FrameClock({ onTick: (_s, _sched, now) => nows.push(now) });
    fc.start();
    await new Promise((r) => setTimeout(r, 50));
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // stall the thread the clock runs on
    }
    await new Promise((r) => setTimeout(r, 50));
    fc.stop();
    const last = nows[nows.length - 1]!;
    expect(nows.length).to.equal(Math.floor((last - fc.startMs) / 20) + 1);
    expect(fc.stats().catchUpTicks).to.be.at.least(3);
  });
});
