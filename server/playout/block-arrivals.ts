import { LatencyWindow, type LatencySummary } from '../observability/latency-window.ts';

/** What {@link BlockArrivals} reports. */
export interface BlockArrivalStats {
  /** Blocks that came straight from an engine worker's port. */
  readonly direct: number;
  /** Blocks the main thread passed on (engines without a port of their own). */
  readonly relayed: number;
  /** Posted → handed to the room's assembly, ms, over the last 4 096 blocks (or those since a count). */
  readonly arrivalMs: LatencySummary;
}

/**
 * Counts the synthesized blocks that reach the playout thread and keeps their arrival latency
 * (posted by the engine worker or the main thread → handed to the room's assembly, ms), for the
 * benchmark's block arrival with and without main-thread stalls (issue 13).
 */
export class BlockArrivals {
  private direct = 0;
  private relayed = 0;
  private readonly window = new LatencyWindow(4096);

  /** One block arrived `latencyMs` after it was posted; `relayed`: it came through the main thread. */
  note(latencyMs: number, relayed: boolean): void {
    if (relayed) this.relayed++;
    else this.direct++;
    this.window.note(Math.max(0, latencyMs));
  }

  /** @param since an earlier `direct + relayed`: the latency summary covers only blocks after it (at most the last 4 096) */
  stats(since = 0): BlockArrivalStats {
    return { direct: this.direct, relayed: this.relayed, arrivalMs: this.window.summary(this.window.total - since) };
  }
}
