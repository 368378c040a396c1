/**
 * A token bucket: holds up to `perMinute` tokens (the burst) and refills evenly at `perMinute` a
 * minute, so a client may spend a burst at once and then one token every `60 000 / perMinute` ms.
 * Time is passed in, not read, so one clock serves every bucket and tests need no fake timers.
 */
export class TokenBucket {
  private tokens: number;
  private atMs: number;

  /**
   * @param perMinute tokens a minute and the burst size; must be > 0
   * @param nowMs the creation time, ms (any monotonic clock, the same for every call)
   * @throws RangeError when `perMinute` is not a positive number
   */
  constructor(readonly perMinute: number, nowMs: number) {
    if (!(perMinute > 0)) throw new RangeError(`a token bucket needs perMinute > 0, got ${perMinute}`);
    this.tokens = perMinute;
    this.atMs = nowMs;
  }

  /** Takes one token. @returns false, taking nothing, when the bucket is empty */
  take(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Time until the next whole token, ms (0 when one is there). */
  waitMs(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 60_000) / this.perMinute;
  }

  private refill(nowMs: number): void {
    this.tokens = Math.min(this.perMinute, this.tokens + (Math.max(0, nowMs - this.atMs) * this.perMinute) / 60_000);
    this.atMs = Math.max(this.atMs, nowMs);
  }
}
