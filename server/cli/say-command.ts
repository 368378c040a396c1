import { resolve } from 'node:path';
import { buildContainer } from '../host/plugin-host.ts';
import { policySourceOf, startEngine } from '../app.ts';
import { SynthesisScheduler } from '../synthesis/synthesis-scheduler.ts';
import { ConfigError } from '../config/config-error.ts';
import { ThreadedPlayout } from '../playout/threaded-playout.ts';
import { NarrationService } from '../narration/narration-service.ts';
import { NarrationMetrics } from '../observability/metrics.ts';
import { nowMs } from '../threads/spawn-worker.ts';
import { configFor, type CommonOptions } from './common.ts';
import { engineOverrides, type EngineFlags } from './engine-flags.ts';
import { printModelProgress } from './model-progress.ts';
import { TOKENS } from '../tokens.ts';
import type { ModelManager } from '../models/model-manager.ts';

/**
 * `say "TEXT"`: one narration through the full pipeline (chunker → engine → FIFO →
 * frame clock → sinks) without a game server. `--out` records to a WAV file,
 * `--device` plays on a device; neither = the configured sinks. Prints the
 * narration's report line as JSON.
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
  const container = await buildContainer(config, { log });
  const stopProgress = printModelProgress(container.get<ModelManager>(TOKENS.ModelManager));
  const engine = await startEngine(container, config).finally(stopProgress);
  const playout = await ThreadedPlayout.start({ config });
  const policy = await policySourceOf(container, config);
  const scheduler = new SynthesisScheduler({ engine, policy, log });
  const service = new NarrationService(config, engine, playout, new NarrationMetrics(), log, scheduler);
  try {
    const narrator = await service.openRoom('say', {}, { wavPath: opts.out ? resolve(opts.out) : undefined });
    const narration = narrator.narrate(text, { trigger: 'cli:say', priority: 'queue', receivedAtMs: nowMs() });
    const report = await narration.done;
    await service.closeRoom('say');
    process.stdout.write(JSON.stringify(report) + '\n');
    if (opts.out) process.stderr.write(`wrote ${resolve(opts.out)}\n`);
  } finally {
    await service.close();
    scheduler.close();
    await policy.close?.();
    await playout.close();
    await engine.close();
  }
}
