import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../server/config/load-config.ts';
import type { AppConfig } from '../server/config/schema.ts';
import { buildContainer } from '../server/host/plugin-host.ts';
import { TOKENS } from '../server/tokens.ts';
import type { TtsEngine } from '../server/synthesis/tts-engine.ts';
import { ThreadedPlayout } from '../server/playout/threaded-playout.ts';
import type { PlayoutThreadStats } from '../server/playout/playout-protocol.ts';
import { NarrationService } from '../server/narration/narration-service.ts';
import type { RoomNarrator } from '../server/narration/room-narrator.ts';
import type { NarrationReport } from '../server/narration/narration.ts';
import { NarrationMetrics } from '../server/observability/metrics.ts';
import { TimedPlayout } from './timed-playout.ts';
import { CaptureCollector } from './capture.ts';
import { passageOf } from './texts.ts';

/** test/fixtures/plugins: the `capture` sink and the `instant` engine live there. */
const FIXTURE_PLUGINS = fileURLToPath(new URL('../test/fixtures/plugins/', import.meta.url));

/** Engines the bench runs: the embedded espeak-ng and the fixture that answers at once. */
export type BenchEngine = 'espeak' | 'instant';

/** A room opened for a measurement, with a way to wait for a narration's first frame. */
export interface BenchRoom {
  readonly roomId: string;
  readonly narrator: RoomNarrator;
  /**
   * Resolves when the narration's first frame was handed to the sinks (its first chunk-start
   * event reached the main thread), or when it ended without any frame.
   */
  firstFrame(narrationId: string): Promise<void>;
  /** Reports of this room's narrations that ended, in order. */
  readonly reports: NarrationReport[];
}

/**
 * The full narration pipeline without Colyseus, as `vrpg-narrator say` wires it:
 * plugin host → engine (warm) → {@link NarrationService} → {@link ThreadedPlayout}
 * (one worker thread, one 20 ms frame clock) → sinks. Both engines are mounted and
 * warmed once; each measurement opens its own service with the engine and sinks it needs.
 * Sinks: `wav` (the core recorder, to `workDir`) and `capture` (frames to this thread).
 */
export class BenchPipeline {
  private readonly services: NarrationService[] = [];
  private roomCount = 0;

  private constructor(
    readonly config: AppConfig,
    readonly engines: ReadonlyMap<BenchEngine, TtsEngine>,
    readonly playout: ThreadedPlayout,
    readonly timed: TimedPlayout,
    readonly capture: CaptureCollector,
    readonly log: Logger,
  ) {}

  /**
   * Boots the pipeline with the default config plus the bench's plugins and sinks;
   * `VRPG_*` variables of the environment are ignored so runs compare.
   * @param opts.workDir where `wav` recordings go
   * @param opts.maxRooms playout room slots (default 256)
   * @throws ConfigError / Error when a plugin or the playout worker cannot start
   */
  static async start(opts: { workDir: string; maxRooms?: number }): Promise<BenchPipeline> {
    const { config } = loadConfig({
      env: {},
      overrides: {
        plugins: { 'tts-espeak': {}, 'instant-engine': {}, 'capture-sink': {} },
        pluginDirs: [FIXTURE_PLUGINS],
        engine: 'espeak',
        sinks: ['wav'],
        recordingsDir: opts.workDir,
        // Underrun warnings are counted from reports; at warn level a capacity step would flood stderr.
        'log.level': 'error',
      },
    });
    const log = pino({ name: 'bench', level: 'error' }, pino.destination(2));
    const container = await buildContainer(config, { log });
    const engines = new Map<BenchEngine, TtsEngine>();
    for (const engine of container.getAll<TtsEngine>(TOKENS.TtsEngine)) {
      if (engine.name === 'espeak' || engine.name === 'instant') engines.set(engine.name, engine);
    }
    for (const name of ['espeak', 'instant'] as const) {
      if (!engines.has(name)) throw new Error(`bench: engine "${name}" is not bound by the mounted plugins`);
    }
    await Promise.all([...engines.values()].map((e) => e.init()));
    const playout = await ThreadedPlayout.start({ config, maxRooms: opts.maxRooms });
    return new BenchPipeline(config, engines, playout, new TimedPlayout(playout), new CaptureCollector(), log);
  }

  private readonly rates = new Map<BenchEngine, number>();

  /**
   * The engine's real speaking rate for English, characters/s: one ~10 s passage synthesized
   * directly, its length over its audio duration (engines' own estimates are rough; espeak-ng's
   * is ~10 % off). Cached.
   */
  async charsPerSecond(name: BenchEngine): Promise<number> {
    const cached = this.rates.get(name);
    if (cached) return cached;
    const engine = this.engine(name);
    const text = passageOf(10, engine.charsPerSecond('en'));
    let samples = 0;
    const chunk = { narrationId: 'bench-calibration', index: 0, text, language: 'en' };
    for await (const block of engine.synthesize(chunk, undefined, new AbortController().signal)) samples += block.length;
    if (samples === 0) throw new Error(`bench: engine ${name} returned no audio for the calibration passage`);
    const rate = text.length / (samples / engine.sampleRate);
    this.rates.set(name, rate);
    return rate;
  }

  /** The named engine (warm). */
  engine(name: BenchEngine): TtsEngine {
    return this.engines.get(name)!;
  }

  /**
   * A narration service on the shared playout with this engine and these sinks
   * (what config `engine` and `sinks` would give). Closed by {@link closeService} or {@link close}.
   */
  service(engine: BenchEngine, sinks: readonly string[]): NarrationService {
    const config: AppConfig = { ...this.config, engine, sinks: [...sinks] };
    const service = new NarrationService(config, this.engine(engine), this.timed, new NarrationMetrics(), this.log);
    this.services.push(service);
    return service;
  }

  /** Opens a room on `service`; room ids are unique for the pipeline's life. */
  async openRoom(service: NarrationService, label: string): Promise<BenchRoom> {
    const roomId = `${label}-${++this.roomCount}`;
    const started = new Map<string, () => void>();
    const startedIds = new Set<string>();
    const reports: NarrationReport[] = [];
    const markStarted = (id: string) => {
      startedIds.add(id);
      started.get(id)?.();
      started.delete(id);
    };
    const narrator = await service.openRoom(roomId, {
      onCaption: (id) => markStarted(id),
      onNarrationEnd: (r) => {
        reports.push(r);
        markStarted(r.id);
      },
    });
    return {
      roomId,
      narrator,
      reports,
      firstFrame: (id) => (startedIds.has(id) ? Promise.resolve() : new Promise<void>((resolve) => started.set(id, resolve))),
    };
  }

  /** Closes a service's rooms (recordings finalized) and stops routing events to it. */
  async closeService(service: NarrationService): Promise<void> {
    const i = this.services.indexOf(service);
    if (i >= 0) this.services.splice(i, 1);
    await service.close();
  }

  /** Frame clock and per-frame cost of the playout thread. */
  playoutStats(): Promise<PlayoutThreadStats> {
    return this.playout.stats();
  }

  /** Closes services, the playout thread and the engines. */
  async close(): Promise<void> {
    for (const s of [...this.services]) await this.closeService(s);
    this.capture.close();
    await this.playout.close();
    await Promise.all([...this.engines.values()].map((e) => e.close()));
  }
}
