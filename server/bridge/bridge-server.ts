import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { BridgeAudioHub, type BridgeAudioStats } from './bridge-audio-hub.ts';
import { BridgeClose, MAX_TEXT_FRAME_BYTES } from './bridge-messages.ts';
import { BridgeSession, JOIN_TIMEOUT_MS, type BridgeSessionStats, type SessionContext } from './bridge-session.ts';
import type { BridgeTokens } from './bridge-tokens.ts';

/** Interval of the keep-alive WebSocket ping, ms; a socket that answered none of the last two is cut (PROTOCOL.md). */
const PING_INTERVAL_MS = 10_000;

/** Options of {@link BridgeServer}. */
export interface BridgeServerOptions {
  /** URL path of the endpoint, e.g. `/bridge`. */
  readonly path: string;
  /** Connections at most; the next is closed with 4503 (config `limits.maxBridgeClients`). */
  readonly maxClients: number;
  /** The narrator's rate, Hz. */
  readonly roomRate: number;
  readonly tokens: BridgeTokens;
  readonly log: Logger;
  /** Time a new connection has to send `join` or `attach`, ms; default {@link JOIN_TIMEOUT_MS} (PROTOCOL.md: 10 s). */
  readonly joinTimeoutMs?: number;
  /** Called for each audio frame not sent to a slow reader (the narrator counts them in /metrics). */
  readonly onFrameDropped?: () => void;
}

/** Figures of the bridge endpoint. */
export interface BridgeStats {
  readonly connections: number;
  readonly audio: BridgeAudioStats;
  readonly sessions: BridgeSessionStats[];
}

/**
 * The game bridge endpoint (game-bridge/PROTOCOL.md) on the game server's own HTTP server:
 * WebSocket upgrades to `path` become {@link BridgeSession}s; every other upgrade goes on to the
 * listeners that were there before (Colyseus's transport), untouched.
 *
 * The sockets live on the main thread (a socket accepted here cannot move to a worker thread in
 * Node); the frames come from the playout thread over the bridge channel and are sent as they
 * arrive, so a main-thread stall delays them by up to the stall (the client's jitter buffer absorbs
 * it; `npm run bench` measures it).
 */
export class BridgeServer {
  private readonly wss: WebSocketServer;
  private readonly hub = new BridgeAudioHub();
  private readonly sessions = new Set<BridgeSession>();
  private readonly attached = new Map<string, BridgeSession>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly context: SessionContext;
  private detach: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: BridgeServerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_TEXT_FRAME_BYTES, perMessageDeflate: false });
    this.context = {
      log: options.log,
      hub: this.hub,
      tokens: options.tokens,
      roomRate: options.roomRate,
      joinTimeoutMs: options.joinTimeoutMs ?? JOIN_TIMEOUT_MS,
      frameDropped: options.onFrameDropped ?? (() => undefined),
      registerAttached: (roomId, sessionId, session) => {
        const key = `${roomId}\n${sessionId}`;
        const previous = this.attached.get(key);
        this.attached.set(key, session);
        previous?.refuse(BridgeClose.ROOM_CLOSED, 'replaced by a new attach for this seat');
      },
      unregisterAttached: (roomId, sessionId, session) => {
        const key = `${roomId}\n${sessionId}`;
        if (this.attached.get(key) === session) this.attached.delete(key);
      },
      closed: (session) => this.sessions.delete(session),
    };
    this.pingTimer = setInterval(() => this.keepAlive(), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /**
   * Serves the endpoint on `http` (call once, after the Colyseus transport attached itself to it):
   * the server's current `upgrade` listeners are wrapped so that only requests for other paths reach them.
   * @throws Error when called twice
   */
  listen(http: HttpServer): void {
    if (this.detach) throw new Error('BridgeServer.listen: already listening');
    const others = http.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
    const route = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (pathOf(req.url) !== this.options.path) {
        for (const listener of others) listener.call(http, req, socket, head);
        return;
      }
      this.upgrade(req, socket, head);
    };
    http.removeAllListeners('upgrade');
    http.on('upgrade', route);
    this.detach = () => {
      http.removeListener('upgrade', route);
      for (const listener of others) http.on('upgrade', listener);
    };
  }

  /** Attached sockets of a seat that left the room are closed with 4000 (called by the room's narration plugin). */
  seatLeft(roomId: string, sessionId: string): void {
    this.options.tokens.revoke(roomId, sessionId);
    this.attached.get(`${roomId}\n${sessionId}`)?.refuse(BridgeClose.ROOM_CLOSED, 'the seat left the room');
  }

  /** Figures of the endpoint and of each connection. */
  stats(): BridgeStats {
    return { connections: this.sessions.size, audio: this.hub.stats(), sessions: [...this.sessions].map((s) => s.stats()) };
  }

  /** Closes every connection with 1001 (their rooms see them leave) and stops serving. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.pingTimer);
      this.detach?.();
      const closed = [...this.sessions].map((s) => new Promise<void>((resolve) => {
        if (s.ws.readyState === s.ws.CLOSED) return resolve();
        s.ws.once('close', () => resolve());
        s.refuse(BridgeClose.SHUTTING_DOWN, 'server shutting down');
      }));
      await Promise.all(closed);
      this.wss.close();
    })());
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new BridgeSession(ws, req, this.context);
      if (this.sessions.size >= this.options.maxClients) {
        session.refuse(BridgeClose.SERVER_FULL, `server full: ${this.options.maxClients} bridge connections`);
        return;
      }
      this.sessions.add(session);
    });
  }

  private keepAlive(): void {
    for (const session of this.sessions) {
      if (session.missedPongs >= 2) {
        session.ws.terminate();
        continue;
      }
      session.missedPongs++;
      session.ws.ping();
    }
  }
}

/** The path of a request URL, without the query. */
function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q === -1 ? (url ?? '/') : url!.slice(0, q);
}
