import type { Logger } from 'pino';
import { loadConfig } from '../config/load-config.ts';
import type { AppConfig } from '../config/schema.ts';
import { createLogger } from '../observability/log.ts';

/** Options every command shares. */
export interface CommonOptions {
  config?: string;
  logLevel?: string;
}

/**
 * Loads the config for a command: file, `VRPG_*` env, then the command's overrides.
 * @throws ConfigError naming the key at fault
 */
export function configFor(opts: CommonOptions, overrides: Record<string, unknown> = {}): { config: AppConfig; log: Logger } {
  const { config } = loadConfig({
    file: opts.config,
    overrides: { ...(opts.logLevel ? { 'log.level': opts.logLevel } : {}), ...overrides },
  });
  return { config, log: createLogger(config.log.level) };
}
