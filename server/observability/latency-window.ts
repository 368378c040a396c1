/** Nearest-rank percentiles of a {@link LatencyWindow}, ms (NaN when empty). */
export interface LatencySummary {
  /** Samples in the window. */
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The last `size` latencies of something (a ring), summarized on demand with nearest-rank
 * percentiles (the smallest sample with at least p % of the samples at or below it, so every figure
 * is one really measured). O(1) per sample; `summary()` sorts a copy, for stats requests, not per frame.
 */
export class LatencyWindow {
  private readonly ring: Float64Array;
  private count = 0;

  /** @param size samples kept, e.g. 2048 (≈ 40 s of 20 ms frames); @throws RangeError when not a positive integer */
  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`LatencyWindow size must be a positive integer, got ${size}`);
    this.ring = new Float64Array(size);
  }

  /** Samples noted since creation (not only those kept). */
  get total(): number {
    return this.count;
  }

  /** Notes one latency, ms. */
  note(ms: number): void {
    this.ring[this.count++ % this.ring.length] = ms;
  }

  /**
   * Percentiles of the samples kept, or of the newest `last` of them (e.g. those noted since an earlier
   * `total`: `summary(total - earlierTotal)`).
   */
  summary(last = Infinity): LatencySummary {
    const n = Math.max(0, Math.min(this.count, this.ring.length, last));
    const sorted = new Float64Array(n);
    for (let i = 0; i < n; i++) sorted[i] = this.ring[(this.count - 1 - i) % this.ring.length]!;
    sorted.sort();
    const at = (p: number) => (n ? sorted[Math.max(1, Math.ceil((p / 100) * n)) - 1]! : NaN);
    return { n, p50: at(50), p95: at(95), p99: at(99), max: n ? sorted[n - 1]! : NaN };
  }
}
