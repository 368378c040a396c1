/**
 * Pre-buffer gate of one room: decides, frame by frame, whether the narration at
 * the head of the FIFO may play.
 *
 *   idle ─begin→ buffering ─threshold or finished→ playing ─FIFO dry, not finished→ underrun
 *   underrun ─threshold or finished→ playing;  playing ─FIFO dry, finished→ drained ─reset→ idle
 *
 * Threshold rule (ms of the narration's audio queued before playback (re)starts):
 * - no RTF measured yet: the configured `prebufferMs` (config `playout.prebufferMs`);
 * - RTF measured, rtf < 1: `max(floorMs, rtf / (1 − rtf) × expectedChunkMs)`.
 *   The FIFO must outlast the synthesis of the next chunk, which takes `rtf × chunkMs`;
 *   the 1 / (1 − rtf) factor is the standard streaming lead (audio must cover the
 *   synthesis time of the audio that arrives meanwhile: P = rtf·(C + P) ⇒ P = rtf·C/(1−rtf)),
 *   so it grows without bound as the engine nears real time. Fast engines
 *   (espeak-ng, rtf ≈ 0.02) land on the floor: 3 frames (60 ms) = one frame being
 *   played, one arriving, one of scheduling jitter — TTFA stays low;
 * - rtf ≥ 1: the engine cannot keep up, so wait for the whole narration (finished).
 * In every case the threshold is capped at `capMs` (below the FIFO's back-pressure
 * size): waiting for more than the producer is allowed to queue would deadlock.
 */

/** Gate states, see the module comment. */
export type GateState = 'idle' | 'buffering' | 'playing' | 'underrun' | 'drained';

/** Options of {@link PrebufferGate}. */
export interface PrebufferGateOptions {
  /** Threshold before any RTF is measured, ms (config `playout.prebufferMs`). */
  readonly prebufferMs: number;
  /** Upper bound of the threshold, ms; keep it below the FIFO's `maxBufferedMs`. */
  readonly capMs: number;
  /** Lower bound once an RTF is known, ms; default 60 (3 frames of 20 ms). */
  readonly floorMs?: number;
  /** Expected duration of one chunk's audio, ms; default 2 000 (a clause of ~30 characters at ~15 chars/s). */
  readonly expectedChunkMs?: number;
  /** One frame, ms: less than this queued mid-narration is an underrun; default 20. */
  readonly frameMs?: number;
}

/** See the module comment. */
export class PrebufferGate {
  private stateValue: GateState = 'idle';
  private rtf: number | null = null;
  /** Underruns since the last `begin()`. */
  underruns = 0;
  private readonly floorMs: number;
  private readonly expectedChunkMs: number;
  private readonly frameMs: number;

  /** @throws RangeError for a negative prebufferMs or a capMs below one frame */
  constructor(private readonly options: PrebufferGateOptions) {
    this.floorMs = options.floorMs ?? 60;
    this.expectedChunkMs = options.expectedChunkMs ?? 2000;
    this.frameMs = options.frameMs ?? 20;
    if (!(options.prebufferMs >= 0)) throw new RangeError(`prebufferMs must be ≥ 0 ms, got ${options.prebufferMs}`);
    if (!(options.capMs >= this.frameMs)) throw new RangeError(`capMs must be ≥ one frame (${this.frameMs} ms), got ${options.capMs}`);
  }

  get state(): GateState {
    return this.stateValue;
  }

  /** Latest measured RTF (synthesis time / audio duration); null before any. */
  get measuredRtf(): number | null {
    return this.rtf;
  }

  /** @throws RangeError for a negative or non-finite RTF */
  setRtf(rtf: number): void {
    if (!(rtf >= 0) || !Number.isFinite(rtf)) throw new RangeError(`RTF must be a finite number ≥ 0, got ${rtf}`);
    this.rtf = rtf;
  }

  /** Audio to queue before playing, ms; Infinity = wait for the end of synthesis (still capped by `capMs` in `decide`). */
  thresholdMs(): number {
    if (this.rtf === null) return Math.min(this.options.prebufferMs, this.options.capMs);
    if (this.rtf >= 1) return Infinity;
    const lead = (this.rtf / (1 - this.rtf)) * this.expectedChunkMs;
    return Math.min(Math.max(this.floorMs, lead), this.options.capMs);
  }

  /** A narration reached the head of the queue: idle → buffering. No-op in other states. */
  begin(): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'buffering';
    this.underruns = 0;
  }

  /**
   * Re-evaluates the state before a frame.
   * @param bufferedMs the head narration's audio queued, ms
   * @param finished whether its synthesis is finished
   * @returns the new state: `playing` means pop a frame; `buffering`/`underrun` mean play silence;
   *   `drained` means the narration is over (call `reset()`)
   */
  decide(bufferedMs: number, finished: boolean): GateState {
    switch (this.stateValue) {
      case 'idle':
      case 'drained':
        return this.stateValue;
      case 'buffering':
      case 'underrun':
        if (finished && bufferedMs <= 0) this.stateValue = 'drained';
        else if (finished || bufferedMs >= Math.min(this.thresholdMs(), this.options.capMs)) this.stateValue = 'playing';
        return this.stateValue;
      case 'playing':
        if (finished) {
          if (bufferedMs <= 0) this.stateValue = 'drained';
        } else if (bufferedMs < this.frameMs) {
          this.stateValue = 'underrun';
          this.underruns++;
        }
        return this.stateValue;
    }
  }

  /** Back to idle for the next narration (after drained or a cancel); the RTF is kept. */
  reset(): void {
    this.stateValue = 'idle';
  }
}
