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
   * @returns the sink, or null when the sink cannot run here (no audio device):
   *   the factory logs why once and narration goes on to the other sinks.
   */
  create(ctx: SinkContext): Promise<AudioSink | null>;
}
