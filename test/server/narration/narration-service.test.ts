import { expect } from 'chai';
import sinon from 'sinon';
import pino from 'pino';
import { NarrationService } from '../../../server/narration/narration-service.ts';
import { SynthesisScheduler } from '../../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource } from '../../../server/synthesis/synthesis-policy.ts';
import { NarrationMetrics } from '../../../server/observability/metrics.ts';
import { AppConfigSchema } from '../../../server/config/schema.ts';
import type { OpenRoomOptions } from '../../../server/playout/playout.ts';
import { SimulatedTtsEngine, VirtualPlayout } from '../../../bench/scenarios/scheduler-sim.ts';

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
