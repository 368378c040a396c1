import { expect } from 'chai';
import sinon from 'sinon';
import pino from 'pino';
import { RoomNarrator } from '../../../server/narration/room-narrator.ts';
import { SynthesisScheduler } from '../../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource } from '../../../server/synthesis/synthesis-policy.ts';
import { abortError, type TtsChunk } from '../../../server/synthesis/tts-engine.ts';
import { NarrationMetrics } from '../../../server/observability/metrics.ts';
import type { OpenRoomOptions } from '../../../server/playout/playout.ts';
import { SimulatedTtsEngine, VirtualPlayout, passageOfSeconds } from '../../../bench/scenarios/scheduler-sim.ts';

/** A simulated engine (test double for a GPU engine) whose chunk 0 starts late: later chunks finish first. */
class SlowFirstChunkEngine extends SimulatedTtsEngine {
  inFlight = 0;
  maxInFlight = 0;
  readonly finishedOrder: number[] = [];
  override async *synthesize(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (chunk.index === 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, 3000);
          signal.addEventListener('abort', () => (clearTimeout(t), reject(abortError(signal))), { once: true });
        });
      }
      yield* super.synthesize(chunk, voice, signal);
      this.finishedOrder.push(chunk.index);
    } finally {
      this.inFlight--;
    }
  }
}

/** Records the chunk index of every block that enters a room's FIFO (after the assembly), in order. */
class RecordingPlayout extends VirtualPlayout {
  readonly pushed: number[] = [];
  override async openRoom(roomId: string, o: OpenRoomOptions): Promise<void> {
    await super.openRoom(roomId, o);
    const playout = this.rooms.get(roomId)!.playout;
    const push = playout.push.bind(playout);
    playout.push = (narrationId, chunkIndex, samples, now) => {
      this.pushed.push(chunkIndex);
      push(narrationId, chunkIndex, samples, now);
    };
  }
}

/** About 20 s of speech at 15 characters per second: several chunks. */
const TEXT = passageOfSeconds(20, 15);

describe('RoomNarrator (through the synthesis scheduler)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  });
  afterEach(() => clock.restore());

  async function setup(streams: number) {
    const engine = new SlowFirstChunkEngine({ ttfbMs: 100, rtf: 0.2 });
    const playout = new RecordingPlayout();
    const scheduler = new SynthesisScheduler({ engine, policy: fixedPolicySource({ tier: 't', streams, yieldMs: 0, prebufferMs: 500 }) });
    await playout.openRoom('r', { sampleRate: engine.sampleRate, sinks: [], prebufferMs: 500, maxBufferedMs: 15_000 });
    const narrator = new RoomNarrator({
      roomId: 'r', engine, playout, language: 'en', maxQueued: 8, metrics: new NarrationMetrics(),
      log: pino({ level: 'silent' }), listener: {}, scheduler,
    });
    playout.onEvent((e) => narrator.handlePlayoutEvent(e));
    return { engine, playout, scheduler, narrator };
  }

  it('hands blocks to the playout in chunk order even when the next chunk finishes first, and keeps two chunks outstanding', async () => {
    const { engine, playout, narrator } = await setup(3);
    const narration = narrator.narrate(TEXT, { trigger: 'test', priority: 'queue', receivedAtMs: Date.now() });
    expect(narration.chunks.length, 'the text needs several chunks').to.be.greaterThan(2);
    let report = null;
    void narration.done.then((r) => (report = r));
    for (let i = 0; i < 400 && !report; i++) await clock.tickAsync(100);
    expect(report, 'narration ended').to.not.equal(null);
    expect(engine.finishedOrder[0], 'chunk 1 finished before chunk 0').to.equal(1);
    expect(playout.pushed).to.deep.equal([...playout.pushed].sort((a, b) => a - b));
    expect(new Set(playout.pushed).size).to.equal(narration.chunks.length);
    expect(engine.maxInFlight, 'at most N and N+1 of one narration at once, though 3 streams are free').to.equal(2);
    expect(report!).to.deep.include({ underruns: 0, cancelled: false });
  });

  it('cancel aborts the narration\'s running and queued jobs; nothing of it is played after', async () => {
    const { engine, playout, scheduler, narrator } = await setup(1);
    const narration = narrator.narrate(TEXT, { trigger: 'test', priority: 'queue', receivedAtMs: Date.now() });
    await clock.tickAsync(500);
    expect(scheduler.stats()).to.deep.include({ inFlight: 1, queued: 1 });
    narrator.cancel(Date.now());
    await clock.tickAsync(100);
    expect(scheduler.stats()).to.deep.include({ inFlight: 0, queued: 0 });
    expect(engine.finishedOrder).to.deep.equal([]);
    expect(playout.pushed).to.deep.equal([]);
    let report = null;
    void narration.done.then((r) => (report = r));
    await clock.tickAsync(1000);
    expect(report).to.deep.include({ cancelled: true });
  });
});
