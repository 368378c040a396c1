import type { TextChunk } from '../text/semantic-chunker.ts';
import type { PlayoutNarrationStats } from '../playout/playout.ts';
import { ChunkQueue } from './chunk-queue.ts';

/** What started a narration: `event:<type>`, `dm:text` or `dm:stream`. */
export type NarrationTrigger = string;

/**
 * One narration's figures as `report.json` lists them (field names are read by tools).
 * Times in ms; TTFA from the server receiving the event/request to its first frame
 * handed to sinks; cancel latency from the cancel request to its last frame handed to sinks.
 */
export interface NarrationReport {
  id: string;
  trigger: NarrationTrigger;
  /** Source text (captions show it). */
  text: string;
  /** Chunks the text was split into. */
  chunks: number;
  ttfaMs: number | null;
  /**
   * Request received → the first synthesized block in the room's FIFO on the playout thread, ms; null
   * when none arrived. `ttfaMs − firstBlockMs` is what the pre-buffer and the 20 ms frame grid added.
   */
  firstBlockMs: number | null;
  /** Audio handed to sinks, ms. */
  audioMs: number;
  /** Time the engine spent synthesizing this narration's chunks, ms (first call to last block, per chunk, summed). */
  synthesisMs: number;
  /** synthesisMs / audio synthesized, or null when no audio was synthesized. */
  rtf: number | null;
  underruns: number;
  gapMs: number;
  cancelled: boolean;
  cancelLatencyMs: number | null;
  paused: boolean;
  /**
   * Integrated loudness of the narration as sent to the sinks (after gain and limiter), LUFS
   * (ITU-R BS.1770, the narrator's own meter); null when loudness normalization is off or the
   * narration was too short or cancelled before it was measured.
   */
  loudnessLufs: number | null;
  /** Gain the narration got towards config `loudness.targetLufs`, dB (0 when off). */
  gainDb: number;
  /**
   * Why the narration failed, or null: its language model failed (what it wrote before was spoken),
   * chunks whose synthesis failed (the rest was still spoken), or an engine that produced no audio at all. A failure is never reported as a plain success.
   */
  error: string | null;
}

/** A narration in flight on the main thread: its text, chunks, synthesis state and cancel handle. */
export class Narration {
  readonly abort = new AbortController();
  readonly chunks: TextChunk[] = [];
  readonly pending = new ChunkQueue<TextChunk>();
  text = '';
  synthesisMs = 0;
  synthesizedSamples = 0;
  firstFrameAtMs: number | null = null;
  /** Gain applied for the loudness target, dB; set when synthesis starts. */
  gainDb = 0;
  /** Output loudness measured when synthesis ended, LUFS; null before or when not measured. */
  loudnessLufs: number | null = null;
  /** Chunks whose synthesis failed, and the first failure's message. */
  failedChunks = 0;
  firstError: string | null = null;
  /** Why the narration's text source (a language model) failed, or null; what it wrote before stays spoken. */
  textError: string | null = null;
  /** Set when the playout reported the narration's last frame. */
  stats: PlayoutNarrationStats | null = null;
  /** Resolves when the playout reported the narration's end (played out or cancelled). */
  readonly done: Promise<NarrationReport>;
  private resolveDone!: (r: NarrationReport) => void;

  constructor(
    readonly id: string,
    readonly trigger: NarrationTrigger,
    readonly receivedAtMs: number,
    readonly sampleRate: number,
    /** Engine voice of this narration; undefined = the room's default. */
    readonly voice?: string,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Adds chunks the text stage emitted; they become synthesis work. */
  addChunks(chunks: readonly TextChunk[]): void {
    for (const c of chunks) {
      this.chunks.push(c);
      this.pending.push(c);
    }
  }

  /** A chunk (or, `index` null, the whole narration) failed to synthesize: the report will say so. */
  noteFailure(index: number | null, message: string): void {
    this.failedChunks++;
    this.firstError ??= index === null ? message : `chunk ${index}: ${message}`;
  }

  /** The report line of this narration. */
  report(): NarrationReport {
    const s = this.stats;
    const cancelled = s?.cancelled ?? this.abort.signal.aborted;
    const audioMs = round(s?.audioMs ?? 0);
    const synthesizedSeconds = this.synthesizedSamples / this.sampleRate;
    const firstFrame = s?.firstFrameAtMs ?? this.firstFrameAtMs;
    return {
      id: this.id,
      trigger: this.trigger,
      text: this.text,
      chunks: this.chunks.length,
      ttfaMs: firstFrame === null ? null : round(firstFrame - this.receivedAtMs),
      firstBlockMs: s?.firstBlockAtMs == null ? null : round(s.firstBlockAtMs - this.receivedAtMs),
      audioMs,
      synthesisMs: round(this.synthesisMs),
      rtf: synthesizedSeconds > 0 ? Math.round((this.synthesisMs / 1000 / synthesizedSeconds) * 1e4) / 1e4 : null,
      underruns: s?.underruns ?? 0,
      gapMs: round(s?.gapMs ?? 0),
      cancelled,
      cancelLatencyMs: s?.cancelLatencyMs === null || s?.cancelLatencyMs === undefined ? null : round(s.cancelLatencyMs),
      paused: s?.paused ?? false,
      loudnessLufs: this.loudnessLufs !== null && Number.isFinite(this.loudnessLufs) ? Math.round(this.loudnessLufs * 10) / 10 : null,
      gainDb: Math.round(this.gainDb * 10) / 10,
      error: this.textError !== null
        ? this.textError
        : this.failedChunks > 0
        ? `${this.failedChunks} of ${this.chunks.length} chunk(s) failed to synthesize: ${this.firstError}`
        : !cancelled && s !== null && audioMs === 0 ? 'the engine produced no audio' : null,
    };
  }

  /** Stats of a narration whose end the playout never reported: cancelled, figures as far as known. */
  unplayedStats(): PlayoutNarrationStats {
    return {
      audioMs: 0, underruns: 0, gapMs: 0, cancelled: true, cancelLatencyMs: null, paused: false,
      firstBlockAtMs: null, firstFrameAtMs: this.firstFrameAtMs, lastFrameAtMs: null,
    };
  }

  /** Called once when the playout reports the narration's end. */
  finish(stats: PlayoutNarrationStats): NarrationReport {
    this.stats = stats;
    const report = this.report();
    this.resolveDone(report);
    return report;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
