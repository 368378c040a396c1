/**
 * Speaker conditioning of XTTS-v2 as `/clone_speaker` returns it and `/tts_stream` takes it:
 * `gpt_cond_latent` [32][1024] (the perceiver resampler's 32 latents of the GPT width) and
 * `speaker_embedding` [512] (the HiFi-GAN speaker encoder's output). Shapes: Coqui TTS,
 * TTS/tts/models/xtts.py `get_conditioning_latents`, squeezed by xtts-streaming-server.
 */
export interface SpeakerLatents {
  readonly gpt_cond_latent: number[][];
  readonly speaker_embedding: number[];
}

/** Rows of `gpt_cond_latent`. */
export const GPT_COND_LATENT_ROWS = 32;
/** Width of each `gpt_cond_latent` row (the GPT's model dimension). */
export const GPT_COND_LATENT_WIDTH = 1024;
/** Length of `speaker_embedding`. */
export const SPEAKER_EMBEDDING_LENGTH = 512;

/**
 * Validates a value in the `/clone_speaker` format.
 * @param source where it came from, for the message (`POST /clone_speaker`, a file path)
 * @param width expected row width of `gpt_cond_latent`: the GPT's model dimension (1024 for XTTS-v2;
 *   another value only for a differently sized export, e.g. the test fixtures)
 * @throws Error naming the source and the field that is missing, mis-shaped or not finite numbers
 */
export function parseSpeakerLatents(value: unknown, source: string, width: number = GPT_COND_LATENT_WIDTH): SpeakerLatents {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source}: speaker latents must be an object with gpt_cond_latent and speaker_embedding, got ${kind(value)}`);
  }
  const v = value as Record<string, unknown>;
  const rows = v.gpt_cond_latent;
  if (!Array.isArray(rows) || rows.length !== GPT_COND_LATENT_ROWS) {
    throw new Error(`${source}: gpt_cond_latent must be [${GPT_COND_LATENT_ROWS}][${width}] numbers, got ${shape(rows)}`);
  }
  rows.forEach((row, i) => checkNumbers(row, width, `${source}: gpt_cond_latent[${i}]`));
  checkNumbers(v.speaker_embedding, SPEAKER_EMBEDDING_LENGTH, `${source}: speaker_embedding`);
  return { gpt_cond_latent: rows as number[][], speaker_embedding: v.speaker_embedding as number[] };
}

function checkNumbers(value: unknown, length: number, what: string): void {
  if (!Array.isArray(value) || value.length !== length) throw new Error(`${what} must be ${length} numbers, got ${shape(value)}`);
  const bad = value.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${what}[${bad}] must be a finite number, got ${JSON.stringify(value[bad])}`);
}

function shape(value: unknown): string {
  if (!Array.isArray(value)) return kind(value);
  return Array.isArray(value[0]) ? `[${value.length}][${(value[0] as unknown[]).length}]` : `${value.length} item(s)`;
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
