import { z } from 'zod';
import { XTTS_LANGUAGES } from './languages.ts';

/**
 * Backends of the plugin: `http` talks to an XTTS server; `onnx` runs the XTTS-v2 streaming ONNX export
 * in process on onnxruntime-node (plugins/tts-xtts/onnx/README.md).
 */
export const XTTS_BACKENDS = ['http', 'onnx'] as const;

/**
 * Wire protocols of the `http` backend:
 * - `xtts-streaming-server`: coqui-ai/xtts-streaming-server (`/clone_speaker`, `/tts_stream`);
 * - `openai`: `POST /v1/audio/speech` as served by AllTalk v2 and other local TTS servers.
 */
export const XTTS_PROTOCOLS = ['xtts-streaming-server', 'openai'] as const;

/** Voice names: letters, digits and `_ : . -` (`dm`, `npc:innkeeper`); never a path. */
const VOICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,63}$/;

const voiceSchema = z.union([
  z.object({ wav: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(8)]) }).strict(),
  z.object({ latents: z.string().min(1) }).strict(),
]);

/** One configured voice: reference WAV file(s) to clone, or a latents JSON in the `/clone_speaker` format. */
export type XttsVoiceConfig = z.output<typeof voiceSchema>;

/**
 * Options of the `tts-xtts` plugin (config `plugins.tts-xtts`). Unknown keys are rejected.
 * - `backend`: `http` (default) or `onnx`.
 * - `url`: base URL of the XTTS server (required for `http`), e.g. `http://gpu-box:8000`.
 * - `modelDir`: the exported model directory (required for `onnx`; layout in onnx/README.md).
 * - `decoding` (`onnx`): `sample` (default; `sampling` applies) or `greedy` (argmax: deterministic, for tests).
 * - `sampling` (`onnx`): `{ temperature, topK, topP, repetitionPenalty }`, defaults 0.75 / 50 / 0.85 / 10
 *   (`Xtts.inference_stream`).
 * - `seed` (`onnx`): makes sampling reproducible; absent = a new random sequence per chunk.
 * - `protocol`: see {@link XTTS_PROTOCOLS}; default `xtts-streaming-server`.
 * - `language`: default language, one of the XTTS languages (default `en`).
 * - `voices`: name → `{ wav: "ref.wav" | ["a.wav", "b.wav"] }` or `{ latents: "voice.json" }`; paths are
 *   relative to `voicesDir` and may not leave it. Only for `xtts-streaming-server` (an OpenAI-style
 *   server has its own voice names, which pass through as given).
 * - `defaultVoice`: voice used when a narration names none; default: the first of `voices`
 *   (`openai`: `alloy`).
 * - `voicesDir`: folder holding references and latents files (default `voices`, relative to the cwd).
 * - `streamChunkSize`: GPT tokens per streamed audio chunk (default 20 ≈ 0.93 s, Coqui's default).
 * - `speed`: speaking speed factor 0.5–2 (default 1): sent to `openai` servers; `onnx` interpolates the
 *   GPT latents by 1 / speed as `inference_stream` does.
 * - `model`, `responseFormat`: the `openai` request's `model` (default `xtts`) and `response_format`.
 * - `timeoutMs`: longest wait for a server's first byte, and for each next byte, ms (default 15 000).
 * - `retries`: `{ count, baseDelayMs }` retries before the first byte (connection errors, 5xx, 429),
 *   waiting `baseDelayMs × 2^attempt` (default 2 retries from 250 ms).
 */
export const xttsOptionsSchema = z
  .object({
    backend: z.enum(XTTS_BACKENDS).default('http'),
    modelDir: z.string().min(1).optional(),
    decoding: z.enum(['sample', 'greedy']).default('sample'),
    sampling: z
      .object({
        temperature: z.number().gt(0).max(5).default(0.75),
        topK: z.number().int().min(0).max(1026).default(50),
        topP: z.number().gt(0).max(1).default(0.85),
        repetitionPenalty: z.number().min(1).max(100).default(10),
      })
      .strict()
      .default({ temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 }),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8000' }).optional(),
    protocol: z.enum(XTTS_PROTOCOLS).default('xtts-streaming-server'),
    language: z.enum(XTTS_LANGUAGES).default('en'),
    voices: z.record(z.string().regex(VOICE_NAME, 'voice name: letters, digits, _ : . - (no paths)'), voiceSchema).default({}),
    defaultVoice: z.string().min(1).optional(),
    voicesDir: z.string().min(1).default('voices'),
    streamChunkSize: z.number().int().min(1).max(400).default(20),
    speed: z.number().min(0.5).max(2).default(1),
    model: z.string().min(1).default('xtts'),
    responseFormat: z.enum(['pcm', 'wav']).default('pcm'),
    timeoutMs: z.number().int().min(100).max(600_000).default(15_000),
    retries: z
      .object({ count: z.number().int().min(0).max(10).default(2), baseDelayMs: z.number().int().min(0).max(60_000).default(250) })
      .strict()
      .default({ count: 2, baseDelayMs: 250 }),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.backend === 'onnx') {
      if (o.modelDir === undefined) ctx.addIssue({ code: 'custom', path: ['modelDir'], message: 'required for backend "onnx": the folder of the exported XTTS-v2 ONNX files' });
      if (o.protocol === 'openai') ctx.addIssue({ code: 'custom', path: ['protocol'], message: 'applies to backend "http" only' });
    } else if (o.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for backend "http": the XTTS server\'s base URL' });
    const names = Object.keys(o.voices);
    if (o.protocol === 'openai' && names.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['voices'], message: 'cloned voices need protocol "xtts-streaming-server"; an "openai" server takes its own voice names (set defaultVoice)' });
    }
    if (o.protocol === 'xtts-streaming-server' && o.defaultVoice !== undefined && !names.includes(o.defaultVoice)) {
      ctx.addIssue({ code: 'custom', path: ['defaultVoice'], message: `"${o.defaultVoice}" is not in voices; configured: ${names.join(', ') || '(none)'}` });
    }
  });

/** Validated options of the `tts-xtts` plugin, defaults applied. */
export type XttsOptions = z.output<typeof xttsOptionsSchema>;
