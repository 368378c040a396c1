import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Token ids and limits of an XTTS-v2 model, from Coqui's `config.json` (`model_args`), with the XTTS-v2
 * release values as defaults (coqui/XTTS-v2 config.json; TTS/tts/models/xtts.py `XttsArgs`).
 */
export interface XttsModelConfig {
  /** Prepended to the text ids (`gpt_start_text_token`, 261). */
  readonly startTextToken: number;
  /** Appended to the text ids (`gpt_stop_text_token`, 0). */
  readonly stopTextToken: number;
  /** First audio input (`gpt_start_audio_token`, 1024). */
  readonly startAudioToken: number;
  /** Ends generation (`gpt_stop_audio_token`, 1025). */
  readonly stopAudioToken: number;
  /**
   * Most audio tokens generated per chunk: `gpt_max_audio_tokens − 3` (605 → 602). Transformers' `max_length`
   * counts the prompt, so Coqui's cap depends on the prompt length; the seed and issue fix it at 602 for
   * the release model, which this keeps independent of the prompt.
   */
  readonly maxNewTokens: number;
}

/** XTTS-v2 release values. */
export const XTTS_V2_CONFIG: Readonly<XttsModelConfig> = Object.freeze({
  startTextToken: 261,
  stopTextToken: 0,
  startAudioToken: 1024,
  stopAudioToken: 1025,
  maxNewTokens: 602,
});

/**
 * Reads `config.json` in `modelDir` when present (absent → {@link XTTS_V2_CONFIG}).
 * @throws Error naming the file when it is not JSON or a present key is not a non-negative integer
 */
export async function readXttsModelConfig(modelDir: string): Promise<XttsModelConfig> {
  const path = join(modelDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return XTTS_V2_CONFIG;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  let json: { model_args?: Record<string, unknown> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
  const args = json.model_args ?? {};
  const int = (key: string, fallback: number): number => {
    const v = args[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${path}: model_args.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const maxAudio = int('gpt_max_audio_tokens', XTTS_V2_CONFIG.maxNewTokens + 3);
  if (maxAudio < 4) throw new Error(`${path}: model_args.gpt_max_audio_tokens must be at least 4, got ${maxAudio}`);
  return {
    startTextToken: int('gpt_start_text_token', XTTS_V2_CONFIG.startTextToken),
    stopTextToken: int('gpt_stop_text_token', XTTS_V2_CONFIG.stopTextToken),
    startAudioToken: int('gpt_start_audio_token', XTTS_V2_CONFIG.startAudioToken),
    stopAudioToken: int('gpt_stop_audio_token', XTTS_V2_CONFIG.stopAudioToken),
    maxNewTokens: maxAudio - 3,
  };
}
