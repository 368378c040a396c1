import { constants as osConstants } from 'node:os';
import type { Logger } from 'pino';
import { startTableServer, type TableServer } from '../app.ts';
import { ConfigError } from '../config/config-error.ts';
import { configFor, type CommonOptions } from './common.ts';
import { isRedisUnavailable } from '../cluster/redis-matchmaking.ts';

/** Options of `serve` (server/cli/main.ts). */
export interface ServeOptions extends CommonOptions {
  port?: number;
  /** `--redis`: config `redisUrl`. */
  redis?: string;
  /** `--public-address`: config `publicAddress`. */
  publicAddress?: string;
}

/**
 * `serve` / `npm start`: the game server until SIGTERM or SIGINT, then a graceful drain.
 * Port: `--port`, else `PORT`, else config `port` (VRPG_PORT), default 2567.
 * Redis and the public address: `--redis` / `--public-address`, else config `redisUrl` /
 * `publicAddress` (VRPG_REDIS_URL, VRPG_PUBLIC_ADDRESS).
 */
export async function runServe(opts: ServeOptions): Promise<void> {
  let port = opts.port;
  if (port === undefined && process.env.PORT !== undefined) {
    port = Number(process.env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT', `"${process.env.PORT}" is not a port number (0–65535)`);
  }
  const { config, log } = configFor(opts, {
    ...(port === undefined ? {} : { port }),
    ...(opts.redis === undefined ? {} : { redisUrl: opts.redis }),
    ...(opts.publicAddress === undefined ? {} : { publicAddress: opts.publicAddress }),
  });
  if (config.redisUrl) surviveRedisOutages(log);
  const app = await startTableServer(config, log);
  process.stderr.write(`vrpg-narrator: table room on ws://localhost:${app.port} (engine ${config.engine}, sinks ${config.sinks.join(', ')}, recordings in ${config.recordingsDir}/)\n`);
  if (config.sinks.includes('bridge')) process.stderr.write(`vrpg-narrator: game bridge (Godot and other engines) on ws://localhost:${app.port}/bridge\n`);
  if (config.redisUrl) process.stderr.write(`vrpg-narrator: matchmaking through Redis${config.publicAddress ? `; clients reach this process at ${config.publicAddress}` : ''}\n`);
  exitOnSignals(app, log, config.shutdown.drainMs);
}

/**
 * Keeps the process — and every room it narrates — alive while Redis is unreachable: Colyseus's
 * unawaited Redis calls then reject unhandled, which Node turns into a crash. Those are logged at
 * warn, at most one line per 10 s; any other unhandled rejection still ends the process as Node's
 * default does. Matchmaking fails meanwhile; ioredis reconnects by itself when Redis is back.
 */
function surviveRedisOutages(log: Logger): void {
  let lastLogMs = -Infinity;
  process.on('unhandledRejection', (reason) => {
    if (!isRedisUnavailable(reason)) throw reason;
    if (performance.now() - lastLogMs < 10_000) return;
    lastLogMs = performance.now();
    log.warn({ err: (reason as Error).message }, 'redis unavailable: matchmaking fails until it is back; rooms here narrate on');
  });
}

/**
 * Exit codes of `serve` after a signal (README "Scaling out"):
 * - 0: drained — every narration in flight finished, recordings finalized;
 * - 1: `shutdown.drainMs` passed first — the narrations left were cancelled (recordings still finalized):
 *   audio was cut, so not a success;
 * - 128 + the signal's number (130 SIGINT, 143 SIGTERM): a second signal cut the drain short — the
 *   shell's convention for "ended by that signal", which process managers report as such.
 */
export const SERVE_EXIT = { drained: 0, drainBoundPassed: 1 } as const;

/**
 * First SIGTERM/SIGINT: {@link TableServer.drain}, then exit. Second: cancel the narrations still in
 * flight (the drain's close still finalizes recordings), then exit. Third: exit at once.
 */
function exitOnSignals(app: TableServer, log: Logger, drainMs: number): void {
  const force = new AbortController();
  let forcedBy: NodeJS.Signals | null = null;
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received += 1;
    if (received === 1) {
      log.info({ signal, drainMs }, 'shutting down: draining (send the signal again to cancel narrations and exit)');
      app.drain(force.signal).then(
        (outcome) => process.exit(outcome.finished ? SERVE_EXIT.drained : forcedBy ? 128 + osConstants.signals[forcedBy] : SERVE_EXIT.drainBoundPassed),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    } else if (received === 2) {
      forcedBy = signal;
      log.warn({ signal }, 'shutting down: second signal, cancelling narrations in flight');
      force.abort();
    } else {
      log.error({ signal }, 'shutting down: third signal, exiting before the close finished');
      process.exit(128 + osConstants.signals[signal]);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
