import { isIPv6 } from 'node:net';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { matchMaker } from '@colyseus/core';

/**
 * Room creations per remote address: a token bucket per address holding up to `perMinute`
 * creations (a burst) and refilled evenly at `perMinute` a minute (config
 * `limits.roomsPerMinutePerAddress`). Issue 11: 300 plain `POST /matchmake/create/table` requests from
 * one client made 256 rooms in 2.9 s and every DM after them was refused.
 *
 * Memory is bounded: past `maxAddresses` entries, buckets that have refilled are forgotten (a
 * forgotten address starts full, which is what it had), then the least recently used.
 */
export class RoomCreationLimit {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  /**
   * @param perMinute room creations an address may make a minute, and in one burst; 0 = no limit
   * @param maxAddresses addresses remembered at most (each entry is ~100 bytes)
   */
  constructor(readonly perMinute: number, private readonly maxAddresses = 10_000) {}

  /**
   * Takes one creation from the address's budget.
   * @param address the requester's key ({@link addressKey})
   * @param nowMs now, ms (any monotonic clock, the same for every call)
   * @returns 0 when allowed, else the whole seconds until the next creation is allowed (≥ 1)
   */
  take(address: string, nowMs: number): number {
    const perMinute = this.perMinute;
    if (perMinute <= 0) return 0;
    const b = this.buckets.get(address) ?? { tokens: perMinute, atMs: nowMs };
    b.tokens = Math.min(perMinute, b.tokens + ((nowMs - b.atMs) * perMinute) / 60_000);
    b.atMs = nowMs;
    const waitS = b.tokens < 1 ? Math.max(1, Math.ceil(((1 - b.tokens) * 60) / perMinute)) : 0;
    if (waitS === 0) b.tokens -= 1;
    this.buckets.delete(address); // re-inserted last: the map's order is least recently used first
    this.buckets.set(address, b);
    if (this.buckets.size > this.maxAddresses) this.forget(nowMs, address);
    return waitS;
  }

  /** Addresses remembered (for tests and diagnostics). */
  get size(): number {
    return this.buckets.size;
  }

  private forget(nowMs: number, current: string): void {
    for (const [address, b] of this.buckets) {
      if (address !== current && b.tokens + ((nowMs - b.atMs) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(address);
    }
    for (const address of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAddresses) break;
      if (address !== current) this.buckets.delete(address);
    }
  }
}

/**
 * The key a remote address is limited under: an IPv4 address as is (an IPv4-mapped IPv6 one
 * unwrapped), an IPv6 address by its /64 — one subscriber's whole network, which hands out
 * addresses by the billion (RFC 6177) — and anything else as given.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return address;
  const [head, tail] = bare.includes('::') ? bare.split('::') as [string, string] : [bare, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const full = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * The address a request comes from: the socket's peer, or with `trustProxy` the last entry of
 * `X-Forwarded-For` (the one the proxy in front of us appended; anything before it the client
 * may have written itself).
 */
export function requestAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const last = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** Matchmaking requests that may create a room (Colyseus 0.18 `POST /matchmake/<method>/<roomName>`). */
const CREATING_ROUTE = /^\/matchmake\/(create|joinOrCreate)\//;

/** A request target's path as Colyseus's router reads it (`new URL`); '' when it does not parse. */
export function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/**
 * Refuses matchmaking requests that may create a room (`create`, `joinOrCreate`) past the
 * requester's budget with HTTP 429, `Retry-After` and `{"error": "..."}` — the SDK shows the text
 * (its `MatchMakeError`, code 429) — before Colyseus reads them. Wraps the server's current
 * `request` listeners, as the body limit and the bridge do. Joins by id and reconnections are
 * never limited.
 * @param options.trustProxy count the last `X-Forwarded-For` entry as the address (behind one reverse proxy)
 */
export function limitRoomCreation(http: HttpServer, limit: RoomCreationLimit, options: { trustProxy: boolean }): void {
  if (limit.perMinute <= 0) return;
  const others = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && CREATING_ROUTE.test(pathOf(req.url))) {
      const waitS = limit.take(addressKey(requestAddress(req, options.trustProxy)), performance.now());
      if (waitS > 0) {
        const error = `too many rooms created from your address: at most ${limit.perMinute} a minute; try again in ${waitS} s`;
        refuseMatchmaking(req, res, 429, error, waitS);
        return;
      }
    }
    for (const listener of others) listener.call(http, req, res);
  });
}

/**
 * Answers a matchmaking request with `status`, `Retry-After: retryAfterS` and `{"error": error}` —
 * what the SDK shows (its `MatchMakeError` carries the status as code) — with Colyseus's CORS
 * headers, so a browser on another origin can read why. The unread body is not waited for.
 */
export function refuseMatchmaking(req: IncomingMessage, res: ServerResponse, status: number, error: string, retryAfterS: number): void {
  res.once('finish', () => req.destroy());
  res.writeHead(status, {
    ...matchMaker.controller.DEFAULT_CORS_HEADERS,
    ...matchMaker.controller.getCorsHeaders(new Headers(req.headers as Record<string, string>)),
    'Content-Type': 'application/json',
    'Retry-After': String(retryAfterS),
    Connection: 'close',
  }).end(JSON.stringify({ error }));
}
