import { abortError } from '../synthesis/tts-engine.ts';

/**
 * An unbounded single-consumer async queue: the text stage pushes chunks as they
 * become safe (streamed text arrives over time), the synthesis stage pulls them.
 * `next()` resolves with `undefined` once the queue is ended and empty.
 */
export class ChunkQueue<T> {
  private readonly items: T[] = [];
  private ended = false;
  private waiter: { resolve: (v: T | undefined) => void; reject: (e: unknown) => void } | null = null;

  /** Appends items; ignored after `end()`. */
  push(...items: T[]): void {
    if (this.ended) return;
    this.items.push(...items);
    this.wake();
  }

  /** No more items will come. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length;
  }

  /**
   * The next item, waiting for one if needed.
   * @throws AbortError when `signal` aborts while waiting
   */
  next(signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiter = null;
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject,
      };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.items.length > 0) {
      this.waiter = null;
      waiter.resolve(this.items.shift());
    } else if (this.ended) {
      this.waiter = null;
      waiter.resolve(undefined);
    }
  }
}
