import { NarrationError } from '../narration/narration-error.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Players' game-event budgets in one room: a {@link TokenBucket} per client holding up to `perMinute`
 * events (a burst) and refilled evenly at `perMinute` a minute (config `limits.playerEventsPerMinute`).
 * Entries go with their client ({@link forget}), so the map is bounded by the room's clients.
 */
export class EventBudgets {
  private readonly buckets = new Map<string, TokenBucket>();

  /** @param perMinute events a minute; 0 = no limit */
  constructor(private readonly perMinute: number) {}

  /**
   * Takes one event from the client's budget.
   * @param nowMs now, ms (any monotonic clock, the same for every call)
   * @throws NarrationError `rate_limited` naming the limit and the wait when the budget is spent
   */
  spend(sessionId: string, nowMs: number): void {
    const perMinute = this.perMinute;
    if (perMinute <= 0) return;
    let bucket = this.buckets.get(sessionId);
    if (!bucket) this.buckets.set(sessionId, (bucket = new TokenBucket(perMinute, nowMs)));
    if (!bucket.take(nowMs)) {
      throw new NarrationError('rate_limited', `too many events: a player may send ${perMinute} a minute; wait ${Math.ceil(bucket.waitMs(nowMs) / 1000)} s`);
    }
  }

  /** The client left. */
  forget(sessionId: string): void {
    this.buckets.delete(sessionId);
  }
}
