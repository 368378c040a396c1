import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { CloseCode, Server, matchMaker, type Room } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.ts';
import { createNarrator, type Narrator, type NarratorOptions } from './host/narrator.ts';
import { ConfigError } from './config/config-error.ts';
import type { ExpressLike } from '../game-bridge/web/serve.ts';
import { createTableRoom, TABLE_ROOM } from './room/table-room.ts';
import { RoomCreationLimit, limitRoomCreation } from './room/room-creation-limit.ts';
import { connectRedisMatchmaking, type RedisMatchmaking } from './cluster/redis-matchmaking.ts';
import { gateMatchmaking, waitForNarrations } from './cluster/drain.ts';

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
  /**
   * Closes the game bridge (its clients see 1001 "server shutting down"), then the narrator —
   * narrations still in flight are cancelled and reported to their rooms, recordings finalized,
   * WebRTC peers closed — then disconnects every room this process hosts (SDK clients see 4001) and
   * closes the port. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Graceful drain (SIGTERM; README "Scaling out"), one log line per phase: refuses new rooms and
   * seats from now on (matchmaking answers 503 with the reason; behind Redis the other processes stop
   * creating rooms here and this process's rooms are locked), waits for the narrations in flight to
   * finish — at most config `shutdown.drainMs`, or until `signal` aborts — then {@link close}s, which
   * cancels whatever is still in flight. Idempotent: a second call returns the first's outcome.
   */
  drain(signal?: AbortSignal): Promise<DrainOutcome>;
}

/** How a {@link TableServer.drain} went. */
export interface DrainOutcome {
  /** Every narration in flight finished before the bound and no abort came: nothing was cut short. */
  readonly finished: boolean;
  /** Narrations cancelled because the bound passed or the drain was aborted. */
  readonly cancelled: number;
  /** Time spent waiting for narrations, ms. */
  readonly waitedMs: number;
}

/** What a draining server answers a new room or seat (HTTP 503 `error`, or the room's refusal). */
const DRAINING = 'this server is shutting down (finishing its narrations); try again in a few seconds, or on another server';

/**
 * `serve` and `demo`: {@link createNarrator}, then a Colyseus 0.18 server on `config.port`/`host`
 * (HTTP matchmaking + WebSocket, the game bridge at `/bridge`) with the `table` room — built with `narrator.roomPlugin()` as any
 * game's room is — and the narrator's HTTP routes (`/metrics`, `/models`, `/health`, the SDK and
 * the demo page at `/`). With config `redisUrl` the server is one of several behind Redis (Colyseus's
 * Redis presence and driver; rooms placed on the process hosting the fewest that is not draining) and
 * config `publicAddress` is where seat reservations for this process's rooms send clients
 * (README "Scaling out").
 * @throws ConfigError when the config names something that cannot run, `port` when the port is in use,
 *   `redisUrl` when Redis does not answer within 5 s (server/cluster/redis-matchmaking.ts)
 */
export async function startTableServer(config: AppConfig, log: Logger, options: Omit<NarratorOptions, 'log'> = {}): Promise<TableServer> {
  // Redis first: a wrong address fails in seconds, before the engine warms up.
  const redis: RedisMatchmaking | null = config.redisUrl ? await connectRedisMatchmaking(config.redisUrl, log) : null;
  let narrator: Narrator;
  try {
    narrator = await createNarrator(config, { ...options, log });
  } catch (err) {
    await shutdownRedis(redis);
    throw err;
  }
  let draining = false;
  const refusal = () => (draining ? DRAINING : null);
  let server: Server;
  try {
    server = new Server({
      transport: new WebSocketTransport({ maxPayload: config.limits.maxPayloadBytes }),
      gracefullyShutdown: false,
      greet: false,
      logger: colyseusLogger(log),
      express: (app) => narrator.mountHttp(app as unknown as ExpressLike, { page: true }),
      ...(redis ? { presence: redis.presence, driver: redis.driver, selectProcessIdToCreateRoom: redis.selectProcessIdToCreateRoom } : {}),
      ...(config.publicAddress ? { publicAddress: config.publicAddress } : {}),
    });
    server.define(TABLE_ROOM, createTableRoom(narrator, log, { refusal }));
    await listen(server, config);
    const http = (server.transport as unknown as { server: HttpServer }).server;
    limitRequestBodies(http, MAX_BODY_BYTES);
    gateMatchmaking(http, refusal);
    // Installed last, so it answers first: a refused creation costs no body read and no room.
    limitRoomCreation(http, new RoomCreationLimit(config.limits.roomsPerMinutePerAddress), { trustProxy: config.trustProxy });
    narrator.attachBridge(http);
  } catch (err) {
    await narrator.close();
    await shutdownRedis(redis);
    throw err;
  }
  // (A failed listen leaves Colyseus's matchmaker set up; the CLI exits on the error.)
  const http = (server.transport as unknown as { server?: HttpServer }).server;
  const port = (http?.address() as AddressInfo | null)?.port ?? config.port;
  log.info({ port, engine: narrator.engine.name, sampleRate: narrator.engine.sampleRate, sinks: config.sinks, processId: matchMaker.processId, publicAddress: config.publicAddress, redis: redis !== null }, 'narrator listening');

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      draining = true;
      // Bridge clients hear "server shutting down" (1001) before their rooms go.
      await narrator.closeBridge();
      // The narrator next, while the rooms' clients are still connected: narrations still in flight end
      // as cancelled and their reports reach the DM (a cut narration is never left unreported);
      // recordings are finalized and WebRTC peers closed.
      await narrator.close();
      // This process's rooms only (`disconnectAll` walks the local rooms; behind Redis the driver's
      // listing holds every process's). SDK clients see 4001 (Colyseus SERVER_SHUTDOWN), not a plain
      // leave, and may try another server.
      // Both bounded: behind a Redis that went away, a room's disposal and Colyseus's shutdown wait on ioredis's retries.
      await bounded(Promise.allSettled(matchMaker.disconnectAll(CloseCode.SERVER_SHUTDOWN)), COLYSEUS_SHUTDOWN_MS).catch((err: unknown) => log.warn({ err }, 'disconnecting rooms'));
      await bounded(server.gracefullyShutdown(false), COLYSEUS_SHUTDOWN_MS).catch((err: unknown) => log.warn({ err }, 'colyseus shutdown'));
    })());
  let drained: Promise<DrainOutcome> | null = null;
  const drain = (signal?: AbortSignal) =>
    (drained ??= (async () => {
      const { drainMs } = config.shutdown;
      draining = true;
      // Redis may be down when the drain comes: each call is bounded, and the drain goes on without it.
      await bounded(redis?.markDraining(drainMs + 30_000), REDIS_DRAIN_CALL_MS).catch((err: unknown) => log.warn({ err }, 'drain: could not mark this process as draining in Redis'));
      const rooms = await bounded(localRooms(), REDIS_DRAIN_CALL_MS).catch((err: unknown) => (log.warn({ err }, 'drain: could not list this process\'s rooms to lock them'), []));
      await bounded(Promise.allSettled((rooms ?? []).map((room) => room.lock())), REDIS_DRAIN_CALL_MS).catch(() => undefined);
      log.info({ rooms: matchMaker.stats.local.roomCount, narrationsInFlight: narrator.narrationsInFlight, drainMs }, 'drain: refusing new rooms and seats; waiting for narrations in flight');
      const wait = await waitForNarrations(narrator, drainMs, signal);
      if (wait.finished) log.info({ waitedMs: wait.waitedMs }, 'drain: narrations finished');
      else log.warn({ waitedMs: wait.waitedMs, cancelling: wait.inFlight, why: signal?.aborted ? 'second signal' : 'shutdown.drainMs passed' }, 'drain: cancelling narrations still in flight');
      const cancelled = narrator.narrationsInFlight;
      await close();
      log.info({ cancelled }, 'drain: closed (recordings finalized, peers and bridge clients closed)');
      return { finished: wait.finished && cancelled === 0, cancelled, waitedMs: wait.waitedMs };
    })());
  return { server, narrator, port, close, drain };
}

/** The rooms this process hosts (the driver's listing narrowed to this process, as Colyseus's own shutdown does). */
async function localRooms(): Promise<Room[]> {
  const listed = await matchMaker.query({ processId: matchMaker.processId });
  return listed.flatMap((r) => matchMaker.getLocalRoomById(r.roomId) ?? []);
}

/**
 * Longest a drain waits for one Redis call, ms: ioredis queues commands while disconnected and
 * retries them for ~10 s by default, which a process manager's stop timeout may not leave.
 */
const REDIS_DRAIN_CALL_MS = 2000;

/** Longest {@link TableServer.close} waits for its rooms to disconnect, and then for Colyseus's own shutdown (Redis listings removed), ms each. */
const COLYSEUS_SHUTDOWN_MS = 5000;

/** `promise`, or a rejection after `ms` (ms). */
function bounded<T>(promise: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!promise) return Promise.resolve(undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]);
}

/** Disconnects a presence and driver the server never took over (a start that failed after Redis connected). */
async function shutdownRedis(redis: RedisMatchmaking | null): Promise<void> {
  if (!redis) return;
  redis.presence.shutdown();
  await redis.driver.shutdown?.();
}
