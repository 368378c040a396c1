import { z } from 'zod';

/**
 * A chat-completions base URL: http(s), no credentials (the URL is shown in logs and errors; the key
 * goes in `apiKey`), no query or fragment (`/chat/completions` is appended to it).
 */
const baseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8080/v1' })
  .refine((u) => { const p = URL.parse(u); return p === null || (p.username === '' && p.password === ''); }, 'must not carry credentials (user:password@): put the key in apiKey, the URL is shown in logs')
  .refine((u) => { const p = URL.parse(u); return p === null || (p.search === '' && p.hash === ''); }, 'must not carry a query or fragment: /chat/completions is appended to it')
  .transform((u) => u.replace(/\/+$/, ''));

/** A model name as servers take it (`qwen2.5:14b`, `Qwen/Qwen2.5-14B-Instruct`, `gpt-4o-mini`). */
const modelName = z.string().min(1).max(200);

/** Extra JSON fields merged into a request body (server-specific switches such as vLLM's `continue_final_message`). */
const extraBody = z.record(z.string().min(1).max(64), z.unknown()).refine((o) => Object.keys(o).length <= 32, 'at most 32 fields');

export const preludeOptionsSchema = z
  .object({
    /** Base URL of the small model's server; default the main `url`. */
    url: baseUrl.optional(),
    model: modelName,
    /** Key for the prelude server; default the main `apiKey` when `url` is the same server. */
    apiKey: z.string().min(1).max(500).optional(),
    /** Cap on the prelude's tokens: one short sentence. */
    maxTokens: z.number().int().min(4).max(200).default(40),
    /**
     * Fields added to the main request that continues the prelude (its last message is the assistant's
     * prelude). llama.cpp's server and Ollama continue a final assistant message by themselves; vLLM
     * needs `{"continue_final_message": true, "add_generation_prompt": false}`.
     */
    continueBody: extraBody.default({}),
  })
  .strict();

/**
 * Options of the `llm-openai` plugin (config `plugins.llm-openai`). Unknown keys are rejected.
 * - `url`: base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1` (llama.cpp's
 *   `llama-server`), `http://127.0.0.1:11434/v1` (Ollama), `https://api.openai.com/v1`.
 * - `model`: the main (narrative) model.
 * - `apiKey`: sent as `Authorization: Bearer …`; never logged, never in errors or /metrics.
 * - `system`: the narrator's persona (the system message).
 * - `maxTokens` (300), `temperature` (0.8): of the main model's answer.
 * - `timeoutMs` (15 000): longest wait for the first token, and between two tokens, ms.
 * - `history` (4): how many of the room's past narrations go into the prompt as context (0 = none).
 * - `prelude`: the seed's fast small model (`{ url?, model, maxTokens, apiKey?, continueBody }`): one
 *   short opening sentence spoken while the main model composes (issue 14).
 * - `extraBody`: fields merged into every request body (e.g. `{"top_p": 0.9}`).
 */
export const llmOpenAiOptionsSchema = z
  .object({
    url: baseUrl,
    model: modelName,
    apiKey: z.string().min(1).max(500).optional(),
    system: z.string().min(1).max(8000).default(
      'You are the narrator of a tabletop role-playing game, read aloud to the players. Answer with the narration only: '
        + 'vivid, concise prose in the second person, no lists, no markdown, no stage directions, no questions to the players unless asked.',
    ),
    maxTokens: z.number().int().min(1).max(8192).default(300),
    temperature: z.number().min(0).max(2).default(0.8),
    timeoutMs: z.number().int().min(100).max(600_000).default(15_000),
    history: z.number().int().min(0).max(32).default(4),
    prelude: preludeOptionsSchema.optional(),
    extraBody: extraBody.default({}),
  })
  .strict();

export type LlmOpenAiOptions = z.output<typeof llmOpenAiOptionsSchema>;
export type PreludeOptions = z.output<typeof preludeOptionsSchema>;
