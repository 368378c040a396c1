import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.ts';
import type { TtsEngine } from '../synthesis/tts-engine.ts';
import type { Playout, PlayoutEvent } from '../playout/playout.ts';
import { NarrationMetrics } from '../observability/metrics.ts';
import { SynthesisScheduler } from '../synthesis/synthesis-scheduler.ts';
import { defaultSynthesisPolicy, fixedPolicySource } from '../synthesis/synthesis-policy.ts';
import { VoiceProfiles } from '../synthesis/voice-profiles.ts';
import { RoomNarrator, type RoomNarratorListener } from './room-narrator.ts';
import type { NarrationReport } from './narration.ts';

/** One room in `report.json`. */
export interface RoomReport {
  roomId: string;
  /** Path of the room's WAV recording, or null when the `wav` sink is not configured. */
  wav: string | null;
  /** Sample rate of the recording and of every frame, Hz. */
  sampleRate: number;
  narrations: NarrationReport[];
}

/**
 * Reports kept per open room, oldest dropped first, by count and by the characters of their texts:
 * a report carries its narration's text, and 2 000 texts of `limits.maxTextChars` (20 000) would be
 * 80 MB for one room. 1 M characters is ~2 MB. A closed room keeps none (issue 11: +181 MB per 100
 * churned rooms with long texts).
 */
const MAX_REPORTS_PER_ROOM = 2000;
const MAX_REPORT_TEXT_CHARS_PER_ROOM = 1_000_000;

/** Text of the start-up warm-up narration: two chunks, so two jobs run and the chunk order is exercised. */
const WARM_UP_TEXT = 'The torches flicker. A cold wind rises, and somewhere far below a bell tolls.';

/**
 * The process's narration: one engine, one playout thread, and a {@link RoomNarrator}
 * per open room. Routes playout events to their room and keeps per-narration
 * reports (the same figures `report.json` and the metrics use).
 *
 * Every room's chunks go through one {@link SynthesisScheduler}; rooms open with the
 * pre-buffer of its policy (the GPU tier's, else config `playout.prebufferMs`).
 */
export class NarrationService {
  private readonly rooms = new Map<string, RoomNarrator>();
  private readonly reports = new Map<string, RoomReport>();
  /** Rooms being closed → the close in progress. */
  private readonly closing = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  /** The process's synthesis scheduler, shared by every room. */
  readonly scheduler: SynthesisScheduler;
  /** Pauses and loudness of the engine's voices (config `seams`, `loudness`), shared by every room. */
  readonly voices: VoiceProfiles;
  private readonly ownsScheduler: boolean;

  /**
   * @param scheduler the process's scheduler over `engine`; omitted = one of the service's own with
   *   {@link defaultSynthesisPolicy} (config pre-buffer), closed with the service
   */
  constructor(
    readonly config: AppConfig,
    readonly engine: TtsEngine,
    readonly playout: Playout,
    readonly metrics: NarrationMetrics,
    private readonly log: Logger,
    scheduler?: SynthesisScheduler,
  ) {
    this.ownsScheduler = !scheduler;
    this.scheduler = scheduler ?? new SynthesisScheduler({
      engine,
      policy: fixedPolicySource(defaultSynthesisPolicy(config.playout.prebufferMs)),
      log,
    });
    this.voices = new VoiceProfiles(engine, config.language, config.loudness.targetLufs, config.loudness.truePeakDbtp, log);
    this.unsubscribe = playout.onEvent((e) => this.route(e));
  }

  /**
   * Calibrates the configured voice's pauses and loudness (a few short syntheses) so the first
   * narration already has them; waits at most `maxWaitMs` (a slow engine finishes in the background),
   * then calibrates the voices the rules name, in the background.
   */
  async calibrateVoice(maxWaitMs = 5000): Promise<void> {
    if (!this.config.seams.enabled && !this.config.loudness.enabled) return;
    await this.voices.ready(this.config.voice, maxWaitMs, undefined, 'all');
    // The character voices the rules name next, one at a time in the background, so a game event's
    // first narration in such a voice does not wait for (or race) its calibration.
    const ruleVoices = [...new Set(Object.values(this.config.rules).flatMap((r) => (r.voice ? [r.voice] : [])))];
    void (async () => {
      await this.voices.calibrate(this.config.voice);
      for (const voice of ruleVoices) await this.voices.calibrate(voice);
    })();
  }

  /**
   * Runs one short narration through the whole audio path — scheduler, every engine worker's route
   * to the assembly and playout threads, shaping, FIFO, gate, frame clock — in a room with no sinks,
   * cancelled as soon as its first frame is out, so the first narration after start does not pay for
   * those threads' first runs (JIT, lazily built state). Best effort: a failure is logged, not thrown.
   * @param timeoutMs gives up after this long
   */
  async warmUp(timeoutMs = 5000): Promise<void> {
    const roomId = `warm-up-${process.pid}`;
    let firstFrame!: () => void;
    const started = new Promise<void>((resolve) => (firstFrame = resolve));
    try {
      // Its figures (a cancelled narration, its TTFA) stay out of /metrics and the reports.
      const narrator = await this.openRoom(roomId, { onCaption: () => firstFrame() }, { sinks: [], metrics: new NarrationMetrics() });
      const n = narrator.narrate(WARM_UP_TEXT, { trigger: 'warm-up', priority: 'queue', receivedAtMs: Date.now() });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([started, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      narrator.cancel(Date.now());
      await n.done;
    } catch (err) {
      this.log.warn({ err }, 'warm-up narration failed');
    } finally {
      await this.closeRoom(roomId).catch(() => undefined);
      this.reports.delete(roomId);
    }
  }

  /** Path of a room's recording. */
  wavPathOf(roomId: string): string {
    return resolve(join(this.config.recordingsDir, `room-${roomId}.wav`));
  }

  /**
   * Opens a room's playout (sinks, frame clock) and returns its narrator once the sinks run.
   * @param opts.wavPath where the `wav` sink records (default `recordingsDir/room-<roomId>.wav`)
   * @param opts.sinks this room's sinks, a subset of config `sinks` (default: all of them)
   * @throws Error when the room is open already, no playout slot is free, or a sink cannot be created
   */
  async openRoom(roomId: string, listener: RoomNarratorListener, opts: { wavPath?: string; sinks?: readonly string[]; metrics?: NarrationMetrics } = {}): Promise<RoomNarrator> {
    const { narrator, ready } = this.startRoom(roomId, listener, opts);
    await ready;
    return narrator;
  }

  /**
   * Opens a room now: its narrator takes narrations at once, while its playout (a slot, the sinks,
   * the recording) opens on the playout thread, which holds what is sent meanwhile. When a sink
   * cannot start, `ready` rejects and the room is gone again: its narrator closed, the narrations it
   * took ended as cancelled, the id free to open again.
   * @param opts as {@link openRoom}; `metrics`: where the room's figures go (default the service's: /metrics)
   * @throws Error when the room is open already or no playout slot is free
   */
  startRoom(
    roomId: string,
    listener: RoomNarratorListener,
    opts: { wavPath?: string; sinks?: readonly string[]; metrics?: NarrationMetrics } = {},
  ): { narrator: RoomNarrator; ready: Promise<void> } {
    if (this.rooms.has(roomId) || this.closing.has(roomId)) throw new Error(`room ${roomId} is already open`);
    const sinks = opts.sinks ?? this.config.sinks;
    const wavPath = sinks.includes('wav') ? resolve(opts.wavPath ?? this.wavPathOf(roomId)) : undefined;
    if (wavPath) mkdirSync(dirname(wavPath), { recursive: true });
    const opened = this.playout.openRoom(roomId, {
      sampleRate: this.engine.sampleRate,
      sinks,
      wavPath,
      // The tier's pre-buffer until the gate measures an RTF (PrebufferGate), read per room so VRAM-pressure changes apply.
      prebufferMs: this.scheduler.policy.prebufferMs,
      maxBufferedMs: this.config.playout.maxBufferedMs,
      gapMs: this.config.playout.gapMs,
      interruptGapMs: this.config.playout.interruptGapMs,
    });
    const report: RoomReport = { roomId, wav: wavPath ?? null, sampleRate: this.engine.sampleRate, narrations: [] };
    let textChars = 0;
    this.reports.delete(roomId); // a reopened id reports anew, in open order
    this.reports.set(roomId, report);
    const narrator = new RoomNarrator({
      roomId,
      engine: this.engine,
      playout: this.playout,
      language: this.config.language,
      voice: this.config.voice,
      maxQueued: this.config.limits.maxQueuedNarrations,
      metrics: opts.metrics ?? this.metrics,
      log: this.log,
      scheduler: this.scheduler,
      voices: this.voices,
      shaping: { seams: this.config.seams, loudness: this.config.loudness },
      listener: {
        ...listener,
        onNarrationEnd: (r) => {
          report.narrations.push(r);
          textChars += r.text.length;
          while (report.narrations.length > 1 && (report.narrations.length > MAX_REPORTS_PER_ROOM || textChars > MAX_REPORT_TEXT_CHARS_PER_ROOM)) {
            textChars -= report.narrations.shift()!.text.length;
          }
          listener.onNarrationEnd?.(r);
        },
      },
    });
    this.rooms.set(roomId, narrator);
    const ready = opened.catch((err: unknown) => {
      // The playout never opened: no frame was recorded and no narration's end will be reported.
      if (this.rooms.get(roomId) === narrator) {
        this.rooms.delete(roomId);
        if (this.reports.get(roomId) === report) this.reports.delete(roomId);
        narrator.endAll();
      }
      throw err;
    });
    return { narrator, ready };
  }

  /**
   * Cancels the room's narration and closes its playout; resolves when its recording is final.
   * Every narration of the room has ended (its `done` resolved, cancelled) when this resolves.
   * Idempotent: a second call waits for the first.
   */
  closeRoom(roomId: string): Promise<void> {
    const pending = this.closing.get(roomId);
    if (pending) return pending;
    const narrator = this.rooms.get(roomId);
    if (!narrator) return Promise.resolve();
    const closing = (async () => {
      narrator.close();
      try {
        // The room stays routed until its playout closed: the narration-end events of the cancel arrive first.
        await this.playout.closeRoom(roomId);
      } finally {
        narrator.endAll();
        this.rooms.delete(roomId);
        this.closing.delete(roomId);
        // A closed room's reports go with it: each narration's report reached the room's listeners (its
        // `end` event and broadcast, the metrics) when it ended, and a server churns rooms for months.
        this.reports.delete(roomId);
        this.narrating.delete(roomId);
        this.metrics.roomsNarrating.set(this.narrating.size);
      }
    })();
    this.closing.set(roomId, closing);
    return closing;
  }

  /**
   * The narration reports of the open rooms (the last 2 000 or 1 M characters of text per room). A
   * room's reports are released when it closes: read each narration's from its `done` or the room's
   * `end` event as it ends.
   */
  report(): { rooms: RoomReport[] } {
    return { rooms: [...this.reports.values()] };
  }

  /** Updates gauges that are read, not pushed (FIFO depth, open rooms). Called by the /metrics handler. */
  refreshGauges(): void {
    let deepest = 0;
    for (const roomId of this.rooms.keys()) deepest = Math.max(deepest, this.playout.bufferedMs(roomId));
    this.metrics.fifoDepthMaxMs.set(deepest);
    this.metrics.roomsOpen.set(this.rooms.size);
  }

  /** Recordings being written: the WAV paths (absolute) of the rooms open or closing. */
  recordingsInUse(): Set<string> {
    const paths = new Set<string>();
    for (const roomId of new Set([...this.rooms.keys(), ...this.closing.keys()])) {
      const wav = this.reports.get(roomId)?.wav;
      if (wav) paths.add(wav);
    }
    return paths;
  }

  /** Open rooms. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Narrations accepted by the open rooms and not yet played out, queued ones included (what a drain waits for). */
  get narrationsInFlight(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.pendingCount;
    return n;
  }

  /** Closes every room (recordings finalized) and stops routing playout events. */
  async close(): Promise<void> {
    this.voices.close();
    for (const roomId of [...this.rooms.keys()]) await this.closeRoom(roomId);
    this.unsubscribe();
    if (this.ownsScheduler) this.scheduler.close();
  }

  private readonly narrating = new Set<string>();

  private route(event: PlayoutEvent): void {
    if (event.type === 'status') {
      if (event.status === 'idle') this.narrating.delete(event.roomId);
      else this.narrating.add(event.roomId);
      this.metrics.roomsNarrating.set(this.narrating.size);
    }
    this.rooms.get(event.roomId)?.handlePlayoutEvent(event);
  }
}
