import { closest, distance } from 'fastest-levenshtein';
import { readFileSync } from 'node:fs';
import { AppConfigSchema, type AppConfig } from './schema.ts';
import { ConfigError, configErrorFromZod } from './config-error.ts';

/** Environment variables this loader reads: `VRPG_` + the key path in SCREAMING_SNAKE, `__` between levels. */
export const ENV_PREFIX = 'VRPG_';

/**
 * `VRPG_` variables that other readers own, so the loader leaves them alone: the seed spec's
 * `VRPG_XTTS_*` (plugins/gpu-tier/env-overrides.ts validates them), the bench's `VRPG_BENCH_*`,
 * the ALSA test fixture's `VRPG_ALSA_*`, the browser tests' `VRPG_CHROMIUM`. Any other `VRPG_` name that maps to no config key is an error.
 */
const FOREIGN_ENV_PREFIXES = ['VRPG_XTTS_', 'VRPG_BENCH_', 'VRPG_ALSA_', 'VRPG_CHROMIUM'];

/**
 * Env variable name of a config key path: `playout.prebufferMs` → `VRPG_PLAYOUT__PREBUFFER_MS`,
 * `plugins.audio-native.device` → `VRPG_PLUGINS__AUDIO_NATIVE__DEVICE`.
 */
export function envNameOf(path: readonly string[]): string {
  return ENV_PREFIX + path.map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]/g, '_').toUpperCase()).join('__');
}

function snakeToCamel(seg: string): string {
  return seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every key path of a plain-object tree, leaves and inner nodes alike. */
function keyPaths(obj: Record<string, unknown>, base: string[] = [], out: string[][] = []): string[][] {
  for (const [k, v] of Object.entries(obj)) {
    const path = [...base, k];
    out.push(path);
    if (isPlainObject(v) && !(base.length === 0 && k === 'rules')) keyPaths(v, path, out);
  }
  return out;
}

function parseEnvValue(raw: string, current: unknown): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // Not JSON: a bare string, or a comma list where the key holds a list.
    if (Array.isArray(current)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
    return raw;
  }
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = obj;
  for (const seg of path.slice(0, -1)) {
    if (!isPlainObject(node[seg])) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Result of {@link loadConfig}: the config and, per overridden key, the env variable that set it. */
export interface LoadedConfig {
  readonly config: AppConfig;
  readonly sources: Readonly<Record<string, string>>;
}

/**
 * Loads the config: the JSON file (optional), then `VRPG_*` environment overrides, then
 * explicit overrides (CLI flags), validated once with zod.
 * Env values are JSON when they parse as JSON (`8080`, `true`, `["wav"]`), else strings,
 * or comma lists for list keys (`VRPG_SINKS=wav,native`). Keys of a mounted plugin's
 * options that the file does not set are reached as `VRPG_PLUGINS__<PLUGIN>__<KEY>`.
 * @throws ConfigError naming the key (and env variable) at fault and what is allowed
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError('--config', `cannot read ${opts.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError('--config', `${opts.file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!isPlainObject(raw)) throw new ConfigError('--config', `${opts.file} must hold a JSON object`);
  }
  const fromFile = AppConfigSchema.safeParse(raw);
  if (!fromFile.success) throw configErrorFromZod(fromFile.error, '', () => opts.file);

  // Candidate keys: everything the file + defaults define, plus optional top-level keys.
  const merged = structuredClone(fromFile.data) as unknown as Record<string, unknown>;
  const candidates = new Map<string, string[]>();
  for (const path of keyPaths(merged)) candidates.set(envNameOf(path), path);
  for (const key of Object.keys(AppConfigSchema.shape)) candidates.set(envNameOf([key]), [key]);

  const sources: Record<string, string> = {};
  const pluginNames = Object.keys(fromFile.data.plugins);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    let path = candidates.get(name);
    if (!path) {
      // A plugin option the file leaves at its default.
      const plugin = pluginNames.find((p) => name.startsWith(envNameOf(['plugins', p]) + '__'));
      if (!plugin) {
        // Another reader's variable, or an option of a plugin this config does not mount (a shared environment).
        if (FOREIGN_ENV_PREFIXES.some((p) => name.startsWith(p)) || name.startsWith(envNameOf(['plugins']) + '__')) continue;
        // A typo (`VRPG_PROT=3000`) must not be ignored in silence while the same typo in a file is an error.
        const guess = closest(name, [...candidates.keys()]);
        const hint = distance(name, guess) <= Math.max(2, Math.floor(name.length / 4)) ? `; did you mean ${guess}?` : '';
        throw new ConfigError(name, `sets no config key (VRPG_ + the key in SCREAMING_SNAKE, __ between levels, e.g. VRPG_PLAYOUT__PREBUFFER_MS)${hint}`);
      }
      const rest = name.slice(envNameOf(['plugins', plugin]).length + 2).split('__').map(snakeToCamel);
      path = ['plugins', plugin, ...rest];
    }
    const current = path.reduce<unknown>((n, seg) => (isPlainObject(n) ? n[seg] : undefined), merged);
    setPath(merged, path, parseEnvValue(value, current));
    sources[path.join('.')] = name;
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(merged, key.split('.'), value);
    sources[key] = 'command line';
  }
  const parsed = AppConfigSchema.safeParse(merged);
  if (!parsed.success) throw configErrorFromZod(parsed.error, '', (key) => sources[key]);
  return { config: parsed.data, sources };
}
