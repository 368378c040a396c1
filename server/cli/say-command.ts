import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { createNarrator } from '../host/narrator.ts';
import { configFor, type CommonOptions } from './common.ts';
import { engineOverrides, type EngineFlags } from './engine-flags.ts';
import { printModelProgress } from './model-progress.ts';

/**
 * `say "TEXT"`: one narration through the full pipeline (chunker → engine → FIFO →
 * frame clock → sinks) without a game server, on {@link createNarrator} like every command.
 * `--out` records to a WAV file, `--device` plays on a device; neither = the configured
 * sinks. Prints the narration's report line as JSON.
 */
export async function runSay(text: string, opts: CommonOptions & EngineFlags & { out?: string; device?: string; lang?: string }): Promise<void> {
  const sinks: string[] = [];
  if (opts.out) sinks.push('wav');
  if (opts.device !== undefined) sinks.push('native');
  const overrides: Record<string, unknown> = {};
  if (sinks.length > 0) overrides.sinks = sinks;
  if (opts.lang) overrides.language = opts.lang;
  if (opts.device !== undefined) {
    const asIndex = /^\d+$/.test(opts.device) ? Number(opts.device) : opts.device;
    overrides['plugins.audio-native.device'] = asIndex;
  }
  const base = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' });
  Object.assign(overrides, engineOverrides(opts, base.config.plugins['tts-xtts']));
  const { config, log } = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' }, overrides);
  if (opts.device !== undefined && !config.plugins['audio-native']) {
    throw new ConfigError('--device', 'needs the audio-native plugin mounted (plugins.audio-native)');
  }
  const narrator = await createNarrator(config, { log, onModelProgress: printModelProgress() });
  try {
    const room = await narrator.openRoom('say', { wavPath: opts.out ? resolve(opts.out) : undefined });
    const report = await room.narrate(text, { trigger: 'cli:say' }).done;
    await room.close();
    process.stdout.write(JSON.stringify(report) + '\n');
    if (opts.out) process.stderr.write(`wrote ${resolve(opts.out)}\n`);
    // A failed synthesis is not a success: the report says why, the exit code says so too.
    if (report.error) {
      process.stderr.write(`vrpg-narrator: say: ${report.error}\n`);
      process.exitCode = 1;
    }
  } finally {
    await narrator.close();
  }
}
