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

/** Most servers in `urls`: beyond a few dozen GPU boxes a real load balancer belongs in front of them. */
export const MAX_XTTS_SERVERS = 32;

/**
 * One server's base URL: http(s), no credentials (fetch refuses a URL carrying them, and the URL
 * labels metrics and logs), no query or fragment (request paths are appended to it).
 */
const serverUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8000' })
  .refine((u) => { const p = URL.parse(u); return p === null || (p.username === '' && p.password === ''); }, 'must not carry credentials (user:password@): fetch refuses them and the URL is shown in logs and /metrics')
  .refine((u) => { const p = URL.parse(u); return p === null || (p.search === '' && p.hash === ''); }, 'must not carry a query or fragment: request paths such as /tts_stream are appended to it');

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
 * - `url`: base URL of the XTTS server, e.g. `http://gpu-box:8000`; or
 * - `urls`: base URLs of a pool of up to {@link MAX_XTTS_SERVERS} servers (server-pool.ts). One of the two
 *   is required for `http`; both at once is an error (no precedence to guess). No credentials, query or
 *   fragment in either; no duplicates.
 * - `health`: `{ backoffBaseMs, backoffMaxMs }` of the probes of a pool server marked down (default
 *   1 000 → 30 000 ms, ×1.6 per failed probe, ±20 % jitter: probe-backoff.ts).
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
 * - `retries`: `{ count, baseDelayMs }` retries of a chunk that failed before any of its audio was
 *   yielded (connection errors, timeouts, 5xx, 429, a stream that broke before a whole sample): to
 *   another healthy server at once when the pool has one, else to the same server after
 *   `baseDelayMs × 2^(retry − 1)` (default 2 retries from 250 ms).
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
    url: serverUrl.optional(),
    urls: z.array(serverUrl).min(1, 'list at least one server').max(MAX_XTTS_SERVERS, `at most ${MAX_XTTS_SERVERS} servers`).optional(),
    health: z
      .object({ backoffBaseMs: z.number().int().min(10).max(60_000).default(1_000), backoffMaxMs: z.number().int().min(10).max(600_000).default(30_000) })
      .strict()
      .default({ backoffBaseMs: 1_000, backoffMaxMs: 30_000 }),
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
    } else if (o.url === undefined && o.urls === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for backend "http": the XTTS server\'s base URL (or urls: [...] for a pool of servers)' });
    }
    if (o.url !== undefined && o.urls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['urls'], message: 'give either url (one server) or urls (a pool), not both' });
    }
    const seen = new Map<string, number>();
    (o.urls ?? []).forEach((u, i) => {
      const base = serverBase(u);
      const first = seen.get(base);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['urls', i], message: `${base} is listed twice (also urls[${first}])` });
      else seen.set(base, i);
    });
    if (o.health.backoffMaxMs < o.health.backoffBaseMs) {
      ctx.addIssue({ code: 'custom', path: ['health', 'backoffMaxMs'], message: `must be at least backoffBaseMs (${o.health.backoffBaseMs})` });
    }
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

/** A server URL as requests are built from it: trailing slashes removed. */
export function serverBase(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The servers of the `http` backend, in config order: `urls`, or `[url]`.
 * @throws Error when neither is set (the schema already refuses that for `http`)
 */
export function xttsServerUrls(options: Pick<XttsOptions, 'url' | 'urls'>): string[] {
  const urls = options.urls ?? (options.url !== undefined ? [options.url] : []);
  if (urls.length === 0) throw new Error('plugins.tts-xtts.url (or urls) is required for backend "http"');
  return urls.map(serverBase);
}
