import { startTableServer } from '../app.ts';
import { ConfigError } from '../config/config-error.ts';
import { configFor, type CommonOptions } from './common.ts';

/**
 * `serve` / `npm start`: the game server until SIGINT/SIGTERM.
 * Port: `--port`, else `PORT`, else config `port` (VRPG_PORT), default 2567.
 */
export async function runServe(opts: CommonOptions & { port?: number }): Promise<void> {
  let port = opts.port;
  if (port === undefined && process.env.PORT !== undefined) {
    port = Number(process.env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT', `"${process.env.PORT}" is not a port number (0–65535)`);
  }
  const { config, log } = configFor(opts, port === undefined ? {} : { port });
  const app = await startTableServer(config, log);
  process.stderr.write(`vrpg-narrator: table room on ws://localhost:${app.port} (engine ${config.engine}, sinks ${config.sinks.join(', ')}, recordings in ${config.recordingsDir}/)\n`);
  if (config.sinks.includes('bridge')) process.stderr.write(`vrpg-narrator: game bridge (Godot and other engines) on ws://localhost:${app.port}/bridge\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
