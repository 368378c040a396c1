/**
 * Virtual-time simulation of the synthesis stage for engines whose weights cannot run
 * here (XTTS-v2 on a given GPU): a {@link SimulatedTtsEngine} with a known time to first
 * block and RTF, the real {@link SynthesisScheduler}, {@link NarrationService} and
 * {@link RoomNarrator}, and the real {@link RoomPlayout} (FIFO, pre-buffer gate, underrun
 * accounting) consumed one 20 ms frame per 20 ms of virtual time, which is exactly the
 * real-time rate the frame clock plays at. Virtual time (sinon fake timers) only skips the
 * waiting; every timer fires in the order and at the virtual instant it would in real time.
 * Used by test/server/synthesis/scheduler-simulation.test.ts and bench/scenarios/scheduler.ts.
 */
import sinon from 'sinon';
import pino from 'pino';
import { abortError, type TtsChunk, type TtsEngine } from '../../server/synthesis/tts-engine.ts';
import { SynthesisScheduler } from '../../server/synthesis/synthesis-scheduler.ts';
import { fixedPolicySource, type SynthesisPolicy } from '../../server/synthesis/synthesis-policy.ts';
import type { ChunkRoute, OpenRoomOptions, Playout, PlayoutEvent, ShapingParams } from '../../server/playout/playout.ts';
import { NarrationAssembler } from '../../server/playout/narration-assembler.ts';
import { RoomPlayout } from '../../server/playout/room-playout.ts';
import { FRAME_MS } from '../../server/audio/pcm.ts';
import { NarrationService } from '../../server/narration/narration-service.ts';
import type { RoomNarrator } from '../../server/narration/room-narrator.ts';
import { NarrationMetrics } from '../../server/observability/metrics.ts';
import { AppConfigSchema } from '../../server/config/schema.ts';
import { nowMs } from '../../server/threads/spawn-worker.ts';

/** Timing of a simulated engine. */
export interface SimEngineSpec {
  /** Time from the start of a chunk job to its first block, ms. */
  readonly ttfbMs: number;
  /** Synthesis time per audio time after the first block, per stream (parallel streams do not slow each other). */
  readonly rtf: number;
  /** Speaking rate, characters of spoken text per second; default 15. */
  readonly charsPerSecond?: number;
}

const BLOCK_MS = 200;

/**
 * A test double for an engine that cannot run here: yields silence whose length is the
 * chunk's text at `charsPerSecond`, the first block after `ttfbMs`, then one 200 ms block
 * every `rtf × 200` ms. Stops at once on abort with an AbortError, as the contract asks.
 */
export class SimulatedTtsEngine implements TtsEngine {
  readonly name = 'simulated';
  readonly sampleRate = 24_000;
  readonly languages = ['en'];
  constructor(readonly spec: SimEngineSpec) {}
  maxChars(): number {
    return 250;
  }
  charsPerSecond(): number {
    return this.spec.charsPerSecond ?? 15;
  }
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async *synthesize(chunk: TtsChunk, _voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array> {
    const totalMs = (chunk.text.length / this.charsPerSecond()) * 1000;
    const blockSamples = Math.round((BLOCK_MS * this.sampleRate) / 1000);
    let left = Math.round((totalMs * this.sampleRate) / 1000);
    await sleep(this.spec.ttfbMs, signal);
    let first = true;
    while (left > 0) {
      if (!first) await sleep(this.spec.rtf * BLOCK_MS, signal);
      first = false;
      const n = Math.min(left, blockSamples);
      left -= n;
      yield new Float32Array(n);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface VirtualRoom {
  readonly playout: RoomPlayout;
  readonly assembler: NarrationAssembler;
  readonly maxBufferedMs: number;
  readonly waiters: Set<() => void>;
}

/** The real per-room assembly and playout driven by a 20 ms interval on the (virtual) clock; no sinks, no thread. */
export class VirtualPlayout implements Playout {
  readonly rooms = new Map<string, VirtualRoom>();
  private readonly listeners = new Set<(e: PlayoutEvent) => void>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor() {
    this.timer = setInterval(() => this.tick(), FRAME_MS);
  }

  private tick(): void {
    const now = nowMs();
    for (const room of this.rooms.values()) {
      room.playout.nextFrame(now);
      if (room.waiters.size > 0 && room.playout.bufferedMs() < room.maxBufferedMs) {
        for (const w of [...room.waiters]) w();
      }
    }
  }

  private emit = (e: PlayoutEvent) => {
    for (const l of this.listeners) l(e);
  };

  private room(roomId: string): VirtualRoom {
    const r = this.rooms.get(roomId);
    if (!r) throw new Error(`room ${roomId} is not open`);
    return r;
  }

  async openRoom(roomId: string, o: OpenRoomOptions): Promise<void> {
    const playout = new RoomPlayout({ roomId, sampleRate: o.sampleRate, prebufferMs: o.prebufferMs, maxBufferedMs: o.maxBufferedMs }, this.emit);
    this.rooms.set(roomId, { playout, assembler: new NarrationAssembler(playout, this.emit), maxBufferedMs: o.maxBufferedMs, waiters: new Set() });
  }
  async closeRoom(roomId: string): Promise<void> {
    this.rooms.get(roomId)?.playout.dispose(nowMs());
    this.rooms.delete(roomId);
  }
  beginNarration(roomId: string, narrationId: string): void {
    this.room(roomId).assembler.begin(narrationId, nowMs());
  }
  shapeNarration(roomId: string, narrationId: string, params: ShapingParams): void {
    this.room(roomId).assembler.shape(narrationId, params, nowMs());
  }
  pushBlock(route: ChunkRoute, samples: Float32Array): void {
    this.room(route.roomId).assembler.block(route, samples, nowMs());
  }
  endChunk(route: ChunkRoute): void {
    this.room(route.roomId).assembler.endChunk(route, nowMs());
  }
  endNarration(roomId: string, narrationId: string, chunks: number): void {
    this.room(roomId).assembler.end(narrationId, chunks, nowMs());
  }
  cancel(roomId: string, ids: readonly string[] | null, requestedAtMs: number, breath = false): void {
    const room = this.room(roomId);
    room.assembler.cancel(ids);
    room.playout.cancel(ids, requestedAtMs, nowMs(), breath);
  }
  pause(roomId: string): void {
    this.room(roomId).playout.pause(nowMs());
  }
  resume(roomId: string): void {
    this.room(roomId).playout.resume(nowMs());
  }
  setRtf(roomId: string, rtf: number): void {
    this.room(roomId).playout.setRtf(rtf);
  }
  bufferedMs(roomId: string): number {
    return this.rooms.get(roomId)?.playout.bufferedMs() ?? 0;
  }
  waitForSpace(roomId: string, signal: AbortSignal): Promise<void> {
    const room = this.room(roomId);
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (room.playout.bufferedMs() < room.maxBufferedMs) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        room.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        room.waiters.delete(done);
        reject(abortError(signal));
      };
      room.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
  onEvent(listener: (e: PlayoutEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.rooms.keys()]) await this.closeRoom(id);
  }
}

/** What one room saw in a simulation. */
export interface SimRoomResult {
  readonly roomId: string;
  /** TTFA of the first narration (pre-buffer = the policy's, no RTF yet), ms. */
  readonly ttfaMs: number | null;
  /** TTFA of the second narration, asked for after the first ended (the gate uses the measured RTF), ms. */
  readonly secondTtfaMs: number | null;
  readonly underruns: number;
  /** Virtual ms from the start to the room's first underrun; null = none. */
  readonly firstUnderrunAtMs: number | null;
  /** Gate threshold in force when each narration started playing, ms; null = wait for the whole narration (RTF ≥ 1). */
  readonly prebufferMs: [number | null, number | null];
  /** Delivered RTF the gate last saw (queue waits included). */
  readonly measuredRtf: number | null;
}

/** Result of {@link simulateRooms}. */
export interface SimResult {
  readonly rooms: SimRoomResult[];
  /** Room ids in the order of their first underrun. */
  readonly underrunOrder: string[];
  readonly maxInFlight: number;
}

const PASSAGE =
  'The lantern light trembles on the wet stones of the crypt, and somewhere below a chain drags slowly. ' +
  'Mira raises her shield while the old door groans open, revealing a hall of broken statues. ' +
  'A cold wind carries the smell of ash, and the torches gutter as something vast shifts in the dark. ';

/** Text of about `seconds` of speech at `cps` characters per second. */
export function passageOfSeconds(seconds: number, cps: number): string {
  const chars = Math.round(seconds * cps);
  let text = '';
  while (text.length < chars) text += PASSAGE;
  const cut = text.lastIndexOf('. ', chars);
  return text.slice(0, cut > 0 ? cut + 1 : chars).trim();
}

/**
 * Runs `rooms` rooms at once in virtual time: each narrates ~`audioSeconds` of text (all
 * asked in the same turn), then, once all ended, a second one. Installs sinon fake timers
 * for its duration (do not call it with fake timers already installed).
 */
export async function simulateRooms(opts: {
  engine: SimEngineSpec;
  policy: SynthesisPolicy;
  rooms: number;
  audioSeconds: number;
  /** Second narration length, s; default 4. */
  secondSeconds?: number;
}): Promise<SimResult> {
  const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  const started = nowMs();
  const engine = new SimulatedTtsEngine(opts.engine);
  // The simulated engine yields silence: seams (which trim silence) and loudness (which measures it) stay off;
  // this measures scheduling, not sound.
  const config = AppConfigSchema.parse({
    sinks: [], plugins: {}, playout: { prebufferMs: opts.policy.prebufferMs }, seams: { enabled: false }, loudness: { enabled: false },
  });
  const log = pino({ level: 'silent' });
  const playout = new VirtualPlayout();
  const scheduler = new SynthesisScheduler({ engine, policy: fixedPolicySource(opts.policy), log });
  const service = new NarrationService(config, engine, playout, new NarrationMetrics(), log, scheduler);
  const underrunAt = new Map<string, number>();
  const underrunOrder: string[] = [];
  const thresholds = new Map<string, Map<string, number | null>>();
  playout.onEvent((e) => {
    if (e.type === 'underrun' && !underrunAt.has(e.roomId)) {
      underrunAt.set(e.roomId, e.atMs - started);
      underrunOrder.push(e.roomId);
    }
    if (e.type === 'chunk-start') {
      const byNarration = thresholds.get(e.roomId) ?? new Map<string, number | null>();
      thresholds.set(e.roomId, byNarration);
      if (!byNarration.has(e.narrationId)) {
        // Infinity (rtf ≥ 1) = the gate waits for the end of synthesis or its cap: reported as null (JSON-able).
        const t = playout.rooms.get(e.roomId)!.playout.gate.thresholdMs();
        byNarration.set(e.narrationId, Number.isFinite(t) ? t : null);
      }
    }
  });
  try {
    const ids = Array.from({ length: opts.rooms }, (_, i) => `room-${i}`);
    const narrators: RoomNarrator[] = [];
    for (const id of ids) narrators.push(await service.openRoom(id, {}));
    const runAll = async (seconds: number) => {
      const text = passageOfSeconds(seconds, engine.charsPerSecond());
      const at = nowMs();
      const done = Promise.all(narrators.map((n) => n.narrate(text, { trigger: 'sim', priority: 'queue', receivedAtMs: at }).done));
      let finished = false;
      void done.then(() => (finished = true));
      const limitMs = at + seconds * 1000 * (4 + 2 * opts.rooms * (1 + opts.engine.rtf)) + 60_000;
      while (!finished && nowMs() < limitMs) await clock.tickAsync(100);
      if (!finished) throw new Error(`simulation did not finish within ${limitMs - at} virtual ms`);
      return done;
    };
    const first = await runAll(opts.audioSeconds);
    await clock.tickAsync(1000);
    const second = await runAll(opts.secondSeconds ?? 4);
    const rooms = ids.map((roomId, i): SimRoomResult => {
      const th = thresholds.get(roomId);
      return {
        roomId,
        ttfaMs: first[i].ttfaMs,
        secondTtfaMs: second[i].ttfaMs,
        underruns: first[i].underruns + second[i].underruns,
        firstUnderrunAtMs: underrunAt.get(roomId) ?? null,
        prebufferMs: [th?.get(first[i].id) ?? null, th?.get(second[i].id) ?? null],
        measuredRtf: playout.rooms.get(roomId)!.playout.gate.measuredRtf,
      };
    });
    return { rooms, underrunOrder, maxInFlight: scheduler.stats().maxInFlight };
  } finally {
    await service.close();
    scheduler.close();
    await playout.close();
    clock.restore();
  }
}
