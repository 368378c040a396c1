import type { Logger } from 'pino';

/**
 * One 20 ms frame as every sink of a room receives it.
 * The frame clock emits one per room per 20 ms, silence included, so `seq`
 * counts elapsed frames and `seq * frameSamples` is the room's sample clock.
 */
export interface AudioFrame {
  /** Colyseus room id. */
  readonly roomId: string;
  /** Frame index since the room's playout opened; continuous, never skips. */
  readonly seq: number;
  /** PCM s16 mono, `frameSamples` long (441 at 22 050 Hz, 480 at 24 000 Hz). */
  readonly samples: Int16Array;
  /** Sample rate of `samples` in Hz. */
  readonly sampleRate: number;
  /** Narration whose audio is in this frame; null for silence. */
  readonly narrationId: string | null;
  /** Room generation; bumped by each cancel, so a sink drops stale audio in one comparison. */
  readonly generation: number;
  /** When the clock handed the frame to the sinks, epoch ms (performance.timeOrigin + now()). */
  readonly timeMs: number;
  /**
   * The frame clock's slot this frame was made for, epoch ms (FrameClock's `scheduledMs`, t0 + slot·20):
   * when the frame is due. `timeMs − dueMs` is the clock's own lateness; a sink's send time − `dueMs` is
   * the frame's due→send delay. Absent on frames made outside a tick (a cancel's immediate fade-out
   * frame, test frames): treat it as `timeMs`.
   */
  readonly dueMs?: number;
}

/** Context a sink factory gets for one room. */
export interface SinkContext {
  readonly roomId: string;
  /** Room sample rate in Hz (the engine's). */
  readonly sampleRate: number;
  /** Samples per frame (sampleRate * 20 / 1000). */
  readonly frameSamples: number;
  /** Recording path for file sinks (the `wav` sink writes the room's recording here). */
  readonly wavPath?: string;
  readonly log: Logger;
}

/**
 * A destination for a room's frames (speakers, WAV file, WebRTC, LiveKit).
 * `write` is called on the playout thread every 20 ms and must not block:
 * a sink buffers and does its I/O asynchronously.
 */
export interface AudioSink {
  readonly name: string;
  write(frame: AudioFrame): void;
  /** Flush and release the device or file. */
  close(): Promise<void>;
}

/**
 * Creates a room's sink. Bound multi-valued under `TOKENS.AudioSinkFactory`;
 * resolved on the playout thread.
 */
export interface AudioSinkFactory {
  /** Name that config `sinks` lists, e.g. `native`, `wav`. */
  readonly name: string;
  /**
   * True for a sink whose `write` does network work (encoding, RTP/SRTP, a media SDK): with
   * `playout.sinkWorkers` > 0 its sinks are created and written on a sink worker thread, fed from the
   * clock through a shared-memory ring (server/sinks/sink-worker-pool.ts), so its per-frame cost stays
   * off the frame clock's thread. Absent/false: created and written on the playout thread.
   */
  readonly networkThread?: boolean;
  /**
   * @returns the sink, or null when the sink cannot run here (no audio device):
   *   the factory logs why once and narration goes on to the other sinks.
   */
  create(ctx: SinkContext): Promise<AudioSink | null>;
}
