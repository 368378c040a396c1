import 'reflect-metadata';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { AppConfigSchema } from '../../../server/config/schema.ts';
import { ThreadedPlayout } from '../../../server/playout/threaded-playout.ts';
import type { OpenRoomOptions, PlayoutEvent } from '../../../server/playout/playout.ts';
import { defaultSinkWorkers } from '../../../server/sinks/sink-worker-pool.ts';
import { captureFrames } from '../../support/captured-frames.ts';

const FIXTURE_PLUGINS = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url));
const configWith = (capture: Record<string, unknown>, sinkWorkers?: number) =>
  AppConfigSchema.parse({
    plugins: { 'capture-sink': capture, 'instant-engine': {} }, pluginDirs: [FIXTURE_PLUGINS], engine: 'instant', sinks: ['capture'],
    log: { level: 'silent' }, ...(sinkWorkers === undefined ? {} : { playout: { sinkWorkers } }),
  });
const room: OpenRoomOptions = { sampleRate: 22_050, sinks: ['capture'], prebufferMs: 40, maxBufferedMs: 10_000 };

const capture = captureFrames;

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SinkWorkerPool (real playout worker and sink worker threads)', function () {
  this.timeout(60_000);
  let playout: ThreadedPlayout | undefined;
  let cap: ReturnType<typeof capture>;
  beforeEach(() => (cap = capture()));
  afterEach(async () => {
    cap.close();
    await playout?.close();
    playout = undefined;
  });

  it('runs a networkThread sink on a sink worker: every frame, in order, with its due time', async () => {
    playout = await ThreadedPlayout.start({ config: configWith({ networkThread: true }, 1) });
    await playout.openRoom('r1', room);
    await until(() => cap.of('r1').length >= 50, 20_000, '50 frames');
    const frames = cap.of('r1');
    expect(frames.every((f) => f.onSinkWorker), 'written on the sink worker').to.equal(true);
    expect(frames.map((f) => f.seq)).to.deep.equal(frames.map((_, i) => i));
    for (const f of frames) {
      expect(f.dueMs, `due time of frame ${f.seq}`).to.be.a('number');
      expect(f.timeMs, 'handed over at or after its due time').to.be.at.least(f.dueMs!);
    }
    // Slots are 20 ms apart on the clock's absolute schedule.
    expect(frames[49]!.dueMs! - frames[0]!.dueMs!).to.be.closeTo(49 * 20, 1e-6);
  });

  it('keeps a sink on the clock thread with playout.sinkWorkers 0 (the behaviour before issue 13)', async () => {
    playout = await ThreadedPlayout.start({ config: configWith({ networkThread: true }, 0) });
    await playout.openRoom('r1', room);
    await until(() => cap.of('r1').length >= 5, 20_000, '5 frames');
    expect(cap.of('r1').some((f) => f.onSinkWorker)).to.equal(false);
  });

  it("reports a remote sink's write error as a sink-error event naming the sink, and closes that sink", async () => {
    playout = await ThreadedPlayout.start({ config: configWith({ networkThread: true, throwAtSeq: 10 }, 1) });
    const events: PlayoutEvent[] = [];
    playout.onEvent((e) => events.push(e));
    await playout.openRoom('r1', room);
    await until(() => events.some((e) => e.type === 'sink-error'), 20_000, 'sink-error');
    expect(events.find((e) => e.type === 'sink-error')).to.deep.include({ roomId: 'r1', sink: 'capture', message: 'capture sink told to fail at seq 10' });
    await new Promise((r) => setTimeout(r, 200)); // ten more frames' time: none may reach the closed sink
    expect(cap.of('r1').map((f) => f.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('closing a room waits until its remote sinks have closed', async () => {
    const closeDelayMs = 300;
    playout = await ThreadedPlayout.start({ config: configWith({ networkThread: true, closeDelayMs }, 1) });
    await playout.openRoom('r1', room);
    await until(() => cap.of('r1').length >= 3, 20_000, '3 frames');
    const t0 = performance.now();
    await playout.closeRoom('r1');
    expect(performance.now() - t0, 'closeRoom time, ms').to.be.at.least(closeDelayMs - 1);
  });

  it('sizes the default from the cores: half, at least 1, at most 4', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((c) => defaultSinkWorkers(c))).to.deep.equal([1, 1, 1, 2, 4, 4, 4]);
  });
});
