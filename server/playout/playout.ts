/**
 * The playout contract: FIFO → pre-buffer gate → seams → frame clock → sinks,
 * for every room of the process, run off the game loop (a worker thread).
 *
 * The main thread (narration, synthesis) talks to it only through this
 * interface; timestamps are epoch ms from `nowMs()` so they compare across threads.
 */

/** Narration status of a room as players see it (room state `status`). */
export type PlayoutStatus = 'idle' | 'buffering' | 'speaking' | 'paused';

/** Options of one room's playout. */
export interface OpenRoomOptions {
  /** Room sample rate in Hz (the engine's), 16 000–24 000. */
  readonly sampleRate: number;
  /** Sink names (config `sinks`), resolved on the playout thread. */
  readonly sinks: readonly string[];
  /** Where the `wav` sink writes this room's recording; required when `sinks` has `wav`. */
  readonly wavPath?: string;
  /** Pre-buffer before playback starts, in ms, before any RTF is measured. */
  readonly prebufferMs: number;
  /** FIFO size in ms above which `waitForSpace` holds synthesis back. */
  readonly maxBufferedMs: number;
  /** Silence before a narration that follows another, ms, counted from the previous one's last frame (default 0). */
  readonly gapMs?: number;
  /** Silence after an interrupt's fade-out frame before the next narration, ms (default 0). */
  readonly interruptGapMs?: number;
}

/** Per-narration figures the playout measured (the report's audio fields). */
export interface PlayoutNarrationStats {
  /** Audio of the narration handed to sinks, ms (fade-out included). */
  readonly audioMs: number;
  /** Times the FIFO ran dry mid-narration while synthesis was not finished. */
  readonly underruns: number;
  /** Silence inserted mid-narration by underruns, ms. */
  readonly gapMs: number;
  readonly cancelled: boolean;
  /** From the cancel request to the last frame of the narration handed to sinks, ms; null if not cancelled. */
  readonly cancelLatencyMs: number | null;
  /** True if the narration was paused at least once while playing. */
  readonly paused: boolean;
  /** Epoch ms when the narration's first synthesized block reached the playout thread (its FIFO); null if none did. */
  readonly firstBlockAtMs: number | null;
  /** Epoch ms of the first frame handed to sinks; null if none was. */
  readonly firstFrameAtMs: number | null;
  /** Epoch ms of the last frame handed to sinks; null if none was. */
  readonly lastFrameAtMs: number | null;
}

/** Events the playout thread reports back. */
export type PlayoutEvent =
  | { type: 'status'; roomId: string; status: PlayoutStatus; atMs: number }
  /** The first frame of a chunk was handed to sinks: captions switch here. */
  | { type: 'chunk-start'; roomId: string; narrationId: string; chunkIndex: number; atMs: number }
  | { type: 'underrun'; roomId: string; narrationId: string; atMs: number }
  /** The narration's last frame was handed to sinks (drained or cancelled). */
  | { type: 'narration-end'; roomId: string; narrationId: string; stats: PlayoutNarrationStats }
  | { type: 'sink-error'; roomId: string; sink: string; message: string };

/** Process-wide playout, one handle on the main thread. */
export interface Playout {
  /**
   * Opens a room: creates its FIFO, gate and sinks, and starts emitting frames (silence when idle).
   * The room takes commands as soon as this returns, before the promise settles: they apply after
   * the open, in order (a room opens on its first narration, which is queued at once).
   * @throws Error when the room is open already or no slot is free (at once, where the implementation can tell)
   * @returns resolves when the sinks run; rejects when one cannot start (the room is not open then)
   */
  openRoom(roomId: string, options: OpenRoomOptions): Promise<void>;
  /** Stops the room's frames, closes its sinks (the WAV file is finalized when this resolves). */
  closeRoom(roomId: string): Promise<void>;
  /** Declares a narration; its audio plays after the audio already queued for the room. */
  beginNarration(roomId: string, narrationId: string): void;
  /** Appends synthesized audio: mono f32 in [-1, 1] at the room rate. The buffer is transferred. */
  push(roomId: string, narrationId: string, chunkIndex: number, samples: Float32Array): void;
  /** All chunks of the narration are synthesized: the gate may start it and it may drain. */
  endNarration(roomId: string, narrationId: string): void;
  /**
   * Cancels narrations: drops their queued audio, fades out what is playing,
   * bumps the room generation. `narrationIds` null = every narration of the room.
   * @param requestedAtMs when the server received the cancel request (for cancel latency)
   * @param breath an interrupting narration follows: the next one starts `interruptGapMs` after the fade-out
   */
  cancel(roomId: string, narrationIds: readonly string[] | null, requestedAtMs: number, breath?: boolean): void;
  /** Fades out and holds playback (frames go on as silence); synthesis may keep filling the FIFO. */
  pause(roomId: string): void;
  /** Fades playback back in from where it paused. */
  resume(roomId: string): void;
  /** Measured RTF (synthesis time / audio duration) so the gate can size the pre-buffer. */
  setRtf(roomId: string, rtf: number): void;
  /** Audio queued and not yet handed to sinks, ms; read without a round trip. */
  bufferedMs(roomId: string): number;
  /** Resolves when the room's FIFO is below `maxBufferedMs` (back-pressure); rejects with AbortError on abort. */
  waitForSpace(roomId: string, signal: AbortSignal): Promise<void>;
  /** Subscribes to playout events; returns the unsubscribe function. */
  onEvent(listener: (event: PlayoutEvent) => void): () => void;
  /** Stops the playout thread after closing all rooms. */
  close(): Promise<void>;
}
