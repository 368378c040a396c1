import { buildContainer } from '../host/plugin-host.ts';
import { TOKENS } from '../tokens.ts';
import type { TtsEngine } from '../synthesis/tts-engine.ts';
import { ConfigError } from '../config/config-error.ts';
import { SemanticChunker } from '../text/semantic-chunker.ts';
import { configFor, type CommonOptions } from './common.ts';
import { engineOverrides, type EngineFlags } from './engine-flags.ts';

/**
 * `chunk`: reads text on stdin and prints one JSON object per chunk per line:
 * `{"index","text","spoken","chars","estSeconds","boundary"}`. The engine (default:
 * the configured one) supplies the per-language character limit and speaking rate;
 * it is not started.
 */
export async function runChunk(opts: CommonOptions & EngineFlags & { lang?: string }): Promise<void> {
  const base = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' });
  const { config, log } = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' }, {
    ...(opts.lang ? { language: opts.lang } : {}),
    ...engineOverrides({ engine: opts.engine }, base.config.plugins['tts-xtts']),
    sinks: ['wav'],
  });
  const container = await buildContainer(config, { log });
  const engine = container.getAll<TtsEngine>(TOKENS.TtsEngine).find((e) => e.name === config.engine);
  if (!engine) throw new ConfigError('--engine', `"${config.engine}" is not bound by any mounted plugin`);
  if (!engine.languages.includes(config.language)) {
    throw new ConfigError('--lang', `"${config.language}" is not spoken by engine ${engine.name}; allowed: ${engine.languages.join(', ')}`);
  }
  const text = await readStdin();
  const chunker = new SemanticChunker({
    language: config.language,
    maxChars: engine.maxChars(config.language),
    charsPerSecond: engine.charsPerSecond(config.language),
  });
  for (const c of chunker.chunk(text)) {
    process.stdout.write(
      JSON.stringify({ index: c.index, text: c.text, spoken: c.spoken, chars: c.chars, estSeconds: Math.round(c.estSeconds * 100) / 100, boundary: c.boundary }) + '\n',
    );
  }
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
