import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { CloseCode, Server, matchMaker } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.ts';
import { createNarrator, type Narrator, type NarratorOptions } from './host/narrator.ts';
import { ConfigError } from './config/config-error.ts';
import type { ExpressLike } from '../game-bridge/web/serve.ts';
import { createTableRoom, TABLE_ROOM } from './room/table-room.ts';
import { RoomCreationLimit, limitRoomCreation } from './room/room-creation-limit.ts';

/**
 * `server.listen`, failing when the port cannot be bound: Colyseus 0.18 only logs the HTTP
 * server's `error` event, and its listen promise then never settles (the process hung forever).
 * @throws ConfigError `port` for a port in use or not permitted; the socket error otherwise
 */
async function listen(server: Server, config: AppConfig): Promise<void> {
  const http = (server.transport as unknown as { server: HttpServer }).server;
  // Colyseus's own listener prints the error's stack: ours says it in one line, theirs come back after.
  const theirs = http.listeners('error') as Array<(err: Error) => void>;
  http.removeAllListeners('error');
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      if (err.code === 'EADDRINUSE') reject(new ConfigError('port', `${where} is already in use (another server? choose one with --port, PORT or config port)`));
      else if (err.code === 'EACCES') reject(new ConfigError('port', `${where} may not be bound by this user (ports below 1024 need privileges)`));
      else reject(err);
    };
    http.once('error', onError);
    server.listen(config.port, config.host).then(() => {
      http.off('error', onError);
      for (const listener of theirs) http.on('error', listener);
      resolve();
    }, reject);
  });
}

/** Largest HTTP request body the table server reads, bytes: join options are a name and a secret. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * Refuses HTTP requests whose body could exceed `maxBytes` (413) before Colyseus's matchmaking
 * route reads it: that route has no limit (a 50 MB POST cost 253 MB of memory). A body must state
 * its `Content-Length` (every HTTP client does for a JSON body); a chunked one is refused (411).
 * Wraps the server's current `request` listeners, as the bridge wraps `upgrade`.
 */
function limitRequestBodies(http: HttpServer, maxBytes: number): void {
  const others = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const length = req.headers['content-length'];
    const refuse = (status: number, error: string) => {
      res.once('finish', () => req.destroy()); // the unread body is not waited for
      res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' }).end(JSON.stringify({ error }));
    };
    if (length !== undefined && !(Number(length) <= maxBytes)) return refuse(413, `request body over ${maxBytes} bytes`);
    if (length === undefined && req.headers['transfer-encoding'] !== undefined) return refuse(411, `a request body needs a Content-Length (at most ${maxBytes} bytes)`);
    for (const listener of others) listener.call(http, req, res);
  });
}

/**
 * Colyseus's log through ours, one line per event: Colyseus prints whole stacks with `console`
 * (every refused join — a wrong dmSecret, a bad name — was ~10 lines on the host's console).
 * The first line goes out at `warn`; the stack only at `debug`.
 */
function colyseusLogger(log: Logger): Record<'debug' | 'info' | 'warn' | 'error' | 'trace', (...args: unknown[]) => void> {
  const line = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const first = (args: unknown[]) => line(args).split('\n')[0]!;
  const c = log.child({ part: 'colyseus' });
  return {
    trace: (...args) => c.trace(line(args)),
    debug: (...args) => c.debug(line(args)),
    info: (...args) => c.info(first(args)),
    warn: (...args) => c.warn(first(args)),
    error: (...args) => {
      c.warn(first(args));
      c.debug({ stack: line(args) }, 'colyseus error detail');
    },
  };
}

/** Our game server: a Colyseus server with the `table` room, narrated by one {@link Narrator}. */
export interface TableServer {
  readonly server: Server;
  readonly narrator: Narrator;
  /** Port actually bound (config port 0 picks a free one). */
  readonly port: number;
  /** Disconnects every room, closes the port, then the narrator (recordings finalized). Idempotent. */
  close(): Promise<void>;
}

/**
 * `serve` and `demo`: {@link createNarrator}, then a Colyseus 0.18 server on `config.port`/`host`
 * (HTTP matchmaking + WebSocket, the game bridge at `/bridge`) with the `table` room — built with `narrator.roomPlugin()` as any
 * game's room is — and the narrator's HTTP routes (`/metrics`, `/models`, `/health`, the SDK and
 * the demo page at `/`).
 * @throws ConfigError when the config names something that cannot run, or `port` when the port is in use
 */
export async function startTableServer(config: AppConfig, log: Logger, options: Omit<NarratorOptions, 'log'> = {}): Promise<TableServer> {
  const narrator = await createNarrator(config, { ...options, log });
  let server: Server;
  try {
    server = new Server({
      transport: new WebSocketTransport({ maxPayload: config.limits.maxPayloadBytes }),
      gracefullyShutdown: false,
      greet: false,
      logger: colyseusLogger(log),
      express: (app) => narrator.mountHttp(app as unknown as ExpressLike, { page: true }),
    });
    server.define(TABLE_ROOM, createTableRoom(narrator, log));
    await listen(server, config);
    const http = (server.transport as unknown as { server: HttpServer }).server;
    limitRequestBodies(http, MAX_BODY_BYTES);
    // Installed last, so it answers first: a refused creation costs no body read and no room.
    limitRoomCreation(http, new RoomCreationLimit(config.limits.roomsPerMinutePerAddress), { trustProxy: config.trustProxy });
    narrator.attachBridge(http);
  } catch (err) {
    await narrator.close();
    throw err;
  }
  // (A failed listen leaves Colyseus's matchmaker set up; the CLI exits on the error.)
  const http = (server.transport as unknown as { server?: HttpServer }).server;
  const port = (http?.address() as AddressInfo | null)?.port ?? config.port;
  log.info({ port, engine: narrator.engine.name, sampleRate: narrator.engine.sampleRate, sinks: config.sinks }, 'narrator listening');

  let closed: Promise<void> | null = null;
  return {
    server,
    narrator,
    port,
    close: () =>
      (closed ??= (async () => {
        // Bridge clients hear "server shutting down" (1001) before their rooms go.
        await narrator.closeBridge();
        await Promise.allSettled(
          // SDK clients see 4001 (Colyseus SERVER_SHUTDOWN), not a plain leave, and may try another server.
          [...(await matchMaker.query({}))].map((r) => matchMaker.remoteRoomCall(r.roomId, 'disconnect', [CloseCode.SERVER_SHUTDOWN]).catch(() => undefined)),
        );
        await server.gracefullyShutdown(false).catch((err) => log.warn({ err }, 'colyseus shutdown'));
        await narrator.close();
      })()),
  };
}
