import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { describeIssue } from '../../server/room/messages.ts';

/**
 * A Piper voice's config file (`voice.onnx.json`), as piper_train's export writes it and Piper's
 * runtime reads it (rhasspy/piper src/python_run/piper/config.py `PiperConfig.from_dict`,
 * src/cpp/piper.cpp `parseModelConfig`). Only the keys the engine uses are checked; the rest
 * (`dataset`, `language`'s details, `piper_version`, training metadata) pass through.
 */
export const PiperVoiceJsonSchema = z.looseObject({
  audio: z.looseObject({ sample_rate: z.number().int().min(8000).max(48000), quality: z.string().optional() }),
  espeak: z.looseObject({ voice: z.string().min(1).max(64) }),
  inference: z.looseObject({
    noise_scale: z.number().min(0).max(10).default(0.667),
    length_scale: z.number().gt(0).max(10).default(1),
    noise_w: z.number().min(0).max(10).default(0.8),
  }).default({ noise_scale: 0.667, length_scale: 1, noise_w: 0.8 }),
  phoneme_type: z.enum(['espeak', 'text']).default('espeak'),
  /** Phoneme substitutions applied before the id map (`"ɚ": ["ə", "ɹ"]`), rare. */
  phoneme_map: z.record(z.string(), z.array(z.string())).default({}),
  phoneme_id_map: z.record(z.string(), z.array(z.number().int().min(0)).min(1)).refine((m) => ['_', '^', '$'].every((k) => Object.hasOwn(m, k)), 'must map the pad "_", the start "^" and the end "$"'),
  num_symbols: z.number().int().min(1).optional(),
  num_speakers: z.number().int().min(1).default(1),
  speaker_id_map: z.record(z.string(), z.number().int().min(0)).default({}),
  language: z.looseObject({ code: z.string().min(1) }).optional(),
  dataset: z.string().optional(),
});
export type PiperVoiceJson = z.output<typeof PiperVoiceJsonSchema>;

/** A voice found on disk: its model file and parsed config. */
export interface PiperVoiceFiles {
  /** Absolute or config-relative path of `voice.onnx`. */
  readonly onnxPath: string;
  /** `voice.onnx.json` next to it (Piper's convention). */
  readonly jsonPath: string;
  readonly config: PiperVoiceJson;
}

/**
 * Reads a Piper voice: `<onnxPath>` and its config `<onnxPath>.json`.
 * @throws Error naming the file: the model or its `.onnx.json` is missing or unreadable, the JSON does
 *   not parse, or a key is missing or wrong (the key named: `audio.sample_rate: …`)
 */
export async function readPiperVoice(onnxPath: string): Promise<PiperVoiceFiles> {
  const jsonPath = `${onnxPath}.json`;
  try {
    const s = await stat(onnxPath);
    if (!s.isFile()) throw new Error('not a file');
  } catch (err) {
    throw new Error(`Piper voice ${onnxPath}: the model file cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); a voice is voice.onnx with voice.onnx.json beside it`, { cause: err });
  }
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new Error(`Piper voice ${onnxPath}: its config ${jsonPath} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); download it with the .onnx`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Piper voice config ${jsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = PiperVoiceJsonSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Piper voice config ${jsonPath}: ${describeIssue(parsed.error)}`);
  return { onnxPath, jsonPath, config: parsed.data };
}
