/**
 * The playout contract: assembly (chunk order, shaping) → FIFO → pre-buffer gate → seams → frame
 * clock → sinks, for every room of the process, run off the game loop (ThreadedPlayout: an assembly
 * thread and a playout thread; engine workers may post audio to the first directly).
 *
 * The main thread (narration, synthesis) talks to it only through this
 * interface; timestamps are epoch ms from `nowMs()` so they compare across threads.
 */

import type { MessagePort } from 'node:worker_threads';

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

/**
 * Where one chunk's audio goes, and what the assembly thread does once the chunk is complete
 * (issue 13: engine workers post blocks straight to the assembly thread with this tag, so audio
 * never waits on the main thread). Structured-cloneable.
 */
export interface ChunkRoute {
  readonly roomId: string;
  readonly narrationId: string;
  /** The chunk's index in its narration (captions; TextChunk.index). */
  readonly chunkIndex: number;
  /**
   * Position among the narration's chunks sent to synthesis, 0, 1, 2…: the playout plays chunks in
   * this order (whitespace-only chunks are never synthesized, so `chunkIndex` may skip).
   */
  readonly order: number;
  /** Silence between this chunk's last sound and the next chunk's first, ms (0 = none; RoomShaping.pauseAfter). */
  readonly pauseAfterMs: number;
  /**
   * The narration's last chunk, when known at submission (its text was complete). Otherwise the
   * playout learns it from the next chunk's first block or from `endNarration`, and holds the
   * chunk's last few ms (its fade-out) until then, so a narration never ends on an inserted pause.
   */
  readonly last: boolean;
}

/** How a narration's audio is shaped on its way into the FIFO (NarrationShaper's options, issue 12). */
export interface ShapingParams {
  /** Trim each chunk's edge silence and insert the voice's pauses (false: join fades only). */
  readonly seams: boolean;
  /** Linear amplitude under which a sample counts as silence, in [0, 1). */
  readonly silenceThreshold: number;
  /** Linear gain of the whole narration (1 = none). */
  readonly gain: number;
  /** True-peak ceiling, dBTP; null = no limiter. */
  readonly ceilingDbtp: number | null;
  /** Measure loudness before the gain and after the limiter (reported in a `shaped` event). */
  readonly meter: boolean;
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
  | { type: 'sink-error'; roomId: string; sink: string; message: string }
  /**
   * The narration's audio is complete and shaped (before its `narration-end`): its loudness when
   * metered, BS.1770 integrated, LUFS (null when not metered or too short to gate).
   */
  | { type: 'shaped'; roomId: string; narrationId: string; inputLufs: number | null; outputLufs: number | null; gatedSeconds: number };

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
  /**
   * How the narration's audio is shaped; sent once, before its first chunk is synthesized. Blocks that
   * reach the assembly thread before it are held (they may come straight from an engine worker).
   */
  shapeNarration(roomId: string, narrationId: string, params: ShapingParams): void;
  /**
   * Appends synthesized audio of one chunk (for engines whose audio comes through this thread):
   * mono f32 in [-1, 1] at the room rate. The buffer is transferred. Chunks play in `route.order`.
   */
  pushBlock(route: ChunkRoute, samples: Float32Array): void;
  /**
   * The chunk's audio is complete (or it failed): its pause follows and the next chunk may play.
   * Idempotent: an engine worker that routes audio directly ends its chunks itself.
   */
  endChunk(route: ChunkRoute): void;
  /**
   * All of the narration's chunks are sent: `chunks` of them went to synthesis (orders 0…chunks−1).
   * Once they are all ended, the narration's shaping is flushed and the gate may start and drain it.
   */
  endNarration(roomId: string, narrationId: string, chunks: number): void;
  /**
   * A new direct channel from an engine worker to the assembly thread: the engine's worker posts
   * {@link ChunkRoute}-tagged blocks and chunk ends on the returned port (playout-protocol.ts
   * `SourceMessage`). Optional: playouts without a thread of their own have none.
   */
  openSource?(): MessagePort;
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
