import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as wavefileNs from 'wavefile';
import { AppConfigSchema } from '../../../server/config/schema.ts';
import { ThreadedPlayout } from '../../../server/playout/threaded-playout.ts';
import type { ChunkRoute, OpenRoomOptions, PlayoutEvent, ShapingParams } from '../../../server/playout/playout.ts';
import { nowMs } from '../../../server/threads/spawn-worker.ts';
import type { CapturedFrame } from '../../fixtures/plugins/capture-sink/index.ts';
import { captureFrames } from '../../support/captured-frames.ts';

const { WaveFile } = 'WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default;
const RATE = 22050;
/** test/fixtures/plugins: the `capture` sink is mounted from there through config `pluginDirs`, as any plugin is. */
const FIXTURE_PLUGINS = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url));
const configWith = (capture: Record<string, unknown> = {}) =>
  AppConfigSchema.parse({
    plugins: { 'capture-sink': capture, 'instant-engine': {} }, pluginDirs: [FIXTURE_PLUGINS], engine: 'instant', sinks: ['capture'], log: { level: 'silent' },
  });
const config = configWith();
const room = (over: Partial<OpenRoomOptions> = {}): OpenRoomOptions => ({
  sampleRate: RATE, sinks: ['capture'], prebufferMs: 40, maxBufferedMs: 10_000, ...over,
});
const tone = (ms: number, v = 0.3) => new Float32Array(Math.round((RATE * ms) / 1000)).fill(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** No seams, no loudness: blocks reach the FIFO as sent, but for the 5 ms join fades at chunk edges. */
const UNSHAPED: ShapingParams = { seams: false, silenceThreshold: 0, gain: 1, ceilingDbtp: null, meter: false };
/** Chunks sent per room and narration, for endNarration. */
const sent = new Map<string, number>();
function begin(p: ThreadedPlayout, roomId: string, narrationId: string): void {
  p.beginNarration(roomId, narrationId);
  p.shapeNarration(roomId, narrationId, UNSHAPED);
}
/** Sends one whole chunk, relayed through this thread as an engine without a direct path does. */
function push(p: ThreadedPlayout, roomId: string, narrationId: string, order: number, samples: Float32Array): void {
  const route: ChunkRoute = { roomId, narrationId, chunkIndex: order, order, pauseAfterMs: 0, last: false };
  p.pushBlock(route, samples);
  p.endChunk(route);
  const key = `${roomId}/${narrationId}`;
  sent.set(key, Math.max(sent.get(key) ?? 0, order + 1));
}
function finish(p: ThreadedPlayout, roomId: string, narrationId: string): void {
  p.endNarration(roomId, narrationId, sent.get(`${roomId}/${narrationId}`) ?? 0);
}

const capture = captureFrames;

function expectContinuous(frames: CapturedFrame[], maxGapMs: number): void {
  expect(frames.length).to.be.greaterThan(5);
  frames.forEach((f, i) => expect(f.seq, `frame ${i}`).to.equal(frames[0]!.seq + i));
  for (let i = 1; i < frames.length; i++) {
    expect(frames[i]!.timeMs - frames[i - 1]!.timeMs, `gap before seq ${frames[i]!.seq}`).to.be.at.most(maxGapMs);
  }
}

describe('ThreadedPlayout', function () {
  this.timeout(30_000);
  let playout: ThreadedPlayout;
  let cap: ReturnType<typeof capture>;
  let events: PlayoutEvent[];
  let unsubscribe: () => void;

  before(async () => {
    playout = await ThreadedPlayout.start({ config });
  });
  after(() => playout.close());
  beforeEach(() => {
    cap = capture();
    events = [];
    unsubscribe = playout.onEvent((e) => events.push(e));
  });
  afterEach(() => {
    unsubscribe();
    cap.close();
  });

  it('keeps frames continuous with no gap > 60 ms while the main thread busy-loops 100 ms', async () => {
    await playout.openRoom('stall', room());
    begin(playout, 'stall', 'n1');
    push(playout, 'stall', 'n1', 0, tone(1500));
    finish(playout, 'stall', 'n1');
    await sleep(300);
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // the game loop stalls
    }
    await sleep(300);
    await playout.closeRoom('stall');
    await sleep(50);
    const frames = cap.of('stall');
    expectContinuous(frames, 60);
    expect(frames[0]!.seq).to.equal(0);
    const audible = frames.filter((f) => f.narrationId === 'n1');
    // Audio never goes silent mid-narration during the stall.
    const firstAudible = frames.indexOf(audible[0]!);
    expect(frames.slice(firstAudible, firstAudible + audible.length).every((f) => f.narrationId === 'n1' && f.energy > 0)).to.equal(true);
  });

  it('counts underruns when audio arrives slower than real time', async () => {
    await playout.openRoom('slow', room({ prebufferMs: 20 }));
    begin(playout, 'slow', 'n1');
    for (let i = 0; i < 4; i++) {
      push(playout, 'slow', 'n1', i, tone(60));
      await sleep(200);
    }
    finish(playout, 'slow', 'n1');
    await sleep(200);
    const end = events.find((e) => e.type === 'narration-end' && e.roomId === 'slow') as Extract<PlayoutEvent, { type: 'narration-end' }>;
    expect(end, 'narration-end').to.not.equal(undefined);
    expect(end.stats.underruns).to.be.at.least(2);
    expect(end.stats.gapMs).to.be.at.least(100);
    expect(events.some((e) => e.type === 'underrun' && e.roomId === 'slow')).to.equal(true);
    await playout.closeRoom('slow');
  });

  it('cancel of room A fades A out at once and leaves room B untouched', async () => {
    await playout.openRoom('A', room());
    await playout.openRoom('B', room());
    for (const r of ['A', 'B']) {
      begin(playout, r, `${r}1`);
      push(playout, r, `${r}1`, 0, tone(3000));
    }
    await sleep(300);
    const requestedAt = nowMs();
    playout.cancel('A', null, requestedAt);
    await sleep(300);
    await playout.closeRoom('A');
    await playout.closeRoom('B');
    await sleep(50);
    const a = cap.of('A');
    const b = cap.of('B');
    expectContinuous(a, 60);
    expectContinuous(b, 60);
    const lastA = a.filter((f) => f.narrationId === 'A1').pop()!;
    expect(lastA.generation).to.equal(1);
    expect(lastA.timeMs).to.be.at.least(requestedAt);
    expect(a.filter((f) => f.seq > lastA.seq).every((f) => f.narrationId === null && f.energy === 0)).to.equal(true);
    expect(b.every((f) => f.generation === 0)).to.equal(true);
    const firstB = b.findIndex((f) => f.narrationId === 'B1');
    expect(b.slice(firstB, -1).every((f) => f.narrationId === 'B1')).to.equal(true);
    const endA = events.find((e) => e.type === 'narration-end' && e.narrationId === 'A1') as Extract<PlayoutEvent, { type: 'narration-end' }>;
    expect(endA.stats.cancelled).to.equal(true);
    expect(endA.stats.cancelLatencyMs).to.be.within(0, 200);
  });

  it('reads bufferedMs without a round trip and releases waitForSpace once the room drains below max', async () => {
    await playout.openRoom('bp', room({ maxBufferedMs: 500 }));
    // Paused, nothing plays: the reading below cannot depend on how late this (possibly loaded) thread looks.
    playout.pause('bp');
    begin(playout, 'bp', 'n1');
    push(playout, 'bp', 'n1', 0, tone(800));
    // Counted where the audio lands (the worker's FIFO); the chunk's last 5 ms (its fade-out) wait
    // until the playout knows whether another chunk follows.
    while (playout.bufferedMs('bp') === 0) await sleep(1);
    expect(playout.bufferedMs('bp')).to.be.closeTo(795, 0.1);
    playout.resume('bp');
    const t0 = performance.now();
    await playout.waitForSpace('bp', new AbortController().signal);
    const waited = performance.now() - t0;
    expect(playout.bufferedMs('bp')).to.be.below(500);
    expect(waited).to.be.at.least(200); // 300 ms of audio had to play first
    const ac = new AbortController();
    push(playout, 'bp', 'n1', 1, tone(2000));
    while (playout.bufferedMs('bp') < 500) await sleep(1); // landed in the FIFO
    const pending = playout.waitForSpace('bp', ac.signal);
    ac.abort();
    const err = await pending.then(() => null, (e: unknown) => e);
    expect((err as Error).name).to.equal('AbortError');
    await playout.closeRoom('bp');
  });

  it('applies what was sent while the room was opening, in order, once its sinks run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'threaded-playout-early-'));
    try {
      // The wav sink opens its file asynchronously: the narration below reaches the worker before the room is open.
      const opened = playout.openRoom('early', room({ sinks: ['wav', 'capture'], wavPath: join(dir, 'early.wav') }));
      begin(playout, 'early', 'n1');
      push(playout, 'early', 'n1', 0, tone(300));
      finish(playout, 'early', 'n1');
      await opened;
      const until = Date.now() + 5000;
      let end: Extract<PlayoutEvent, { type: 'narration-end' }> | undefined;
      while (!(end = events.find((e): e is Extract<PlayoutEvent, { type: 'narration-end' }> => e.type === 'narration-end' && e.roomId === 'early')) && Date.now() < until) await sleep(20);
      expect(end, 'the narration sent before the open settled played').to.not.equal(undefined);
      expect(end!.stats.audioMs).to.be.at.least(300);
      expect(cap.of('early').filter((f) => f.narrationId === 'n1' && f.energy > 0).length).to.be.at.least(14);
      await playout.closeRoom('early');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes a room whose close was sent right behind its open, freeing its id and slot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'threaded-playout-brief-'));
    try {
      const options = room({ sinks: ['wav', 'capture'], wavPath: join(dir, 'brief.wav') });
      await Promise.all([playout.openRoom('brief', options), playout.closeRoom('brief')]);
      // Had the worker kept it open, opening the id again would be refused there ("already open").
      await playout.openRoom('brief', options);
      await playout.closeRoom('brief');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses at once, not later, a room already open or one past the last slot', async () => {
    const small = await ThreadedPlayout.start({ config, maxRooms: 1 });
    try {
      await small.openRoom('one', room());
      expect(() => small.openRoom('one', room())).to.throw(/already open/);
      expect(() => small.openRoom('two', room())).to.throw(/all 1 playout slots are in use/);
      await small.closeRoom('one');
      await small.openRoom('two', room());
    } finally {
      await small.close();
    }
  });

  it('rejects an unknown sink naming it and the allowed ones', async () => {
    const err = await playout.openRoom('bad', room({ sinks: ['capture', 'nope'] })).catch((e: Error) => e);
    expect((err as Error).message).to.match(/"nope".*allowed: .*wav.*capture|"nope".*allowed: .*capture.*wav/);
    expect(playout.bufferedMs('bad')).to.equal(0);
  });
});

describe('ThreadedPlayout sinks', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'threaded-playout-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports a throwing sink, closes it, and the room goes on to its other sinks; closeRoom finalizes the WAV', async () => {
    const playout = await ThreadedPlayout.start({ config: configWith({ throwAtSeq: 3 }) });
    const events: PlayoutEvent[] = [];
    playout.onEvent((e) => events.push(e));
    try {
      const wavPath = join(dir, 'room.wav');
      await playout.openRoom('w', room({ sinks: ['capture', 'wav'], wavPath }));
      begin(playout, 'w', 'n1');
      push(playout, 'w', 'n1', 0, tone(200));
      finish(playout, 'w', 'n1');
      await sleep(400);
      await playout.closeRoom('w');
      const err = events.find((e) => e.type === 'sink-error');
      expect(err).to.deep.include({ roomId: 'w', sink: 'capture' });
      const wav = new WaveFile(await readFile(wavPath));
      const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
      expect(samples.length % 441).to.equal(0);
      expect(samples.length / 441).to.be.at.least(15);
      expect(samples.some((s) => s !== 0)).to.equal(true);
    } finally {
      await playout.close();
    }
  });

  it('fails to start naming the problem when the plugin host rejects the config', async () => {
    const bad = AppConfigSchema.parse({ plugins: { 'no-such-plugin': {} }, log: { level: 'silent' } });
    const err = await ThreadedPlayout.start({ config: bad }).catch((e: Error) => e);
    expect((err as Error).message).to.match(/playout worker failed to start.*no-such-plugin/);
  });
});
