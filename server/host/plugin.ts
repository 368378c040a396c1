import type { ContainerModule } from 'inversify';
import type { z } from 'zod';

/**
 * What a plugin folder's `index.ts` exports as `plugin` (and as default).
 *
 * The host validates the plugin's options with `optionsSchema`, binds the result
 * under `pluginOptionsToken(name)`, then loads `module`. The same descriptor is
 * loaded in every thread that builds a container (main thread and the playout
 * thread); bindings are lazy, so a thread only pays for what it resolves.
 * Shape after livekit/agents-js plugins: one folder, one descriptor, one module.
 */
export interface PluginDescriptor<Options = unknown> {
  /** Folder name under plugins/, e.g. `tts-espeak`. */
  readonly name: string;
  /** One line for `--help` and error messages. */
  readonly description: string;
  /** zod schema of the plugin's options in the config file; defaults live here. */
  readonly optionsSchema: z.ZodType<Options>;
  /** Other plugins that must be mounted too (by folder name). */
  readonly requires?: readonly string[];
  /** Engine and sink names this plugin binds, so config can be checked before resolving. */
  readonly provides: { readonly engines?: readonly string[]; readonly sinks?: readonly string[] };
  /**
   * npm packages the plugin loads with these options that are not dependencies of this package
   * (its optional peer dependencies: onnxruntime-node, naudiodon, werift, …). The host checks they
   * resolve when the plugin is in use (its engine or one of its sinks is configured) and refuses to
   * start otherwise, naming the install command. The plugin imports them lazily, so a mounted plugin
   * that is not in use costs nothing.
   */
  readonly packages?: (options: Options) => readonly string[];
  /** The plugin's bindings. Options are injected with `@inject(pluginOptionsToken(name))`. */
  readonly module: ContainerModule;
  /**
   * CLI subcommands the plugin contributes (`vrpg-narrator <name>`), run without starting
   * the server. `run` returns the text to print; it gets the command's flags and the
   * plugin's options from the config (unvalidated when the plugin is not mounted).
   */
  readonly commands?: Readonly<Record<string, PluginCommand>>;
  /** Sink plugins that drive devices list them here, for `vrpg-narrator devices`. */
  readonly listOutputDevices?: () => Promise<readonly OutputDeviceInfo[]>;
}

/** An audio output device as a sink plugin sees it. */
export interface OutputDeviceInfo {
  /** Index or id to put in the plugin's `device` option. */
  readonly id: number | string;
  readonly name: string;
  readonly maxOutputChannels?: number;
  /** Hz */
  readonly defaultSampleRate?: number;
  readonly hostAPIName?: string;
}

/** A CLI subcommand contributed by a plugin. */
export interface PluginCommand {
  readonly description: string;
  run(flags: Record<string, unknown>, pluginOptions: unknown): Promise<string>;
}
