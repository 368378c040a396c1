import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Container } from 'inversify';
import type { Logger } from 'pino';
import { TOKENS, pluginOptionsToken } from '../tokens.ts';
import type { AppConfig } from '../config/schema.ts';
import { ConfigError, configErrorFromZod } from '../config/config-error.ts';
import type { PluginDescriptor } from './plugin.ts';
import { WavRecorderSinkFactory } from '../sinks/wav-recorder-sink.ts';
import { BridgeSinkFactory } from '../bridge/bridge-sink-factory.ts';
import { ModelManager } from '../models/model-manager.ts';

/** The repository's plugins/ folder. */
export const PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

/** Sinks the core provides without a plugin. */
export const CORE_SINKS = ['wav', 'bridge'] as const;

/**
 * A plugin folder's entry module: `index.js` (compiled, as the package ships) or `index.ts`
 * (a source checkout, run through tsx), or null when the folder holds neither.
 */
function pluginEntry(dir: string, name: string): string | null {
  for (const file of ['index.js', 'index.ts']) {
    const path = join(dir, name, file);
    if (existsSync(path)) return path;
  }
  return null;
}

/** Plugin folder names found in the given directories (folders holding an index.js or index.ts). */
export function availablePlugins(dirs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && pluginEntry(dir, entry.name)) names.add(entry.name);
    }
  }
  return [...names].sort();
}

function searchDirs(config: Pick<AppConfig, 'pluginDirs'>): string[] {
  return [...config.pluginDirs.map((d) => resolve(d)), PLUGINS_DIR];
}

/**
 * Imports one plugin's descriptor by folder name, from `config.pluginDirs` then plugins/.
 * @throws ConfigError for an unknown plugin, a load failure, or a folder that exports no matching descriptor
 */
export async function loadPluginDescriptor(name: string, config: Pick<AppConfig, 'pluginDirs'>): Promise<PluginDescriptor> {
  const dirs = searchDirs(config);
  const entry = dirs.map((d) => pluginEntry(d, name)).find((e) => e !== null);
  if (!entry) throw new ConfigError(`plugins.${name}`, `unknown plugin; available: ${availablePlugins(dirs).join(', ') || '(none)'}`);
  let mod: { plugin?: PluginDescriptor; default?: PluginDescriptor };
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    throw new ConfigError(`plugins.${name}`, `plugin failed to load: ${(err as Error).message}`, { cause: err });
  }
  const descriptor = mod.plugin ?? mod.default;
  if (!descriptor || descriptor.name !== name) {
    throw new ConfigError(`plugins.${name}`, `${entry} must export a descriptor named "${name}" as \`plugin\``);
  }
  return descriptor;
}

/** A mounted plugin: its descriptor and validated options. */
export interface MountedPlugin {
  readonly descriptor: PluginDescriptor;
  readonly options: unknown;
}

/**
 * Loads and validates the plugins the config lists, and checks that the
 * configured engine and sinks are provided by them.
 * @throws ConfigError naming the key at fault and the allowed values: unknown plugin,
 *   bad plugin option, missing required plugin, engine or sink nobody provides
 */
export async function mountPlugins(config: AppConfig): Promise<MountedPlugin[]> {
  const mounted: MountedPlugin[] = [];
  for (const [name, rawOptions] of Object.entries(config.plugins)) {
    const descriptor = await loadPluginDescriptor(name, config);
    const parsed = descriptor.optionsSchema.safeParse(rawOptions);
    if (!parsed.success) throw configErrorFromZod(parsed.error, `plugins.${name}`);
    mounted.push({ descriptor, options: parsed.data });
  }
  const names = mounted.map((m) => m.descriptor.name);
  for (const { descriptor } of mounted) {
    for (const dep of descriptor.requires ?? []) {
      if (!names.includes(dep)) {
        throw new ConfigError(`plugins.${descriptor.name}`, `requires plugin "${dep}", which is not mounted; add "${dep}": {} to plugins`);
      }
    }
  }
  const engines = mounted.flatMap((m) => m.descriptor.provides.engines ?? []);
  if (!engines.includes(config.engine)) {
    throw new ConfigError('engine', `"${config.engine}" is not provided by any mounted plugin; allowed: ${engines.join(', ') || '(none: mount an engine plugin such as tts-espeak)'}`);
  }
  const sinks = [...CORE_SINKS, ...mounted.flatMap((m) => m.descriptor.provides.sinks ?? [])];
  for (const [i, sink] of config.sinks.entries()) {
    if (!sinks.includes(sink)) throw new ConfigError(`sinks.${i}`, `"${sink}" is not provided by the core or any mounted plugin; allowed: ${sinks.join(', ')}`);
  }
  for (const m of mounted) checkPackages(m, config);
  return mounted;
}

/**
 * Whether a mounted plugin is used by this config: its engine is config `engine`, one of its
 * sinks is in `sinks`, or it provides neither (a policy such as gpu-tier).
 */
function inUse({ descriptor }: MountedPlugin, config: Pick<AppConfig, 'engine' | 'sinks'>): boolean {
  const engines = descriptor.provides.engines ?? [];
  const sinks = descriptor.provides.sinks ?? [];
  if (engines.length === 0 && sinks.length === 0) return true;
  return engines.includes(config.engine) || sinks.some((s) => config.sinks.includes(s));
}

const requireHere = createRequire(import.meta.url);

/**
 * Whether an npm package resolves from this package's folder. A package that exists but has no
 * `require` export (ESM only) resolves with ERR_PACKAGE_PATH_NOT_EXPORTED: it is installed.
 */
function isInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'MODULE_NOT_FOUND';
  }
}

/**
 * Checks that the npm packages a plugin in use needs (its optional peer dependencies:
 * onnxruntime-node, naudiodon, werift, …) resolve from here, so a missing one stops the
 * start with the command that installs it instead of failing in a room later.
 * @throws ConfigError `plugins.<name>` naming the missing packages and the install command
 */
function checkPackages(m: MountedPlugin, config: Pick<AppConfig, 'engine' | 'sinks'>): void {
  const needed = m.descriptor.packages?.(m.options) ?? [];
  if (needed.length === 0 || !inUse(m, config)) return;
  const missing = needed.filter((pkg) => !isInstalled(pkg));
  if (missing.length > 0) {
    throw new ConfigError(
      `plugins.${m.descriptor.name}`,
      `needs the npm package${missing.length > 1 ? 's' : ''} ${missing.map((p) => `"${p}"`).join(', ')}, not installed: npm install ${missing.join(' ')}`,
    );
  }
}

/**
 * Builds the inversify container of one thread: config, logger, the core `wav` and `bridge` sinks,
 * and every mounted plugin's module with its options bound under `pluginOptionsToken(name)`.
 * Each thread that needs services (main, playout) builds its own from the same config.
 * @throws ConfigError as {@link mountPlugins}
 */
export async function buildContainer(config: AppConfig, opts: { log: Logger }): Promise<Container> {
  const mounted = await mountPlugins(config);
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(opts.log);
  container.bind(TOKENS.AudioSinkFactory).to(WavRecorderSinkFactory);
  container.bind(TOKENS.AudioSinkFactory).to(BridgeSinkFactory);
  // One per container (thread): loads, warm-up, TTL and LRU eviction for any engine's models.
  container.bind(TOKENS.ModelManager).toDynamicValue(() => new ModelManager({ log: opts.log.child({ part: 'models' }) }));
  for (const { descriptor, options } of mounted) {
    container.bind(pluginOptionsToken(descriptor.name)).toConstantValue(options);
    await container.loadAsync(descriptor.module);
  }
  return container;
}
