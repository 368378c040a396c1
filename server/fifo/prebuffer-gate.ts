/**
 * Pre-buffer gate of one room: decides, frame by frame, whether the narration at
 * the head of the FIFO may play.
 *
 *   idle ─begin→ buffering ─start rule or finished→ playing ─FIFO dry, not finished→ underrun
 *   underrun ─start rule or finished→ playing;  playing ─FIFO dry, finished→ drained ─reset→ idle
 *
 * Start rule. No RTF measured yet: `prebufferMs` (config `playout.prebufferMs` or the
 * GPU tier's) queued. Once an RTF r is known (the room's *delivered* RTF: synthesis
 * time per audio time, TTFB and scheduler queue waits included, see RoomNarrator):
 *
 * Model (the chunk schedule, server/text/chunker-options.ts and RoomNarrator):
 *  1. chunks are produced back to back while the FIFO has room, so chunk j is complete
 *     by `r·S_j` after the anchor, S_j = c_1 + … + c_j (chunk audio, ms). The anchor is
 *     the first frame the gate sees audio while waiting, so chunk 1's TTFB is not in it;
 *     later chunks' TTFB and queue waits are in r, being delivered rates;
 *  2. worst case, a chunk's audio arrives all at once when it is complete (engines that
 *     stream blocks deliver earlier, which only helps);
 *  3. every chunk lasts at most `maxChunkMs` (the chunker's hard maximum, 8 s);
 *  4. a narration of more than one chunk starts with one of at least `firstChunkMinMs`
 *     (the chunker's first chunk ends at the first pause after ~1 s of speech).
 * Playback starts after waiting w ms from the anchor with B ms queued. Chunk k+1 is
 * needed at `w + S_k` and ready at `r·S_{k+1}`, so no underrun iff for every chunk
 * boundary k ahead: `w + S_k ≥ r·S_{k+1}`, i.e. `w + (1 − r)·S_k ≥ r·c_{k+1}`. The left
 * side grows with k (r < 1), so the first boundary ahead binds; there S_k ≥ B, and
 * S_k ≥ c_1 ≥ firstChunkMinMs while the narration has not underrun yet, and
 * c_{k+1} ≤ maxChunkMs:
 *
 *     start when  B ≥ floorMs  and  w + (1 − r)·max(B, c1) ≥ r·maxChunkMs + marginMs
 *     (c1 = firstChunkMinMs before the narration's first underrun, 0 after it)
 *
 * i.e. a threshold `B ≥ (r·maxChunkMs + marginMs − w) / (1 − r)` that falls as the gate
 * waits, reaching the floor by `w = r·maxChunkMs + marginMs` at the latest: near r = 1 the
 * wait tends to one longest chunk's synthesis (the old `r/(1−r)·chunk` rule ignored that
 * synthesis goes on while the gate waits, so it asked for unbounded audio). With a short
 * first chunk followed by a long one this is the `r·(c1 + c2) − c1` lead of the schedule.
 * `marginMs` covers what the model leaves out: the TTFB of the next chunk while r is
 * still the first chunk's streaming rate (before any chunk is delivered), per-chunk RTF
 * jitter and frame quantisation. Fast engines (espeak-ng, r ≈ 0.01–0.05) satisfy the rule
 * through c1 alone, `(1 − r)·firstChunkMinMs ≥ r·maxChunkMs + marginMs` for r up to
 * (1000 − 300) / (1000 + 8000) ≈ 0.078 with the defaults, so they start on the floor:
 * 3 frames (60 ms) = one frame being played, one arriving, one of scheduling jitter.
 *
 * r ≥ 1: production falls behind playback by (r − 1) per ms of audio, so the lead
 * needed grows with the narration's length, which the gate does not know: it waits for
 * the end of synthesis (finished).
 * In every case the gate starts once `capMs` is queued (below the FIFO's back-pressure
 * size): waiting for more than the producer is allowed to queue would deadlock.
 *
 * Time: each `decide` call stands for one frame slot of `frameMs` (the frame clock calls
 * it once per slot); slots skipped (pause) do not count, which only delays the start.
 */

/** Gate states, see the module comment. */
export type GateState = 'idle' | 'buffering' | 'playing' | 'underrun' | 'drained';

/** Options of {@link PrebufferGate}. */
export interface PrebufferGateOptions {
  /** Threshold before any RTF is measured, ms (config `playout.prebufferMs`). */
  readonly prebufferMs: number;
  /** Upper bound of the threshold, ms; keep it below the FIFO's `maxBufferedMs`. */
  readonly capMs: number;
  /** Least audio queued to start once an RTF is known, ms; default 60 (3 frames of 20 ms). */
  readonly floorMs?: number;
  /** Longest chunk's audio, ms; default 8 000 (the chunker's hard `maxSeconds`, server/text/chunker-options.ts). */
  readonly maxChunkMs?: number;
  /**
   * Shortest first chunk of a narration of several chunks, ms; default 1 000 (the chunker's
   * `firstMinSeconds`: the first chunk ends at the first pause point after that much speech).
   */
  readonly firstChunkMinMs?: number;
  /**
   * Margin of the rule, ms; default 300: a next-chunk TTFB of a GPU XTTS-class engine
   * (150–400 ms: seed 004, scheduler scenario tiers) that an early streaming RTF omits,
   * plus jitter. See the module comment.
   */
  readonly marginMs?: number;
  /** One frame, ms: less than this queued mid-narration is an underrun; the time one `decide` stands for; default 20. */
  readonly frameMs?: number;
}

/** See the module comment. */
export class PrebufferGate {
  private stateValue: GateState = 'idle';
  private rtf: number | null = null;
  /** Underruns since the last `begin()`. */
  underruns = 0;
  /** ms waited since the anchor (first frame with audio queued while waiting); null before it. */
  private waitedMs: number | null = null;
  private readonly floorMs: number;
  private readonly maxChunkMs: number;
  private readonly firstChunkMinMs: number;
  private readonly marginMs: number;
  private readonly frameMs: number;

  /** @throws RangeError for a negative prebufferMs, a capMs below one frame, or a negative duration option */
  constructor(private readonly options: PrebufferGateOptions) {
    this.floorMs = options.floorMs ?? 60;
    this.maxChunkMs = options.maxChunkMs ?? 8000;
    this.firstChunkMinMs = options.firstChunkMinMs ?? 1000;
    this.marginMs = options.marginMs ?? 300;
    this.frameMs = options.frameMs ?? 20;
    if (!(options.prebufferMs >= 0)) throw new RangeError(`prebufferMs must be ≥ 0 ms, got ${options.prebufferMs}`);
    if (!(options.capMs >= this.frameMs)) throw new RangeError(`capMs must be ≥ one frame (${this.frameMs} ms), got ${options.capMs}`);
    for (const [name, v] of Object.entries({ floorMs: this.floorMs, maxChunkMs: this.maxChunkMs, firstChunkMinMs: this.firstChunkMinMs, marginMs: this.marginMs })) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite number ≥ 0 ms, got ${v}`);
    }
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

  /**
   * Audio to queue before playing now, ms, after the time already waited (see the module
   * comment); Infinity = wait for the end of synthesis (rtf ≥ 1). `decide` also starts at `capMs`.
   */
  thresholdMs(): number {
    const cap = this.options.capMs;
    if (this.rtf === null) return Math.min(this.options.prebufferMs, cap);
    const r = this.rtf;
    if (r >= 1) return Infinity;
    const w = this.waitedMs ?? 0;
    const need = r * this.maxChunkMs + this.marginMs - w;
    const c1 = this.underruns === 0 ? this.firstChunkMinMs : 0;
    if ((1 - r) * c1 >= need) return Math.min(this.floorMs, cap);
    return Math.min(Math.max(this.floorMs, need / (1 - r)), cap);
  }

  /** A narration reached the head of the queue: idle → buffering. No-op in other states. */
  begin(): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'buffering';
    this.underruns = 0;
    this.waitedMs = null;
  }

  /**
   * Re-evaluates the state before a frame; one call per frame slot (the gate counts time in them).
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
        if (this.waitedMs === null && bufferedMs > 0) this.waitedMs = 0;
        if (finished && bufferedMs <= 0) this.stateValue = 'drained';
        else if (finished || bufferedMs >= Math.min(this.thresholdMs(), this.options.capMs)) this.stateValue = 'playing';
        else if (this.waitedMs !== null) this.waitedMs += this.frameMs;
        return this.stateValue;
      case 'playing':
        if (finished) {
          if (bufferedMs <= 0) this.stateValue = 'drained';
        } else if (bufferedMs < this.frameMs) {
          this.stateValue = 'underrun';
          this.underruns++;
          this.waitedMs = null;
        }
        return this.stateValue;
    }
  }

  /** Back to idle for the next narration (after drained or a cancel); the RTF is kept. */
  reset(): void {
    this.stateValue = 'idle';
    this.waitedMs = null;
  }
}
