import { ContainerModule } from 'inversify';
import { TOKENS } from '../../server/tokens.ts';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { OpenAiWriter } from './openai-writer.ts';
import { llmOpenAiOptionsSchema, type LlmOpenAiOptions } from './options.ts';

export { OpenAiWriter } from './openai-writer.ts';
export { llmOpenAiOptionsSchema, type LlmOpenAiOptions, type PreludeOptions } from './options.ts';

/**
 * The `llm-openai` plugin: narration written live by a language model on any OpenAI-compatible
 * chat-completions server with streaming (llama.cpp's llama-server, Ollama, vLLM, LM Studio, OpenAI),
 * with the seed spec's fast prelude model (issue 14). It binds the core's `NarrationWriter`: rules
 * with `llm: { prompt }`, the DM's `narration:narrate_llm` and server code's `generate()` use it.
 * Options: see {@link llmOpenAiOptionsSchema}; README.md in this folder.
 */
export const plugin: PluginDescriptor<LlmOpenAiOptions> = {
  name: 'llm-openai',
  description: 'Narration written live by a language model (OpenAI-compatible streaming chat completions; optional prelude model)',
  optionsSchema: llmOpenAiOptionsSchema,
  provides: {},
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.NarrationWriter).to(OpenAiWriter).inSingletonScope();
  }),
};

export default plugin;
