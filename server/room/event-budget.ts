import { NarrationError } from '../narration/narration-error.ts';

/**
 * Players' game-event budgets in one room: a token bucket per client holding up to `perMinute`
 * events (a burst) and refilled evenly at `perMinute` a minute (config `limits.playerEventsPerMinute`).
 * Entries go with their client ({@link forget}), so the map is bounded by the room's clients.
 */
export class EventBudgets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

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
    const b = this.buckets.get(sessionId) ?? { tokens: perMinute, atMs: nowMs };
    b.tokens = Math.min(perMinute, b.tokens + ((nowMs - b.atMs) * perMinute) / 60_000);
    b.atMs = nowMs;
    this.buckets.set(sessionId, b);
    if (b.tokens < 1) {
      throw new NarrationError('rate_limited', `too many events: a player may send ${perMinute} a minute; wait ${Math.ceil(((1 - b.tokens) * 60) / perMinute)} s`);
    }
    b.tokens -= 1;
  }

  /** The client left. */
  forget(sessionId: string): void {
    this.buckets.delete(sessionId);
  }
}
