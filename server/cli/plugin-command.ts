import { loadPluginDescriptor } from '../host/plugin-host.ts';
import { ConfigError } from '../config/config-error.ts';
import { configFor, type CommonOptions } from './common.ts';

/**
 * Runs a subcommand a plugin contributes (its descriptor's `commands`), with the plugin's
 * options from the config when it is mounted there. The plugin need not be mounted.
 * @throws ConfigError when the plugin is unknown or has no such command
 */
export async function runPluginCommand(pluginName: string, command: string, opts: CommonOptions & Record<string, unknown>): Promise<void> {
  const { config } = configFor({ ...opts, logLevel: (opts.logLevel as string | undefined) ?? 'warn' });
  const descriptor = await loadPluginDescriptor(pluginName, config);
  const cmd = descriptor.commands?.[command];
  if (!cmd) throw new ConfigError(`plugins.${pluginName}`, `plugin has no "${command}" command`);
  const text = await cmd.run(opts, config.plugins[pluginName]);
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
