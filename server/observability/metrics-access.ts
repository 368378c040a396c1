import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may read `GET /metrics` (issue 11: it was open to anyone who could reach the game port).
 * With config `metricsToken` set, a request must carry `Authorization: Bearer <token>` (compared in
 * constant time); without one, only requests from this machine (a loopback peer address: 127.0.0.0/8,
 * ::1, ::ffff:127.x) are answered, which is where a local Prometheus or `curl` runs.
 * @param req the HTTP request (Express hands a node IncomingMessage)
 * @returns null when allowed, else the HTTP status and a one-line reason
 */
export function metricsRefusal(req: IncomingMessage, token: string | undefined): { status: 401 | 403; reason: string } | null {
  if (token !== undefined) {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const wanted = Buffer.from(token);
    if (given.length === wanted.length && timingSafeEqual(given, wanted)) return null;
    return { status: 401, reason: '/metrics needs "Authorization: Bearer <metricsToken>"' };
  }
  if (isLoopback(req.socket.remoteAddress)) return null;
  return { status: 403, reason: '/metrics answers this machine only; set metricsToken in the config to scrape it from elsewhere' };
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || v4.startsWith('127.');
}
