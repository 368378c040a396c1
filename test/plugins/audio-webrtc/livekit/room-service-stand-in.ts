import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for LiveKit's RoomService (a LiveKit server cannot be installed here).
 * It speaks what livekit-server does for the calls LiveKitRooms makes, per livekit-server's
 * pkg/service/auth.go + roomservice.go and the Twirp v7 wire spec (twitchtv.github.io/twirp):
 * - POST `/twirp/livekit.RoomService/{CreateRoom,DeleteRoom,ListRooms}`, JSON bodies
 *   (`Content-Type: application/json`), JSON answers with `Content-Type: application/json`.
 * - `Authorization: Bearer <JWT>` (HS256, `iss` = API key, signed with its secret). A token that
 *   fails verification is refused by the auth middleware BEFORE Twirp with 401 and a plain-text
 *   body (`invalid token: <token>, error: ...`, `invalid API key: <key>`), as livekit-server does.
 * - A verified token lacking the grant: Twirp error 401 `{"code":"unauthenticated","msg":"permissions denied"}`.
 * - CreateRoom needs `video.roomCreate`, is idempotent and answers the Room; DeleteRoom needs
 *   `video.roomCreate` and answers 404 `{"code":"not_found","msg":"room not found"}` for an unknown
 *   room; ListRooms needs `video.roomList`. Unknown routes: 404 `bad_route`.
 */

/** One request as the stand-in saw it. */
export interface RecordedCall {
  readonly method: string;
  readonly body: Record<string, unknown>;
  /** Verified JWT claims, null when the token was missing or refused. */
  readonly claims: Record<string, unknown> | null;
  readonly status: number;
}

/** A room as the stand-in keeps it (Twirp JSON field names). */
export interface StandInRoom {
  sid: string;
  name: string;
  emptyTimeout: number;
  creationTime: string;
}

const TWIRP_PREFIX = '/twirp/livekit.RoomService/';
/** livekit/protocol auth: tokens verify with a 10 s clock leeway (livekit-server-sdk uses the same). */
const LEEWAY_SECONDS = 10;

function b64urlJson(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** @returns the verified claims, or the reason the token was refused */
function verifyJwt(token: string, keys: ReadonlyMap<string, string>): { claims: Record<string, unknown> } | { error: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'invalid authorization token' };
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = b64urlJson(parts[0]!);
    claims = b64urlJson(parts[1]!);
  } catch {
    return { error: 'invalid authorization token' };
  }
  const apiKey = typeof claims.iss === 'string' ? claims.iss : '';
  const secret = keys.get(apiKey);
  if (!secret) return { error: `invalid API key: ${apiKey}` };
  if (header.alg !== 'HS256') return { error: `invalid token: ${token}, error: unsupported alg ${String(header.alg)}` };
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { error: `invalid token: ${token}, error: go-jose/go-jose: error in cryptographic primitive` };
  }
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS < now) return { error: `invalid token: ${token}, error: token is expired` };
  if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > now) return { error: `invalid token: ${token}, error: token not valid yet` };
  return { claims };
}

/** HTTP server standing in for livekit-server's RoomService; see the file comment for what it mimics. */
export class RoomServiceStandIn {
  /** Every request, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Rooms by name. */
  readonly rooms = new Map<string, StandInRoom>();
  private readonly server: Server;
  private readonly keys: Map<string, string>;

  private constructor(apiKey: string, apiSecret: string) {
    this.keys = new Map([[apiKey, apiSecret]]);
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  /** Starts on 127.0.0.1 at a free port. */
  static async start(apiKey: string, apiSecret: string): Promise<RoomServiceStandIn> {
    const s = new RoomServiceStandIn(apiKey, apiSecret);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** `ws://127.0.0.1:<port>`, the form LiveKit URLs take in config (the SDK maps ws → http). */
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const method = (req.url ?? '').startsWith(TWIRP_PREFIX) ? (req.url ?? '').slice(TWIRP_PREFIX.length) : '';
    let body: Record<string, unknown> = {};
    let claims: Record<string, unknown> | null = null;
    const reply = (status: number, payload: unknown, plain = false): void => {
      this.calls.push({ method, body, claims, status });
      res.writeHead(status, { 'Content-Type': plain ? 'text/plain; charset=utf-8' : 'application/json' });
      res.end(plain ? String(payload) : JSON.stringify(payload));
    };
    const twirpError = (status: number, code: string, msg: string): void => reply(status, { code, msg });

    // livekit-server's auth middleware runs before Twirp routing.
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      if (!auth.startsWith('Bearer ')) return reply(401, 'invalid authorization header. Must start with Bearer ', true);
      const v = verifyJwt(auth.slice('Bearer '.length), this.keys);
      if ('error' in v) return reply(401, v.error, true);
      claims = v.claims;
    }
    if (req.method !== 'POST' || !method) return twirpError(404, 'bad_route', `no handler for path "${req.url}"`);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return twirpError(404, 'bad_route', `unexpected Content-Type: "${req.headers['content-type']}"`);
    }
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch (e) {
      return twirpError(400, 'malformed', `the json request could not be decoded: ${(e as Error).message}`);
    }
    const video = (claims?.video ?? {}) as Record<string, unknown>;

    switch (method) {
      case 'CreateRoom': {
        if (video.roomCreate !== true) return twirpError(401, 'unauthenticated', 'permissions denied');
        const name = String(body.name ?? '');
        if (!name) return twirpError(400, 'invalid_argument', 'name is required');
        let room = this.rooms.get(name);
        if (!room) {
          room = {
            sid: `RM_${randomBytes(6).toString('hex')}`,
            name,
            emptyTimeout: Number(body.emptyTimeout ?? body.empty_timeout ?? 300),
            creationTime: String(Math.floor(Date.now() / 1000)),
          };
          this.rooms.set(name, room);
        }
        return reply(200, room);
      }
      case 'DeleteRoom': {
        if (video.roomCreate !== true) return twirpError(401, 'unauthenticated', 'permissions denied');
        const name = String(body.room ?? '');
        if (!this.rooms.delete(name)) return twirpError(404, 'not_found', 'room not found');
        return reply(200, {});
      }
      case 'ListRooms': {
        if (video.roomList !== true) return twirpError(401, 'unauthenticated', 'permissions denied');
        const names = Array.isArray(body.names) ? (body.names as string[]) : [];
        const rooms = [...this.rooms.values()].filter((r) => names.length === 0 || names.includes(r.name));
        return reply(200, { rooms });
      }
      default:
        return twirpError(404, 'bad_route', `no handler for path "${req.url}"`);
    }
  }
}
