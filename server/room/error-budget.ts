import type { Client, Room } from '@colyseus/core';
import type { Logger } from 'pino';
import { TokenBucket } from './token-bucket.ts';

/** What a room does with one refused client message. */
export type RefusalAnswer =
  /** answer it (`narration:error`) */
  | 'reply'
  /** count it and say nothing: the client has had its share of answers for now */
  | 'silent'
  /** disconnect the client ({@link ERROR_BUDGET_CLOSE}) */
  | 'disconnect';

/** A client's error budget (config `limits.errorRepliesPerMinute`, `limits.refusalsPerMinute`). */
export interface ErrorBudgetOptions {
  /** Refusals answered per client per minute (a burst of this many, then refilled evenly); 0 = none answered. */
  readonly repliesPerMinute: number;
  /** Refusals a client may cause per minute (a burst, refilled evenly) before it is disconnected; 0 = never disconnected. */
  readonly refusalsPerMinute: number;
}

/**
 * WebSocket close code and reason of a client disconnected for spending its refusal budget. In the
 * application range (4000–4999) next to Colyseus's own 4000–4010 (4002 is its `maxMessagesPerSecond`
 * disconnect), echoing HTTP 429 Too Many Requests. The SDK does not reconnect on it.
 */
export const ERROR_BUDGET_CLOSE = { code: 4429, reason: 'too many refused messages' } as const;

/**
 * Unsent bytes on a client's socket (ws `bufferedAmount`) above which it gets no error reply even
 * within its budget: a client this far behind has stopped reading, and an answer would only add to
 * what the server holds for it. 64 KiB is ~400 error replies, or ~70 bridge-sized audio frames.
 */
export const MAX_UNSENT_FOR_REPLY = 64 * 1024;

/**
 * Per-client error budgets of one room (issue 11): every refused message costs an answer — a
 * `narration:error` of ~150 bytes for a 6-byte message — that the server buffers until the client
 * reads it. A client that keeps sending what the room refuses while it stops reading made the server
 * buffer +197 MB. With a budget a client gets at most `repliesPerMinute` answers in a burst (then one
 * every `60 000 / repliesPerMinute` ms); the refusals past that are counted in silence; and past
 * `refusalsPerMinute` (a second, larger bucket) the client is disconnected. So the error bytes one
 * client can make the server queue are bounded by `repliesPerMinute × the largest error` per minute,
 * and a flood ends in a disconnect within `refusalsPerMinute` messages.
 *
 * Two token buckets rather than a fixed window: a window lets a client spend two budgets across its
 * edge. Entries go with their client ({@link forget}), so the map is bounded by the room's clients.
 */
export class ErrorBudgets {
  private readonly clients = new Map<string, { replies: TokenBucket | null; refusals: TokenBucket | null; unanswered: number }>();

  /**
   * @param log where a client going quiet or disconnected is logged (once each, at warn)
   * @throws RangeError when a figure is negative or not a number
   */
  constructor(readonly options: ErrorBudgetOptions, private readonly log?: Logger) {
    for (const [key, value] of Object.entries(options)) {
      if (!(value >= 0)) throw new RangeError(`error budget ${key} must be ≥ 0, got ${value}`);
    }
  }

  /**
   * Counts one refused message of the client and says what to do with it.
   * @param nowMs now, ms (any monotonic clock, the same for every call)
   */
  refuse(sessionId: string, nowMs: number): RefusalAnswer {
    let c = this.clients.get(sessionId);
    if (!c) {
      const { repliesPerMinute, refusalsPerMinute } = this.options;
      c = {
        replies: repliesPerMinute > 0 ? new TokenBucket(repliesPerMinute, nowMs) : null,
        refusals: refusalsPerMinute > 0 ? new TokenBucket(refusalsPerMinute, nowMs) : null,
        unanswered: 0,
      };
      this.clients.set(sessionId, c);
    }
    if (c.refusals && !c.refusals.take(nowMs)) return 'disconnect';
    if (c.replies?.take(nowMs)) return 'reply';
    c.unanswered++;
    return 'silent';
  }

  /**
   * Answers a refused message of `client` in `room` within its budget: sends `type` `payload`
   * (`narration:error`, `audio:error`), or counts it in silence (also when the client's socket has
   * more than {@link MAX_UNSENT_FOR_REPLY} bytes unsent), or disconnects the client with
   * {@link ERROR_BUDGET_CLOSE}. The disconnect goes through Colyseus's own forced close (`kickClient`,
   * the path of its `maxMessagesPerSecond`): the client's messages stop being read at once and the
   * room's onLeave/onDrop runs before the socket closes.
   * @param nowMs now, ms (default `performance.now()`)
   */
  answer(room: Room, client: Client, type: string, payload: unknown, nowMs = performance.now()): RefusalAnswer {
    const sessionId = client.sessionId;
    let answer = this.refuse(sessionId, nowMs);
    if (answer === 'reply' && unsentBytes(client) > MAX_UNSENT_FOR_REPLY) {
      this.clients.get(sessionId)!.unanswered++;
      answer = 'silent';
    }
    const unanswered = this.unanswered(sessionId);
    if (answer === 'reply') client.send(type, payload);
    else if (answer === 'silent' && unanswered === 1) this.log?.warn({ roomId: room.roomId, sessionId }, 'error replies suspended: refusal budget spent');
    else if (answer === 'disconnect') {
      this.log?.warn({ roomId: room.roomId, sessionId, unanswered }, 'client disconnected: too many refused messages');
      this.forget(sessionId);
      room.kickClient(sessionId, ERROR_BUDGET_CLOSE.code, ERROR_BUDGET_CLOSE.reason);
    }
    return answer;
  }

  /** Refusals of the client counted in silence so far (for logs and tests). */
  unanswered(sessionId: string): number {
    return this.clients.get(sessionId)?.unanswered ?? 0;
  }

  /** The client left. */
  forget(sessionId: string): void {
    this.clients.delete(sessionId);
  }
}

/** Bytes queued on the client's WebSocket and not yet handed to the kernel (0 for a transport without `bufferedAmount`). */
function unsentBytes(client: Client): number {
  return (client as unknown as { ref?: { bufferedAmount?: number } }).ref?.bufferedAmount ?? 0;
}
