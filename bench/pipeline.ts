import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { createNarrator, type Narrator, type NarratorConfig } from '../server/host/narrator.ts';
import type { PlayoutThreadStats } from '../server/playout/playout-protocol.ts';
import type { RoomNarration } from '../server/narration/room-narration.ts';
import type { NarrationReport } from '../server/narration/narration.ts';
import { CaptureCollector } from './capture.ts';
import { passageOf } from './texts.ts';

/** test/fixtures/plugins: the `capture` sink and the `instant` engine live there. */
const FIXTURE_PLUGINS = fileURLToPath(new URL('../test/fixtures/plugins/', import.meta.url));

/**
 * Engines the bench runs: the embedded espeak-ng and the fixture that answers at once, plus
 * espeak-ng narrators configured otherwise for the quality section (bench/scenarios/quality.ts):
 * `espeak-pt` (language pt), `espeak-plain` (no seam shaping, no loudness normalization, no
 * gaps between narrations: the pipeline as it was before issue 12) and `espeak-fast` (260 wpm);
 * `instant-webrtc` adds the `audio-webrtc` plugin and its `webrtc` sink (on sink workers, default
 * count) and `instant-webrtc-clock` the same with `playout.sinkWorkers: 0` (the sink on the clock
 * thread, as before issue 13): bench/scenarios/rooms-webrtc.ts. For the audio path section
 * (bench/scenarios/audio-path.ts): `espeak-relayed` sends every block through the main thread
 * (`playout.directAudio: false`, as before issue 13), `espeak-w1` has one espeak worker (as before
 * workers were sized from the cores) and `espeak-cold` is booted only when its first narration is timed.
 */
export type BenchEngine = 'espeak' | 'instant' | 'espeak-pt' | 'espeak-plain' | 'espeak-fast' | 'instant-webrtc' | 'instant-webrtc-clock'
  | 'espeak-relayed' | 'espeak-w1' | 'espeak-cold';

/** How each bench engine's narrator is configured: its engine plugin (plus the `capture` sink fixture) and config on top. */
const ENGINES: Record<BenchEngine, { readonly plugin: string; readonly engine: string; readonly options?: Record<string, unknown>; readonly config?: NarratorConfig; readonly webrtc?: boolean }> = {
  espeak: { plugin: 'tts-espeak', engine: 'espeak' },
  instant: { plugin: 'instant-engine', engine: 'instant' },
  'espeak-pt': { plugin: 'tts-espeak', engine: 'espeak', config: { language: 'pt' } },
  'espeak-plain': {
    plugin: 'tts-espeak', engine: 'espeak',
    config: { seams: { enabled: false }, loudness: { enabled: false }, playout: { gapMs: 0, interruptGapMs: 0 } },
  },
  'espeak-fast': { plugin: 'tts-espeak', engine: 'espeak', options: { rate: 260 } },
  'instant-webrtc': { plugin: 'instant-engine', engine: 'instant', webrtc: true },
  'instant-webrtc-clock': { plugin: 'instant-engine', engine: 'instant', webrtc: true, config: { playout: { sinkWorkers: 0 } } },
  'espeak-relayed': { plugin: 'tts-espeak', engine: 'espeak', config: { playout: { directAudio: false } } },
  'espeak-w1': { plugin: 'tts-espeak', engine: 'espeak', options: { workers: 1 } },
  'espeak-cold': { plugin: 'tts-espeak', engine: 'espeak' },
};

/** A room opened for a measurement, with a way to wait for a narration's first frame. */
export interface BenchRoom {
  readonly roomId: string;
  readonly narration: RoomNarration;
  /**
   * Resolves when the narration's first frame was handed to the sinks (its first caption
   * reached the main thread), or when it ended without any frame.
   */
  firstFrame(narrationId: string): Promise<void>;
  /** Reports of this room's narrations that ended, in order. */
  readonly reports: NarrationReport[];
  /** Closes the room (recording finalized). */
  close(): Promise<void>;
}

/**
 * The full narration pipeline without Colyseus, booted as every command boots it: one
 * {@link createNarrator} per engine (plugin host → engine warm → synthesis scheduler → playout
 * thread with its 20 ms frame clock → sinks), made at first use and kept for the run. Sinks:
 * `wav` (the core recorder, to `workDir`) and `capture` (frames to this thread); each room
 * picks the ones its measurement needs. `VRPG_*` variables are not read, so runs compare.
 */
export class BenchPipeline {
  private readonly narrators = new Map<BenchEngine, Promise<Narrator>>();
  private readonly rates = new Map<BenchEngine, number>();
  private roomCount = 0;
  readonly capture = new CaptureCollector();
  readonly log: Logger = pino({ name: 'bench', level: 'error' }, pino.destination(2));

  /** @param workDir where `wav` recordings go */
  constructor(private readonly workDir: string) {}

  /** The engine's narrator, booted on first use. @throws ConfigError / Error when it cannot start */
  narrator(engine: BenchEngine): Promise<Narrator> {
    let n = this.narrators.get(engine);
    if (!n) {
      const variant = ENGINES[engine];
      n = createNarrator(
        {
          ...variant.config,
          plugins: { [variant.plugin]: variant.options ?? {}, 'capture-sink': {}, ...(variant.webrtc ? { 'audio-webrtc': {} } : {}) },
          pluginDirs: [FIXTURE_PLUGINS],
          engine: variant.engine,
          sinks: variant.webrtc ? ['wav', 'capture', 'webrtc'] : ['wav', 'capture'],
          recordingsDir: this.workDir,
          // Underrun warnings are counted from reports; at warn level a capacity step would flood stderr.
          log: { level: 'error' },
        },
        { log: this.log },
      );
      this.narrators.set(engine, n);
    }
    return n;
  }

  /**
   * The engine's real speaking rate for English, characters/s: one ~10 s passage narrated into a
   * `capture`-only room, its length over the audio handed to the sinks (engines' own estimates
   * are rough; espeak-ng's is ~10 % off). Cached.
   */
  async charsPerSecond(engine: BenchEngine): Promise<number> {
    const cached = this.rates.get(engine);
    if (cached) return cached;
    const narrator = await this.narrator(engine);
    const cps = (await this.roomOf(narrator, engine, ['capture'], 'calibration')).narration;
    // ~10 s at a typical 15 chars/s; the result is exact to one 20 ms frame over the passage (0.2 %).
    const estimate = passageOf(10, 15);
    const report = await cps.narrate(estimate, { trigger: 'bench:calibration' }).done;
    await cps.close();
    this.capture.forget(cps.roomId);
    if (report.audioMs <= 0) throw new Error(`bench: engine ${engine} played no audio for the calibration passage`);
    const rate = estimate.length / (report.audioMs / 1000);
    this.rates.set(engine, rate);
    return rate;
  }

  /** Opens a room on the engine's narrator with these sinks (`wav`, `capture`; `webrtc` on the `*-webrtc*` engines); ids are unique for the run. */
  async openRoom(engine: BenchEngine, sinks: readonly ('wav' | 'capture' | 'webrtc')[], label: string): Promise<BenchRoom> {
    return this.roomOf(await this.narrator(engine), engine, sinks, label);
  }

  /** Frame clock and per-frame cost of the engine's playout thread. */
  async playoutStats(engine: BenchEngine, blocksSince?: number): Promise<PlayoutThreadStats> {
    return (await this.narrator(engine)).playoutStats(blocksSince);
  }

  /** Closes every narrator (rooms, playout threads, engines). */
  async close(): Promise<void> {
    for (const n of this.narrators.values()) await (await n).close();
    this.capture.close();
  }

  private async roomOf(narrator: Narrator, engine: BenchEngine, sinks: readonly string[], label: string): Promise<BenchRoom> {
    const roomId = `${label}-${engine}-${++this.roomCount}`;
    const narration = await narrator.openRoom(roomId, { sinks });
    const started = new Map<string, () => void>();
    const startedIds = new Set<string>();
    const reports: NarrationReport[] = [];
    const markStarted = (id: string) => {
      startedIds.add(id);
      started.get(id)?.();
      started.delete(id);
    };
    narration.on('caption', (c) => markStarted(c.narrationId));
    narration.on('end', (r) => {
      reports.push(r);
      markStarted(r.id);
    });
    return {
      roomId,
      narration,
      reports,
      firstFrame: (id) => (startedIds.has(id) ? Promise.resolve() : new Promise<void>((resolve) => started.set(id, resolve))),
      close: () => narration.close(),
    };
  }
}
