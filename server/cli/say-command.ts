import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { createNarrator } from '../host/narrator.ts';
import { configFor, type CommonOptions } from './common.ts';
import { engineOverrides, type EngineFlags } from './engine-flags.ts';
import { printModelProgress } from './model-progress.ts';

/** Sinks that put a `say` narration somewhere a person gets it: the speakers or a file (`webrtc` and `bridge` have no listener here). */
const AUDIBLE_SINKS = ['native', 'wav'];

/** `say` ended without success: one line on stderr says why, the exit code is 1. */
class SayFailed extends Error {}

/**
 * `say "TEXT"`: one narration through the full pipeline (chunker → engine → FIFO →
 * frame clock → sinks) without a game server, on {@link createNarrator} like every command.
 * `--out` records to a WAV file, `--device` plays on a device; neither = the configured
 * sinks. Prints the narration's report line as JSON.
 *
 * Exit code 1, with one `vrpg-narrator: say: …` line on stderr (issue 11: it used to exit 0 having
 * played nowhere), when there is nowhere to play — without `--out`, the audio device cannot be opened
 * (the `native` sink is then required: `plugins.audio-native.required`), or the sinks include neither
 * `native` nor `wav` — and when the narration failed (its report's `error`: chunks the engine could
 * not synthesize, or no audio at all).
 * @throws ConfigError for `--device` without the audio-native plugin, or bad flags/config (exit 2)
 */
export async function runSay(text: string, opts: CommonOptions & EngineFlags & { out?: string; device?: string; lang?: string }): Promise<void> {
  try {
    await say(text, opts);
  } catch (err) {
    if (!(err instanceof SayFailed)) throw err;
    process.stderr.write(`vrpg-narrator: say: ${err.message}\n`);
    process.exitCode = 1;
  }
}

async function say(text: string, opts: CommonOptions & EngineFlags & { out?: string; device?: string; lang?: string }): Promise<void> {
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
  const speakersOnly = !opts.out;
  // Without a file, the speakers are where the narration goes: a device that cannot open fails the room's open.
  if (speakersOnly && base.config.plugins['audio-native']) overrides['plugins.audio-native.required'] = true;
  const { config, log } = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' }, overrides);
  if (opts.device !== undefined && !config.plugins['audio-native']) {
    throw new ConfigError('--device', 'needs the audio-native plugin mounted (plugins.audio-native)');
  }
  if (!config.sinks.some((s) => AUDIBLE_SINKS.includes(s))) {
    throw new SayFailed(`nowhere to play: the sinks (${config.sinks.join(', ')}) include neither native nor wav; pass --out FILE.wav or --device NAME`);
  }
  const narrator = await createNarrator(config, { log, onModelProgress: printModelProgress() });
  try {
    const room = await narrator.openRoom('say', { wavPath: opts.out ? resolve(opts.out) : undefined }).catch((err: unknown) => {
      const why = /no audio output could be opened: (.*)$/s.exec(err instanceof Error ? err.message : String(err))?.[1];
      if (speakersOnly && why !== undefined) {
        throw new SayFailed(`nowhere to play: ${why}; pass --out FILE.wav to record instead (\`vrpg-narrator devices\` lists the outputs)`);
      }
      throw err;
    });
    const report = await room.narrate(text, { trigger: 'cli:say' }).done;
    await room.close();
    process.stdout.write(JSON.stringify(report) + '\n');
    if (opts.out) process.stderr.write(`wrote ${resolve(opts.out)}\n`);
    // A failed synthesis is not a success: the report says why, the exit code says so too.
    if (report.error) throw new SayFailed(report.error);
  } finally {
    await narrator.close();
  }
}
