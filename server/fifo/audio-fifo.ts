import { abortError } from '../synthesis/tts-engine.ts';

/**
 * A room's queue of synthesized audio between synthesis (producer) and the
 * frame clock (consumer). Mono Float32Array samples in [-1, 1] at one sample rate,
 * stored as the blocks the engine produced, each tagged {narrationId, chunkIndex}.
 *
 * Audio is kept per narration (in the order narrations were first pushed), so a
 * narration synthesized ahead never interleaves with the one playing. `push` never
 * blocks and never drops; above `maxSamples` the producer is expected to await
 * `waitForSpace()` (back-pressure).
 */

/** A block of one chunk's audio as pushed. */
interface Segment {
  readonly chunkIndex: number;
  readonly samples: Float32Array;
  /** Samples of `samples` already popped. */
  offset: number;
}

/** Where popped samples came from: `length` samples of chunk `chunkIndex`, starting at `start` in the popped array. */
export interface FifoSpan {
  readonly narrationId: string;
  readonly chunkIndex: number;
  readonly start: number;
  readonly length: number;
  /** True when this span holds the first sample of the chunk's first block (captions switch here). */
  readonly chunkStart: boolean;
}

/** Result of {@link AudioFifo.pop}. */
export interface FifoPop {
  /** Exactly the requested number of samples; the tail is silence when the FIFO ran short. */
  readonly samples: Float32Array;
  /** Audio spans in order; samples outside every span are padding. */
  readonly spans: readonly FifoSpan[];
  /** Samples of silence padded at the end. */
  readonly padded: number;
}

/** Options of {@link AudioFifo.pop}. */
export interface PopOptions {
  /** Pop only this narration's audio; default: the first narration holding audio. */
  readonly narrationId?: string;
  /**
   * Whether the narration's synthesis is finished. Padding counts as underrun
   * only when false (a short pop at a narration's end is its natural end).
   */
  readonly finished?: boolean;
  /** Destination of `n` samples (avoids an allocation per frame); it is zero-filled first. */
  readonly out?: Float32Array;
}

/** Per-narration queue. */
interface NarrationQueue {
  readonly segments: Segment[];
  samples: number;
  /** Highest chunk index whose first sample has been popped; −1 before any. */
  startedChunk: number;
}

/** Waiter of {@link AudioFifo.waitForSpace}. */
interface SpaceWaiter {
  resolve(): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** See the module comment. */
export class AudioFifo {
  private readonly queues = new Map<string, NarrationQueue>();
  private total = 0;
  private waiters: SpaceWaiter[] = [];
  /** Samples of silence padded while a narration was not finished (underrun), since creation. */
  underrunSamples = 0;

  /**
   * @param sampleRate Hz, used for the seconds/ms figures
   * @param maxSamples size above which `waitForSpace` holds the producer back (samples)
   * @throws RangeError for a non-positive rate or max size
   */
  constructor(
    readonly sampleRate: number,
    readonly maxSamples: number,
  ) {
    if (!(sampleRate > 0)) throw new RangeError(`AudioFifo sampleRate must be > 0 Hz, got ${sampleRate}`);
    if (!(maxSamples > 0)) throw new RangeError(`AudioFifo maxSamples must be > 0, got ${maxSamples}`);
  }

  /**
   * Appends a block; never blocks, never drops. The FIFO keeps `samples` (no copy):
   * the caller must not write to it afterwards. Empty blocks are ignored.
   */
  push(narrationId: string, chunkIndex: number, samples: Float32Array): void {
    if (samples.length === 0) return;
    let q = this.queues.get(narrationId);
    if (!q) {
      q = { segments: [], samples: 0, startedChunk: -1 };
      this.queues.set(narrationId, q);
    }
    q.segments.push({ chunkIndex, samples, offset: 0 });
    q.samples += samples.length;
    this.total += samples.length;
  }

  /**
   * Removes exactly `n` samples of one narration (see {@link PopOptions.narrationId}), padding
   * with silence when fewer are queued. Never crosses into another narration.
   */
  pop(n: number, options: PopOptions = {}): FifoPop {
    const out = options.out ?? new Float32Array(n);
    if (out.length < n) throw new RangeError(`AudioFifo.pop: out holds ${out.length} samples, ${n} requested`);
    out.fill(0, 0, n);
    const id = options.narrationId ?? this.headNarration();
    const spans: FifoSpan[] = [];
    let filled = 0;
    const q = id === null ? undefined : this.queues.get(id);
    if (q && id !== null) {
      while (filled < n && q.segments.length > 0) {
        const seg = q.segments[0]!;
        const take = Math.min(n - filled, seg.samples.length - seg.offset);
        out.set(seg.samples.subarray(seg.offset, seg.offset + take), filled);
        const chunkStart = seg.offset === 0 && seg.chunkIndex > q.startedChunk;
        if (chunkStart) q.startedChunk = seg.chunkIndex;
        const last = spans[spans.length - 1];
        if (last && last.chunkIndex === seg.chunkIndex && !chunkStart) {
          spans[spans.length - 1] = { ...last, length: last.length + take };
        } else {
          spans.push({ narrationId: id, chunkIndex: seg.chunkIndex, start: filled, length: take, chunkStart });
        }
        seg.offset += take;
        filled += take;
        if (seg.offset === seg.samples.length) q.segments.shift();
      }
      q.samples -= filled;
      this.total -= filled;
      if (q.samples === 0) this.queues.delete(id);
    }
    const padded = n - filled;
    if (padded > 0 && options.finished === false) this.underrunSamples += padded;
    if (filled > 0) this.releaseWaiters();
    return { samples: out, spans, padded };
  }

  /**
   * Copies up to `n` samples of a narration without removing them (pause fades out
   * what it will resume from). Missing samples are zeros.
   */
  peek(n: number, narrationId: string, out: Float32Array = new Float32Array(n)): Float32Array {
    out.fill(0, 0, n);
    const q = this.queues.get(narrationId);
    if (!q) return out;
    let filled = 0;
    for (const seg of q.segments) {
      if (filled >= n) break;
      const take = Math.min(n - filled, seg.samples.length - seg.offset);
      out.set(seg.samples.subarray(seg.offset, seg.offset + take), filled);
      filled += take;
    }
    return out;
  }

  /**
   * The last up-to-`n` unplayed samples of the narration's newest block, as a writable
   * view (seams fade a chunk's tail in place once the next chunk arrives).
   * Empty when nothing of the narration is queued.
   */
  tail(narrationId: string, n: number): Float32Array {
    const q = this.queues.get(narrationId);
    const seg = q?.segments[q.segments.length - 1];
    if (!seg) return new Float32Array(0);
    const start = Math.max(seg.offset, seg.samples.length - n);
    return seg.samples.subarray(start);
  }

  /** Chunk index of the narration's newest queued block, or null when none is queued. */
  lastChunkIndex(narrationId: string): number | null {
    const q = this.queues.get(narrationId);
    const seg = q?.segments[q.segments.length - 1];
    return seg ? seg.chunkIndex : null;
  }

  /** Drops a narration's queued audio (cancel). @returns samples dropped */
  dropNarration(narrationId: string): number {
    const q = this.queues.get(narrationId);
    if (!q) return 0;
    this.queues.delete(narrationId);
    this.total -= q.samples;
    this.releaseWaiters();
    return q.samples;
  }

  /** Drops everything queued. @returns samples dropped */
  clear(): number {
    const dropped = this.total;
    this.queues.clear();
    this.total = 0;
    this.releaseWaiters();
    return dropped;
  }

  /** Samples queued; of one narration when `narrationId` is given. */
  bufferedSamples(narrationId?: string): number {
    if (narrationId === undefined) return this.total;
    return this.queues.get(narrationId)?.samples ?? 0;
  }

  /** Seconds queued; of one narration when `narrationId` is given. */
  bufferedSeconds(narrationId?: string): number {
    return this.bufferedSamples(narrationId) / this.sampleRate;
  }

  /** Narrations holding audio, in the order their audio was first pushed. */
  narrations(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Resolves once fewer than `maxSamples` samples are queued (immediately if so now).
   * @throws AbortError (rejects) when `signal` aborts first
   */
  waitForSpace(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.total < this.maxSamples) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: SpaceWaiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
    });
  }

  private headNarration(): string | null {
    for (const id of this.queues.keys()) return id;
    return null;
  }

  private releaseWaiters(): void {
    if (this.total >= this.maxSamples || this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }
}
