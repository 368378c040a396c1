import type { z } from 'zod';

/**
 * A configuration problem the process refuses to start with.
 * `key` is the dotted config path at fault (`plugins.audio-native.device`),
 * `message` says what is wrong and what is allowed.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly key: string, message: string, options?: { cause?: unknown }) {
    super(`${key}: ${message}`, options);
  }
}

/**
 * Turns a zod error into one ConfigError listing every issue by key.
 * @param prefix dotted path prepended to each issue's path (e.g. `plugins.tts-espeak`)
 * @param sourceOf names where a key's value came from (an env variable), if not the file
 */
export function configErrorFromZod(
  error: z.ZodError,
  prefix: string,
  sourceOf: (key: string) => string | undefined = () => undefined,
): ConfigError {
  const lines = error.issues.map((issue) => {
    const key = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const source = sourceOf(key);
    return `${key}${source ? ` (from ${source})` : ''}: ${message}`;
  });
  const first = error.issues[0];
  const key = [prefix, ...(first?.path ?? []).map(String)].filter(Boolean).join('.') || '(root)';
  // One issue: "<key>: (from <source>) <message>" — the line less its "<key>: " head, whatever the source.
  const single = () => lines[0]!.slice(key.length).replace(/^ \((from [^)]*)\): /, ' ($1) ').replace(/^: /, '').trimStart();
  const err = new ConfigError(key, lines.length === 1 ? single() : `\n  ${lines.join('\n  ')}`, { cause: error });
  return err;
}
