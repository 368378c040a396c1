import { expect } from 'chai';
import { simulateRooms, type SimEngineSpec } from '../../../bench/scenarios/scheduler-sim.ts';
import type { SynthesisPolicy } from '../../../server/synthesis/synthesis-policy.ts';

/**
 * Rooms narrating at once through the real scheduler, narrators and room playouts (FIFO,
 * pre-buffer gate), consumed at real-time rate in virtual time. The engines are test doubles
 * with XTTS-like TTFB and RTF (estimates, see bench/scenarios/scheduler.ts): the real weights
 * cannot run here.
 */
const tiers: Record<string, { engine: SimEngineSpec; policy: SynthesisPolicy }> = {
  high: { engine: { ttfbMs: 200, rtf: 0.25 }, policy: { tier: 'high-end', streams: 3, yieldMs: 0, prebufferMs: 2500 } },
  mid: { engine: { ttfbMs: 300, rtf: 0.4 }, policy: { tier: 'mid-range', streams: 2, yieldMs: 0, prebufferMs: 1750 } },
  modest: { engine: { ttfbMs: 400, rtf: 0.8 }, policy: { tier: 'modest', streams: 1, yieldMs: 50, prebufferMs: 1250 } },
  cpu: { engine: { ttfbMs: 800, rtf: 2.5 }, policy: { tier: 'cpu', streams: 0, yieldMs: 0, prebufferMs: 750 } },
};

describe('synthesis scheduler simulation (simulated XTTS-like engines: test doubles, the real weights cannot run here)', () => {
  // Demand per room ≈ rtf + TTFB per chunk of ~6 s ≈ rtf + 0.05; capacity = streams (CPU: 1 job, and rtf > 1 means
  // only whole-narration buffering avoids underruns).
  for (const [name, rooms] of [['high', 8], ['mid', 4], ['modest', 1], ['cpu', 1]] as const) {
    it(`${name} tier, ${rooms} room(s) at once, demand within capacity: zero underruns, every room plays`, async () => {
      const r = await simulateRooms({ ...tiers[name], rooms, audioSeconds: 20 });
      expect(r.rooms.map((x) => x.underruns), 'underruns per room').to.deep.equal(r.rooms.map(() => 0));
      expect(r.rooms.every((x) => x.ttfaMs !== null && x.secondTtfaMs !== null)).to.equal(true);
      expect(r.maxInFlight).to.be.at.most(Math.max(1, tiers[name].policy.streams));
    });
  }

  it('demand above capacity (8 rooms on 2 mid-range streams): the rooms served first underrun first, the same every run', async () => {
    // Rooms submit in id order at equal lead, so fair queueing serves room-0 and room-1 first (2 streams); they start
    // playing first, on the smallest pre-buffer (the gate sized it from their uncontended first chunk), and drain
    // first once the other six rooms' chunks compete for the same streams. The order follows from the scheduler's
    // total order (deadline, fair-queueing tag, submit sequence): no randomness, no wall clock.
    const a = await simulateRooms({ ...tiers.mid, rooms: 8, audioSeconds: 20 });
    const b = await simulateRooms({ ...tiers.mid, rooms: 8, audioSeconds: 20 });
    expect(a.underrunOrder.length).to.be.greaterThan(0);
    expect(a.underrunOrder.slice(0, 2)).to.have.members(['room-0', 'room-1']);
    expect(b.underrunOrder).to.deep.equal(a.underrunOrder);
    expect(b.rooms.map((x) => x.firstUnderrunAtMs)).to.deep.equal(a.rooms.map((x) => x.firstUnderrunAtMs));
  });

  it('a fast engine starts sooner than the tier pre-buffer; one slower than real time waits instead of underrunning', async () => {
    const fast = await simulateRooms({ ...tiers.high, rooms: 1, audioSeconds: 20 });
    // The gate's threshold falls as it waits while the engine streams audio in, so what
    // the table hears is first audio well before the tier's default pre-buffer.
    expect(fast.rooms[0].ttfaMs!).to.be.below(tiers.high.policy.prebufferMs);
    expect(fast.rooms[0].underruns).to.equal(0);
    const slow = await simulateRooms({ ...tiers.cpu, rooms: 1, audioSeconds: 20 });
    expect(slow.rooms[0].underruns).to.equal(0);
    expect(slow.rooms[0].measuredRtf!).to.be.above(1);
  });
});
