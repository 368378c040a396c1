import { expect } from 'chai';
import sinon from 'sinon';
import pino from 'pino';
import { NarrationService } from '../../../server/narration/narration-service.ts';
import { SynthesisScheduler } from '../../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource } from '../../../server/synthesis/synthesis-policy.ts';
import { NarrationMetrics } from '../../../server/observability/metrics.ts';
import { AppConfigSchema } from '../../../server/config/schema.ts';
import type { OpenRoomOptions } from '../../../server/playout/playout.ts';
import { SimulatedTtsEngine, VirtualPlayout, passageOfSeconds } from '../../../bench/scenarios/scheduler-sim.ts';
import v8 from 'node:v8';
import vm from 'node:vm';
import { nowMs } from '../../../server/threads/spawn-worker.ts';

class OptionsPlayout extends VirtualPlayout {
  readonly opened: OpenRoomOptions[] = [];
  override async openRoom(roomId: string, o: OpenRoomOptions): Promise<void> {
    this.opened.push(o);
    await super.openRoom(roomId, o);
  }
}

describe('NarrationService', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })));
  afterEach(() => clock.restore());

  const config = AppConfigSchema.parse({ sinks: [], plugins: {}, playout: { prebufferMs: 250 } });
  const engine = new SimulatedTtsEngine({ ttfbMs: 100, rtf: 0.3 });

  it('opens rooms with the pre-buffer of the synthesis policy (the GPU tier), not the config one', async () => {
    const playout = new OptionsPlayout();
    const scheduler = new SynthesisScheduler({ engine, policy: fixedPolicySource({ tier: 'mid-range', streams: 2, yieldMs: 0, prebufferMs: 1750 }) });
    const service = new NarrationService(config, engine, playout, new NarrationMetrics(), pino({ level: 'silent' }), scheduler);
    await service.openRoom('a', {});
    expect(playout.opened[0].prebufferMs).to.equal(1750);
    expect(service.scheduler).to.equal(scheduler);
    await service.close();
    await playout.close();
  });

  it('without a scheduler, builds its own with the core default policy and the config pre-buffer', async () => {
    const playout = new OptionsPlayout();
    const service = new NarrationService(config, engine, playout, new NarrationMetrics(), pino({ level: 'silent' }));
    await service.openRoom('a', {});
    expect(playout.opened[0].prebufferMs).to.equal(250);
    expect(service.scheduler.policy).to.deep.include({ tier: 'default', streams: 2 });
    await service.close();
    await playout.close();
  });
});

describe('NarrationService reports', () => {
  const config = AppConfigSchema.parse({ sinks: [], plugins: {}, playout: { prebufferMs: 250 } });

  it("releases a closed room's reports: 100 rooms narrating long texts, then closed, leave none behind", async function () {
    this.timeout(60_000);
    const engine = new SimulatedTtsEngine({ ttfbMs: 5, rtf: 0.05 });
    const playout = new VirtualPlayout();
    const service = new NarrationService(config, engine, playout, new NarrationMetrics(), pino({ level: 'silent' }));
    const text = passageOfSeconds(1300, 15); // ~19 500 characters, near limits.maxTextChars
    /** One room's life; its own frame, so no local of the test's keeps the last room reachable. */
    const roomLife = async (roomId: string): Promise<Array<WeakRef<object>>> => {
      const narrator = await service.openRoom(roomId, {});
      const n = narrator.narrate(text, { trigger: 'dm:text', priority: 'queue', receivedAtMs: nowMs() });
      narrator.cancel(nowMs());
      await n.done;
      // While the room is open, its report is there, text and all.
      const room = service.report().rooms.find((r) => r.roomId === roomId)!;
      expect(room.narrations.map((r) => r.text.length)).to.deep.equal([text.length]);
      await service.closeRoom(roomId);
      expect(service.report().rooms.map((r) => r.roomId), `after closing ${roomId}`).to.deep.equal([]);
      return [new WeakRef(room), new WeakRef(room.narrations[0]!)];
    };
    try {
      const released: Array<WeakRef<object>> = [];
      for (let i = 0; i < 100; i++) released.push(...(await roomLife(`room-${i}`)));
      // Nothing else kept them either (listeners, metrics, the playout's routing).
      await new Promise((r) => setTimeout(r, 50));
      v8.setFlagsFromString('--expose-gc');
      (vm.runInNewContext('gc') as () => void)();
      expect(released.filter((ref) => ref.deref() !== undefined).length, 'reports still reachable after GC').to.equal(0);
    } finally {
      await service.close();
      await playout.close();
    }
  });

  it("keeps an open room's reports to the last 1 M characters of text", async function () {
    this.timeout(60_000);
    const engine = new SimulatedTtsEngine({ ttfbMs: 5, rtf: 0.05 });
    const playout = new VirtualPlayout();
    const service = new NarrationService(config, engine, playout, new NarrationMetrics(), pino({ level: 'silent' }));
    const text = passageOfSeconds(1300, 15);
    try {
      const narrator = await service.openRoom('long-session', {});
      for (let i = 0; i < 60; i++) {
        const n = narrator.narrate(text, { trigger: 'dm:text', priority: 'queue', receivedAtMs: nowMs() });
        narrator.cancel(nowMs());
        await n.done;
      }
      const kept = service.report().rooms[0]!.narrations;
      expect(kept.length).to.equal(Math.floor(1_000_000 / text.length));
      expect(kept.reduce((s, r) => s + r.text.length, 0)).to.be.at.most(1_000_000);
    } finally {
      await service.close();
      await playout.close();
    }
  });
});

describe('NarrationService.startRoom', () => {
  const config = AppConfigSchema.parse({ sinks: [], plugins: {}, playout: { prebufferMs: 250 } });

  /** A playout whose sinks fail to start, some time after it took the room (as a device or a file can). */
  class FailingPlayout extends VirtualPlayout {
    override async openRoom(roomId: string, o: OpenRoomOptions): Promise<void> {
      await super.openRoom(roomId, o);
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('sink "speaker" could not start');
    }
  }

  it('takes narrations before the playout is open; when it fails to open, ends them as cancelled and frees the id', async () => {
    const playout = new FailingPlayout();
    const service = new NarrationService(config, new SimulatedTtsEngine({ ttfbMs: 5, rtf: 0.05 }), playout, new NarrationMetrics(), pino({ level: 'silent' }));
    try {
      const { narrator, ready } = service.startRoom('a', {});
      const n = narrator.narrate('The gate is shut for the night.', { trigger: 'server:text', priority: 'queue', receivedAtMs: nowMs() });
      expect(service.roomCount).to.equal(1);
      const err = await ready.then(() => null, (e: Error) => e);
      expect(err?.message).to.equal('sink "speaker" could not start');
      expect((await n.done).cancelled).to.equal(true);
      expect(service.roomCount).to.equal(0);
      expect(() => narrator.narrate('Again.', { trigger: 'server:text', priority: 'queue', receivedAtMs: nowMs() })).to.throw(/closed/);
      const again = service.startRoom('a', {});
      await again.ready.catch(() => undefined);
    } finally {
      await service.close();
      await playout.close();
    }
  });
});
