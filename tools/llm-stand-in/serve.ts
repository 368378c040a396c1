/**
 * Runs the stand-in OpenAI-compatible server on its own, to try the language-model path without a
 * model: `npx tsx tools/llm-stand-in/serve.ts [port]` (default 8089), then for example
 * `vrpg-narrator demo --llm-url http://127.0.0.1:8089/v1 --llm-model main --llm-prelude-model small`.
 * Models `main` (800 ms to first token, 25 tokens/s: the issue-14 bench schedule) and `small`
 * (150 ms, 80 tokens/s) answer every prompt with the same scripted narration. Not a model.
 */
import { startOpenAiStandIn } from './openai-stand-in.ts';

const REPLY =
  'Candlelight flickers across a low, smoky room crowded with rough wooden tables. A bard tunes a cracked lute by the hearth, '
  + 'while the innkeeper, a broad woman with flour on her sleeves, watches every newcomer with narrowed eyes.';

const port = Number(process.argv[2] ?? 8089);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`usage: serve.ts [port]: port must be an integer 0–65535, got ${process.argv[2]}\n`);
  process.exit(2);
}
const server = await startOpenAiStandIn(
  {
    main: { reply: REPLY, ttftMs: 800, tokensPerSecond: 25 },
    small: { reply: 'The tavern door swings open. Warmth and noise spill out to greet you.', ttftMs: 150, tokensPerSecond: 80 },
  },
  { port },
);
process.stdout.write(`stand-in OpenAI-compatible server (scripted, not a model) at ${server.url}: models main, small\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
