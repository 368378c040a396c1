import { ErrorCode, ServerError, matchMaker, type MatchMakerDriver, type Presence } from '@colyseus/core';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.ts';

/**
 * How long the start waits for Redis to answer a PING, ms. ioredis retries a refused connection for
 * ever by default: without a bound, `serve --redis` at a dead address hung instead of failing.
 */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;

/** Presence key marking a process that is draining (SIGTERM): no new rooms are created on it. */
const drainingKey = (processId: string) => `vrpg:draining:${processId}`;

/**
 * Colyseus's Redis presence and matchmaking driver for one process of a multi-process deployment
 * (config `redisUrl`, README "Scaling out"): rooms are listed in Redis, a client matchmaking through
 * any process gets a seat reservation naming the room's own process (and its `publicAddress`), and
 * room creations go to the process hosting the fewest rooms that is not draining.
 * Pass `presence`, `driver` and `selectProcessIdToCreateRoom` to `new Server({...})`.
 */
export interface RedisMatchmaking {
  readonly presence: Presence;
  readonly driver: MatchMakerDriver;
  /**
   * Colyseus's default choice (the process with the fewest rooms, `matchMaker.stats.fetchAll`) less
   * the processes that are draining.
   * @throws ServerError MATCHMAKE_UNHANDLED "every process is shutting down" when all of them are
   */
  readonly selectProcessIdToCreateRoom: matchMaker.SelectProcessIdCallback;
  /**
   * Marks this process as draining for `forMs` (ms, at least 1 s): every process's
   * {@link selectProcessIdToCreateRoom} then skips it. The mark expires on its own, so a process
   * killed mid-drain leaves nothing behind.
   */
  markDraining(forMs: number): Promise<void>;
}

/**
 * Connects to Redis and builds the presence and driver, checking first that Redis answers within
 * `timeoutMs`. Loads `@colyseus/redis-presence`, `@colyseus/redis-driver` and `ioredis` only now (a
 * process without `redisUrl` never loads them).
 * @param url config `redisUrl` (validated: `redis://` or `rediss://` with a host)
 * @throws ConfigError `redisUrl` when the packages are not installed, or Redis refuses, fails or
 *   does not answer within `timeoutMs` (the message names the address, never the password)
 */
export async function connectRedisMatchmaking(url: string, log: Logger, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<RedisMatchmaking> {
  const [{ RedisPresence }, { RedisDriver }, { Redis }] = await Promise.all([
    import('@colyseus/redis-presence'),
    import('@colyseus/redis-driver'),
    import('ioredis'),
  ]).catch((err: unknown) => {
    throw new ConfigError('redisUrl', `needs the npm packages @colyseus/redis-presence, @colyseus/redis-driver and ioredis: npm install @colyseus/redis-presence@^0.18.5 @colyseus/redis-driver@^0.18.3 ioredis@^5 (${(err as Error).message})`);
  });
  const where = redactedAddress(url);
  // One probe connection that gives up on the first failure: its error names the reason.
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: Error | null = null;
  probe.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (err) {
    const reason = (lastError ?? (err as Error)).message;
    throw new ConfigError('redisUrl', `cannot reach Redis at ${where}: ${reason} (is redis-server running there?)`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
  const presence = new RedisPresence(url) as unknown as Presence;
  // The driver's own client, so its connection errors come here (RedisPresence logs its own at warn;
  // without a listener ioredis prints "Unhandled error event" with a stack on every retry).
  const driverClient = new Redis(url);
  driverClient.on('error', (err: Error) => log.debug({ err: err.message }, 'redis driver connection error'));
  const driver = new RedisDriver(driverClient) as unknown as MatchMakerDriver;
  log.info({ redis: where }, 'matchmaking through Redis');
  return {
    presence,
    driver,
    selectProcessIdToCreateRoom: async () => {
      const all = await matchMaker.stats.fetchAll();
      const open = [];
      for (const s of all) if (!(await presence.exists(drainingKey(s.processId)))) open.push(s);
      const chosen = open.sort((a, b) => a.roomCount - b.roomCount)[0]?.processId;
      if (chosen) return chosen;
      if (!(await presence.exists(drainingKey(matchMaker.processId)))) return matchMaker.processId;
      throw new ServerError(ErrorCode.MATCHMAKE_UNHANDLED, 'every process of this server is shutting down; try again shortly');
    },
    markDraining: async (forMs) => {
      await presence.setex(drainingKey(matchMaker.processId), '1', Math.max(1, Math.ceil(forMs / 1000)));
    },
  };
}

/** `host:port` of a Redis URL, without its credentials (log lines and errors are read by more people than the config). */
function redactedAddress(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;
}

/**
 * Whether `err` is ioredis giving up on a command because Redis is unreachable: "Connection is
 * closed." or `MaxRetriesPerRequestError` (20 retries, ~10 s, by default). Colyseus 0.18 leaves some
 * Redis calls unawaited (room-count persists, room-listing updates on lock), so while Redis is away
 * these reach `unhandledRejection`: `serve` logs them instead of dying with every room it narrates.
 */
export function isRedisUnavailable(err: unknown): boolean {
  return err instanceof Error && (err.name === 'MaxRetriesPerRequestError' || err.message === 'Connection is closed.');
}
