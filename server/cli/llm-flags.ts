import { ConfigError, configErrorFromZod } from '../config/config-error.ts';
import type { AppConfig } from '../config/schema.ts';
import { loadPluginDescriptor } from '../host/plugin-host.ts';
import { describe, fetchJson } from '../util/http-stream.ts';
import { keyRedactor } from '../util/redact-key.ts';

/** The plugin the language-model flags mount (plugins/llm-openai, issue 14). */
const PLUGIN = 'llm-openai';

/** Language-model flags of `demo` (issue 14): they mount `plugins.llm-openai`. */
export interface LlmFlags {
  /** Base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1`. */
  llmUrl?: string;
  /** The main model; default the first model `GET {llmUrl}/models` lists. */
  llmModel?: string;
  /** The prelude (small, fast) model on the same server. */
  llmPreludeModel?: string;
  /** Name of the environment variable holding the API key (a key on the command line would show in `ps`). */
  llmKeyEnv?: string;
}

/** The flag each plugin option comes from, to name it in errors. */
const FLAG_OF: Readonly<Record<string, string>> = {
  [`plugins.${PLUGIN}.url`]: '--llm-url',
  [`plugins.${PLUGIN}.model`]: '--llm-model',
  [`plugins.${PLUGIN}.prelude.model`]: '--llm-prelude-model',
  [`plugins.${PLUGIN}.apiKey`]: '--llm-key-env',
};

/** Longest wait for `GET /models` to answer, ms: a local server answers at once; this only bounds a dead one. */
const MODELS_TIMEOUT_MS = 10_000;

/** POSIX environment variable names (IEEE Std 1003.1, 8.1: letters, digits, underscore; no leading digit). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `plugins.llm-openai` options the language-model flags ask for, or null without `--llm-url`.
 * Options the config file gives the plugin (`system`, `maxTokens`, a prelude's `url`…) are kept; the
 * flags replace `url`, `model`, `prelude.model` and `apiKey` (read from the variable `--llm-key-env` names).
 * Without `--llm-model` the model is the first that `GET {url}/models` lists (llama.cpp's llama-server
 * lists the model it serves, Ollama every pulled one; OpenAI API reference "List models": `{data: [{id}]}`).
 * The options are checked by the plugin's own schema before any request (so a URL with credentials is
 * never sent or shown), and again when the server mounts the plugin.
 * @param env where `--llm-key-env` is looked up (default `process.env`)
 * @throws ConfigError naming the flag at fault: another llm flag without `--llm-url`, a variable name
 *   that is not one or is unset/empty, an option the plugin refuses, a model list that cannot be read
 *   or is empty (the message names `{url}/models`; the key never appears in it)
 */
export async function llmPluginOptions(flags: LlmFlags, config: AppConfig, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown> | null> {
  if (flags.llmUrl === undefined) {
    const stray = (['llmModel', 'llmPreludeModel', 'llmKeyEnv'] as const).find((k) => flags[k] !== undefined);
    if (stray) throw new ConfigError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, 'needs --llm-url (the language model\'s server)');
    return null;
  }
  let apiKey: string | undefined;
  if (flags.llmKeyEnv !== undefined) {
    if (!ENV_NAME.test(flags.llmKeyEnv)) throw new ConfigError('--llm-key-env', 'is not an environment variable name (letters, digits, _): pass the variable\'s name, not the key (the value is not shown: it may be a key)');
    apiKey = env[flags.llmKeyEnv];
    if (!apiKey) throw new ConfigError('--llm-key-env', `environment variable ${flags.llmKeyEnv} is not set or empty`);
  }
  const configured = (config.plugins[PLUGIN] ?? {}) as Record<string, unknown>;
  const options: Record<string, unknown> = { ...configured, url: flags.llmUrl };
  if (flags.llmModel !== undefined) options.model = flags.llmModel;
  if (apiKey !== undefined) options.apiKey = apiKey;
  if (flags.llmPreludeModel !== undefined) options.prelude = { ...((configured.prelude as Record<string, unknown>) ?? {}), model: flags.llmPreludeModel };

  const descriptor = await loadPluginDescriptor(PLUGIN, config);
  // The model may still be unknown here: a name that passes stands in until the server lists one.
  const parsed = descriptor.optionsSchema.safeParse({ ...options, model: flags.llmModel ?? 'listed-by-server' });
  if (!parsed.success) throw configErrorFromZod(parsed.error, `plugins.${PLUGIN}`, (key) => FLAG_OF[key]);
  if (flags.llmModel === undefined) options.model = await firstListedModel((parsed.data as { url: string }).url, apiKey);
  return options;
}

/**
 * The first model id of `GET {url}/models` (`{data: [{id}, …]}`).
 * @param url base URL without trailing slash
 * @throws ConfigError (`--llm-url`) naming `{url}/models` when the server cannot be reached, answers an
 *   error status or no JSON within {@link MODELS_TIMEOUT_MS}, or lists no model
 */
async function firstListedModel(url: string, apiKey: string | undefined): Promise<string> {
  const listUrl = `${url}/models`;
  const hideKey = keyRedactor(apiKey);
  let body: unknown;
  try {
    body = await fetchJson(
      { method: 'GET', url: listUrl, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} },
      { signal: new AbortController().signal, timeoutMs: MODELS_TIMEOUT_MS },
    );
  } catch (err) {
    throw new ConfigError('--llm-url', `cannot list the models at ${listUrl} (${hideKey(describe(err))}); is the server running? Or name one with --llm-model`, { cause: err });
  }
  const data = (body as { data?: unknown } | null)?.data;
  const id = Array.isArray(data) ? (data[0] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof id !== 'string' || id === '') {
    throw new ConfigError('--llm-url', `${listUrl} lists no model (expected {"data": [{"id": …}]}); name one with --llm-model`);
  }
  return id;
}
