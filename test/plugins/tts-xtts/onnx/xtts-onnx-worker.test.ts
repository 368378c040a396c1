import 'reflect-metadata';
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AppConfigSchema } from '../../../../server/config/schema.ts';
import { ModelManager } from '../../../../server/models/model-manager.ts';
import { RoomNarrator } from '../../../../server/narration/room-narrator.ts';
import { NarrationMetrics } from '../../../../server/observability/metrics.ts';
import { ThreadedPlayout } from '../../../../server/playout/threaded-playout.ts';
import { receivedDuringStall } from '../../../support/stall.ts';
import { SynthesisScheduler } from '../../../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource } from '../../../../server/synthesis/synthesis-policy.ts';
import { isAbortError, type TtsChunk } from '../../../../server/synthesis/tts-engine.ts';
import { xttsOptionsSchema } from '../../../../plugins/tts-xtts/options.ts';
import { XttsEngine } from '../../../../plugins/tts-xtts/xtts-engine.ts';
import { XttsOnnxBackend, type XttsWorkerModel } from '../../../../plugins/tts-xtts/onnx/xtts-onnx-backend.ts';
import type { Worker } from 'node:worker_threads';
import type { XttsStage } from '../../../../plugins/tts-xtts/onnx/xtts-inference.ts';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx');
const TINY = join(FIXTURES, 'tiny');
const log = pino({ level: 'silent' });
/** One chunk: the tiny fixture generates its cap of 45 tokens whatever the text (random weights, greedy). */
const TEXT = 'The gate groans open.';
/**
 * How long the test blocks the main thread, ms: far longer than the worker needs for the tiny fixture's
 * chunk (45 GPT steps of a 2-layer, 64-wide model and three vocoder runs: well under 100 ms warm here).
 */
const STALL_MS = 2000;

/**
 * The tiny fixture with `gpt_max_audio_tokens` raised to 605 (XTTS-v2's own value, 602 generated tokens;
 * its position table has 608 rows): a chunk long enough that a cancel certainly lands mid-decode.
 */
function longFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xtts-onnx-long-'));
  for (const name of readdirSync(TINY)) if (name !== 'config.json') symlinkSync(join(TINY, name), join(dir, name));
  const config = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as { model_args: Record<string, number> };
  config.model_args.gpt_max_audio_tokens = 605;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/**
 * The `onnx` backend's worker thread (issue 13): the real XttsEngine on the tiny random-weight fixture, the
 * real synthesis scheduler, room narrator and playout thread. The onnxruntime sessions and the inference
 * loop run on the backend's worker, which posts audio straight to the playout thread; cancellation reaches
 * it between two decode steps.
 */
describe('XTTS onnx backend on its worker thread (tiny fixture, random weights; issue 13)', function () {
  this.timeout(120_000);
  let voicesDir: string;
  let models: ModelManager;
  const engines: XttsEngine[] = [];

  function engine(extra: Record<string, unknown> = {}, deps: { onStage?: (stage: XttsStage, ms: number) => void } = {}): { engine: XttsEngine; backend: () => XttsOnnxBackend } {
    const options = xttsOptionsSchema.parse({ backend: 'onnx', modelDir: TINY, voicesDir, voices: { dm: { wav: 'ref.wav' } }, decoding: 'greedy', ...extra });
    let backend: XttsOnnxBackend | undefined;
    const e = new XttsEngine(options, log, models, undefined, (o, l, d) => (backend = new XttsOnnxBackend(o, l, { ...d, ...deps })));
    engines.push(e);
    return { engine: e, backend: () => backend! };
  }

  beforeEach(() => {
    voicesDir = mkdtempSync(join(tmpdir(), 'xtts-onnx-voices-'));
    mkdirSync(voicesDir, { recursive: true });
    copyFileSync(join(FIXTURES, 'reference', 'ref.wav'), join(voicesDir, 'ref.wav'));
    models = new ModelManager({ log });
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await models.close();
    rmSync(voicesDir, { recursive: true, force: true });
  });

  describe('audio from the worker to the FIFO without the main thread (real playout thread)', () => {
    let playout: ThreadedPlayout;
    before(async () => {
      playout = await ThreadedPlayout.start({ config: AppConfigSchema.parse({ sinks: [] }) });
    });
    after(() => playout.close());

    async function setup(roomId: string, direct: boolean) {
      const { engine: e, backend } = engine();
      await e.init();
      if (direct) e.direct!.connect(() => playout.openSource());
      const scheduler = new SynthesisScheduler({ engine: e, policy: fixedPolicySource({ tier: 't', streams: 1, yieldMs: 0, prebufferMs: 300 }) });
      await playout.openRoom(roomId, { sampleRate: e.sampleRate, sinks: [], prebufferMs: 300, maxBufferedMs: 30_000 });
      const narrator = new RoomNarrator({
        roomId, engine: e, playout, language: 'en', maxQueued: 8, metrics: new NarrationMetrics(), log, listener: {}, scheduler,
      });
      const off = playout.onEvent((ev) => {
        if (ev.roomId === roomId) narrator.handlePlayoutEvent(ev);
      });
      return {
        narrator, backend: backend(),
        close: async () => {
          off();
          scheduler.close();
          await playout.closeRoom(roomId);
        },
      };
    }

    const stall = (roomId: string, backend: XttsOnnxBackend, narrator: RoomNarrator) =>
      receivedDuringStall({ playout, roomId, narrator, text: TEXT, started: () => backend.requestsInFlight === 1, stallMs: STALL_MS });

    it('fills the FIFO while the main thread is blocked, and the chunk plays whole', async () => {
      const { narrator, backend, close } = await setup('xtts-direct', true);
      try {
        const { grewMs, report } = await stall('xtts-direct', backend, narrator);
        // 45 tokens ≈ 45 × 1114.6 samples less the held-back 1024 ≈ 2.05 s at 24 kHz; only the worker →
        // playout thread path can deliver any of it while this thread spins.
        const r = await report;
        expect(r).to.deep.include({ cancelled: false, error: null });
        expect(r.audioMs, 'the whole chunk').to.be.within(1_800, 2_100);
        // All of it (the report counts whole 20 ms frames).
        expect(grewMs, `audio that reached the FIFO during the ${STALL_MS} ms stall`).to.be.closeTo(r.audioMs, 20);
      } finally {
        await close();
      }
    });

    it('control: relayed through the main thread (not connected), nothing arrives while it is blocked', async () => {
      const { narrator, backend, close } = await setup('xtts-relayed', false);
      try {
        const { grewMs, report } = await stall('xtts-relayed', backend, narrator);
        expect(grewMs).to.equal(0);
        expect(await report).to.deep.include({ cancelled: false, error: null });
      } finally {
        await close();
      }
    });
  });

  it('stops a chunk mid-decode at the next step when its signal aborts, releases the lease, and the worker goes on', async () => {
    const dir = longFixture();
    try {
      const stages: XttsStage[] = [];
      let onDecode: ((steps: number) => void) | undefined;
      // streamChunkSize above the cap: no block before the end, so only the signal can end a chunk early.
      const { engine: e } = engine({ modelDir: dir, streamChunkSize: 400 }, {
        onStage: (stage) => {
          stages.push(stage);
          if (stage === 'decode') onDecode?.(stages.filter((s) => s === 'decode').length);
        },
      });
      await e.init();
      const chunk: TtsChunk = { narrationId: 'n1', index: 0, text: TEXT, language: 'en' };
      // A full chunk first, to know how many steps one takes (greedy: the same every time).
      stages.length = 0;
      for await (const _ of e.synthesize(chunk, undefined, new AbortController().signal)) { /* drain */ }
      const fullSteps = stages.filter((s) => s === 'decode').length;
      stages.length = 0;
      const ac = new AbortController();
      const ABORT_AT = 5;
      onDecode = (steps) => {
        if (steps === ABORT_AT) ac.abort();
      };
      let err: unknown;
      let blocks = 0;
      try {
        for await (const _ of e.synthesize(chunk, undefined, ac.signal)) blocks++;
      } catch (x) {
        err = x;
      }
      onDecode = undefined;
      const steps = stages.filter((s) => s === 'decode').length;
      console.log(`      full chunk: ${fullSteps} decode steps; aborted after step ${ABORT_AT}: the worker ran ${steps}`);
      expect(isAbortError(err), String(err)).to.equal(true);
      expect(blocks).to.equal(0);
      expect(fullSteps, 'the long fixture decodes far past the abort').to.be.greaterThan(100);
      // Every stage the worker ran is reported before its final reply, so this is all it did: it stopped
      // mid-decode, and never ran the vocoder that ends a chunk.
      expect(steps).to.be.within(ABORT_AT, fullSteps - 1);
      expect(stages).to.not.include('vocoder');
      expect(models.status().every((s) => s.leases === 0), 'leases released').to.equal(true);
      let after = 0;
      for await (const b of e.synthesize(chunk, undefined, new AbortController().signal)) after += b.length;
      expect(after, 'the next chunk on the same worker').to.be.greaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the chunk naming the exit code when the worker dies mid-decode, and loads the model on a new worker for the next', async () => {
    const dir = longFixture();
    try {
      let onDecode: (() => void) | undefined;
      const { engine: e, backend } = engine({ modelDir: dir }, { onStage: (stage) => stage === 'decode' && onDecode?.() });
      await e.init();
      const id = backend().modelId;
      const { model } = await models.acquire<XttsWorkerModel>(id).then((lease) => (lease.release(), lease));
      // A protocol error is what ends this worker on its own (xtts-onnx-worker.ts); nothing else can be provoked from outside.
      onDecode = () => {
        onDecode = undefined;
        (model.thread as unknown as { worker: Worker }).worker.postMessage({ type: 'explode' });
      };
      const chunk: TtsChunk = { narrationId: 'n1', index: 0, text: TEXT, language: 'en' };
      let err: Error | undefined;
      try {
        for await (const _ of e.synthesize(chunk, undefined, new AbortController().signal)) { /* drain */ }
      } catch (x) {
        err = x as Error;
      }
      console.log(`      ${err?.message}`);
      expect(err?.message).to.match(/^XTTS chunk n1#0 failed after \d+ samples: XTTS onnx worker \(thread \d+\) died with exit code 1: xtts onnx worker: unknown message type "explode"/);
      expect(model.thread.alive).to.equal(false);
      let samples = 0;
      for await (const b of e.synthesize(chunk, undefined, new AbortController().signal)) samples += b.length;
      expect(samples, 'the next chunk').to.be.greaterThan(0);
      const [status] = models.status();
      expect(status).to.deep.include({ state: 'ready', leases: 0 });
      const again = await models.acquire<XttsWorkerModel>(id);
      again.release();
      expect(again.model.thread, 'a new worker').to.not.equal(model.thread);
      expect(again.model.thread.alive).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
