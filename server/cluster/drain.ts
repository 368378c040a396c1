import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { pathOf, refuseMatchmaking } from '../room/room-creation-limit.ts';

/**
 * Matchmaking requests a draining process refuses: every `POST /matchmake/<method>/…` that would
 * make a room or a new seat (`create`, `join`, `joinOrCreate`, `joinById`). `reconnect` passes: a
 * seat held for a dropped client is not a new seat, and it should hear the end of the narration.
 */
const NEW_SEAT_ROUTE = /^\/matchmake\/(?!reconnect\/)[^/]+\//;

/**
 * While `reason()` returns a text, refuses new rooms and seats with HTTP 503, `Retry-After: 5` and
 * `{"error": reason}` (the SDK's `MatchMakeError`, code 503) before Colyseus reads the request;
 * while it returns null, passes everything. Wraps the server's current `request` listeners, as the
 * body limit and the room-creation limit do.
 */
export function gateMatchmaking(http: HttpServer, reason: () => string | null): void {
  const others = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refused = req.method === 'POST' ? reason() : null;
    if (refused !== null && NEW_SEAT_ROUTE.test(pathOf(req.url))) return refuseMatchmaking(req, res, 503, refused, 5);
    for (const listener of others) listener.call(http, req, res);
  });
}

/** What {@link waitForNarrations} saw. */
export interface NarrationsWait {
  /** Every narration in flight ended before the bound and no abort came. */
  readonly finished: boolean;
  /** Narrations still in flight when the wait ended (0 when `finished`). */
  readonly inFlight: number;
  /** Time waited, ms. */
  readonly waitedMs: number;
}

/** How often {@link waitForNarrations} looks, ms: well under a 20 ms-frame narration's length, cheap on the main thread. */
const POLL_MS = 50;

/**
 * Waits until `narrator.narrationsInFlight` is 0 (every narration accepted has played its last
 * frame to the sinks), `timeoutMs` passes, or `signal` aborts (a second SIGTERM) — whichever is
 * first. Cancels nothing itself.
 * @param timeoutMs the bound, ms (config `shutdown.drainMs`)
 */
export async function waitForNarrations(narrator: { readonly narrationsInFlight: number }, timeoutMs: number, signal?: AbortSignal): Promise<NarrationsWait> {
  const started = performance.now();
  const waited = () => Math.round(performance.now() - started);
  while (narrator.narrationsInFlight > 0) {
    if (signal?.aborted || waited() >= timeoutMs) return { finished: false, inFlight: narrator.narrationsInFlight, waitedMs: waited() };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(POLL_MS, Math.max(1, timeoutMs - waited())));
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
    });
  }
  return { finished: true, inFlight: 0, waitedMs: waited() };
}
