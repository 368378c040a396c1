import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.ts';
import type { TtsEngine } from '../synthesis/tts-engine.ts';
import type { Playout, PlayoutEvent } from '../playout/playout.ts';
import type { NarrationMetrics } from '../observability/metrics.ts';
import { SynthesisScheduler } from '../synthesis/synthesis-scheduler.ts';
import { defaultSynthesisPolicy, fixedPolicySource } from '../synthesis/synthesis-policy.ts';
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

/** Reports kept per room, oldest dropped first: a long session must not grow memory without bound. */
const MAX_REPORTS_PER_ROOM = 2000;

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
  private readonly unsubscribe: () => void;
  /** The process's synthesis scheduler, shared by every room. */
  readonly scheduler: SynthesisScheduler;
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
    this.unsubscribe = playout.onEvent((e) => this.route(e));
  }

  /** Path of a room's recording. */
  wavPathOf(roomId: string): string {
    return resolve(join(this.config.recordingsDir, `room-${roomId}.wav`));
  }

  /**
   * Opens a room's playout (sinks, frame clock) and returns its narrator.
   * @param opts.wavPath where the `wav` sink records (default `recordingsDir/room-<roomId>.wav`)
   * @throws Error from the playout when a sink cannot be created
   */
  async openRoom(roomId: string, listener: RoomNarratorListener, opts: { wavPath?: string } = {}): Promise<RoomNarrator> {
    const wantsWav = this.config.sinks.includes('wav');
    const wavPath = wantsWav ? resolve(opts.wavPath ?? this.wavPathOf(roomId)) : undefined;
    if (wavPath) mkdirSync(dirname(wavPath), { recursive: true });
    await this.playout.openRoom(roomId, {
      sampleRate: this.engine.sampleRate,
      sinks: this.config.sinks,
      wavPath,
      // The tier's pre-buffer until the gate measures an RTF (PrebufferGate), read per room so VRAM-pressure changes apply.
      prebufferMs: this.scheduler.policy.prebufferMs,
      maxBufferedMs: this.config.playout.maxBufferedMs,
    });
    const report: RoomReport = { roomId, wav: wavPath ?? null, sampleRate: this.engine.sampleRate, narrations: [] };
    this.reports.set(roomId, report);
    const narrator = new RoomNarrator({
      roomId,
      engine: this.engine,
      playout: this.playout,
      language: this.config.language,
      voice: this.config.voice,
      maxQueued: this.config.limits.maxQueuedNarrations,
      metrics: this.metrics,
      log: this.log,
      scheduler: this.scheduler,
      listener: {
        ...listener,
        onNarrationEnd: (r) => {
          report.narrations.push(r);
          if (report.narrations.length > MAX_REPORTS_PER_ROOM) report.narrations.shift();
          listener.onNarrationEnd?.(r);
        },
      },
    });
    this.rooms.set(roomId, narrator);
    return narrator;
  }

  /** Cancels the room's narration and closes its playout; resolves when its recording is final. */
  async closeRoom(roomId: string): Promise<void> {
    const narrator = this.rooms.get(roomId);
    if (!narrator) return;
    narrator.close();
    this.rooms.delete(roomId);
    await this.playout.closeRoom(roomId);
    this.metrics.fifoDepthMs.remove({ room: roomId });
  }

  /** Rooms whose narration reports are kept (open and closed). */
  report(): { rooms: RoomReport[] } {
    return { rooms: [...this.reports.values()] };
  }

  /** Updates gauges that are read, not pushed (FIFO depth). Called by the /metrics handler. */
  refreshGauges(): void {
    for (const roomId of this.rooms.keys()) {
      this.metrics.fifoDepthMs.set({ room: roomId }, this.playout.bufferedMs(roomId));
    }
  }

  async close(): Promise<void> {
    for (const roomId of [...this.rooms.keys()]) await this.closeRoom(roomId);
    this.unsubscribe();
    if (this.ownsScheduler) this.scheduler.close();
  }

  private narrating = new Set<string>();

  private route(event: PlayoutEvent): void {
    if (event.type === 'status') {
      if (event.status === 'idle') this.narrating.delete(event.roomId);
      else this.narrating.add(event.roomId);
      this.metrics.roomsNarrating.set(this.narrating.size);
    }
    this.rooms.get(event.roomId)?.handlePlayoutEvent(event);
  }
}
