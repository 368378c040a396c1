/**
 * A one-consumer queue that turns pushed values into awaited ones: the bridge between
 * worker messages (push) and the engine's async iterator (next). Unbounded, since one
 * chunk's audio is small (400 characters ≈ 25 s ≈ 2.2 MB of f32 at 22 050 Hz).
 */
export class BlockStream<T> {
  private readonly buffered: T[] = [];
  private waiter: { resolve: (v: T | undefined) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private error: Error | undefined;

  /** Queues a value; ignored after `end()` or `fail()`. */
  push(value: T): void {
    if (this.ended || this.error) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(value);
    } else {
      this.buffered.push(value);
    }
  }

  /** No more values: `next()` resolves `undefined` once the buffered ones are taken. */
  end(): void {
    if (this.ended || this.error) return;
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(undefined);
  }

  /** Fails the stream at once: buffered values are dropped and `next()` rejects with `err` from now on. */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.buffered.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** The next value, `undefined` at the end; rejects with the `fail()` error. One call at a time. */
  next(): Promise<T | undefined> {
    if (this.error) return Promise.reject(this.error);
    if (this.buffered.length > 0) return Promise.resolve(this.buffered.shift());
    if (this.ended) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('BlockStream.next() called while another next() is pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
