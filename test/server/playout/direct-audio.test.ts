import 'reflect-metadata';
import { expect } from 'chai';
import pino from 'pino';
import { AppConfigSchema } from '../../../server/config/schema.ts';
import { ThreadedPlayout } from '../../../server/playout/threaded-playout.ts';
import { EspeakEngine } from '../../../plugins/tts-espeak/espeak-engine.ts';
import { espeakOptionsSchema } from '../../../plugins/tts-espeak/options.ts';
import { SynthesisScheduler } from '../../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource } from '../../../server/synthesis/synthesis-policy.ts';
import { RoomNarrator } from '../../../server/narration/room-narrator.ts';
import { NarrationMetrics } from '../../../server/observability/metrics.ts';
import { receivedDuringStall } from '../../support/stall.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The first chunk is short (the chunker's first-chunk rule: about a second of audio), the next one several seconds. */
const TEXT = 'The gate groans open. Beyond it, a long hall stretches into darkness, its walls hung with the banners of forgotten kings.';
/**
 * How long the test blocks the main thread, ms: far longer than espeak-ng needs for the first chunk
 * (≈ 30 ms warm), so a loaded machine still delivers it within the stall.
 */
const STALL_MS = 1000;

/**
 * The real espeak-ng engine, synthesis scheduler, room narrator and playout thread (issue 13): a
 * connected engine's worker posts audio straight to the playout thread, so the room's FIFO keeps
 * filling while the main thread (the game loop) is blocked; an engine whose audio comes through the
 * main thread (not connected) delivers nothing until the main thread runs again.
 */
describe('audio from the engine worker to the FIFO without the main thread (real espeak-ng, issue 13)', function () {
  this.timeout(120_000);
  let playout: ThreadedPlayout;
  const config = AppConfigSchema.parse({ sinks: [] });

  before(async () => {
    playout = await ThreadedPlayout.start({ config });
  });
  after(() => playout.close());

  async function setup(roomId: string, direct: boolean) {
    const engine = new EspeakEngine(espeakOptionsSchema.parse({ workers: 1 }), pino({ level: 'silent' }));
    await engine.init();
    if (direct) engine.direct.connect(() => playout.openSource());
    const scheduler = new SynthesisScheduler({ engine, policy: fixedPolicySource({ tier: 't', streams: 1, yieldMs: 0, prebufferMs: 300 }) });
    await playout.openRoom(roomId, { sampleRate: engine.sampleRate, sinks: [], prebufferMs: 300, maxBufferedMs: 30_000 });
    const narrator = new RoomNarrator({
      roomId, engine, playout, language: 'en', maxQueued: 8, metrics: new NarrationMetrics(),
      log: pino({ level: 'silent' }), listener: {}, scheduler,
    });
    const off = playout.onEvent((e) => {
      if (e.roomId === roomId) narrator.handlePlayoutEvent(e);
    });
    return {
      engine, narrator,
      close: async () => {
        off();
        scheduler.close();
        await playout.closeRoom(roomId);
        await engine.close();
      },
    };
  }

  const stall = (roomId: string, engine: EspeakEngine, narrator: RoomNarrator) =>
    receivedDuringStall({ playout, roomId, narrator, text: TEXT, started: () => engine.status().workers[0]!.busy, stallMs: STALL_MS });

  it('fills the FIFO while the main thread is blocked, and the narration plays whole', async () => {
    const { engine, narrator, close } = await setup('direct', true);
    try {
      const { grewMs, report } = await stall('direct', engine, narrator);
      // Only the engine worker → playout thread path can deliver while this thread spins: the first
      // chunk (≈ 1.1 s of audio; espeak needs well under the stall to make it) arrives meanwhile.
      expect(grewMs, `audio that reached the FIFO during a ${STALL_MS} ms stall`).to.be.greaterThan(500);
      const r = await report;
      expect(r).to.deep.include({ cancelled: false, error: null });
      expect(r.audioMs, 'all of it played').to.be.greaterThan(5_000);
      expect(playout.receivedMs('direct'), 'what reached the FIFO').to.be.closeTo(r.audioMs, 100);
    } finally {
      await close();
    }
  });

  it('control: audio relayed through the main thread (an engine not connected) does not arrive while it is blocked', async () => {
    const { engine, narrator, close } = await setup('relayed', false);
    try {
      const { grewMs, report } = await stall('relayed', engine, narrator);
      // Nothing of the chunk had reached this thread when it stalled (at most one espeak block, ~0.2 s, could be on its way).
      expect(grewMs).to.be.below(200);
      expect(await report).to.deep.include({ cancelled: false, error: null });
    } finally {
      await close();
    }
  });
});
