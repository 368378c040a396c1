/**
 * Counting semaphore for model loads. Seed 004 (milestone 4 risks): "VRAM fragmentation →
 * serialize loads with semaphore"; with one slot, loads of different models run one after
 * another, in request order.
 */
export class LoadSlots {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  /** @param size concurrent loads allowed, ≥ 1 (Infinity = unlimited). Throws RangeError otherwise. */
  constructor(private readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`LoadSlots size must be >= 1, got ${size}`);
  }

  /** Runs `fn` once a slot is free; the slot is freed when `fn` settles. */
  async run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.active--;
    }
  }
}
