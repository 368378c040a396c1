import { z } from 'zod';
import { PERFORMANCE_PROFILES, type PerformanceProfile } from './options.ts';

/** A bad VRPG_XTTS_* value; `variables` names every offending variable. Thrown at startup, never mid-session. */
export class GpuTierConfigError extends Error {
  override readonly name = 'GpuTierConfigError';
  constructor(readonly variables: readonly string[], message: string) {
    super(message);
  }
}

/** The seed's environment overrides (shared/seeds 002, "Environment Variables"), parsed; absent = not set. */
export interface EnvOverrides {
  /** VRPG_XTTS_GPU_STREAMS: 0 = CPU, 1 = sequential, 2–3 = parallel. */
  readonly streams?: number;
  /** VRPG_XTTS_GPU_VRAM_LIMIT_MB: MiB, 0 = unlimited. */
  readonly vramLimitMb?: number;
  /** VRPG_XTTS_GPU_UTILIZATION_TARGET: fraction 0.3–0.95. */
  readonly utilizationTarget?: number;
  /** VRPG_XTTS_PREBUFFER_SECONDS: seconds 0.5–3.0. */
  readonly prebufferSeconds?: number;
  /** VRPG_XTTS_PERFORMANCE_PROFILE. */
  readonly profile?: PerformanceProfile;
}

const number = z.string().trim().regex(/^[+-]?(\d+(\.\d*)?|\.\d+)$/).transform(Number);
const integer = z.string().trim().regex(/^[+-]?\d+$/).transform(Number);

/**
 * Each variable, its schema and the allowed range as the error states it. Ranges from the seed
 * (streams 0–3, utilization 0.3–0.95, pre-buffer 0.5–3.0 s per shared/seeds 002/003); the VRAM cap of
 * 1 TiB only rejects typos.
 */
const VARIABLES = {
  streams: { name: 'VRPG_XTTS_GPU_STREAMS', schema: integer.pipe(z.number().min(0).max(3)), allowed: 'an integer 0–3 (0 = CPU, 1 = sequential, 2–3 = parallel)' },
  vramLimitMb: { name: 'VRPG_XTTS_GPU_VRAM_LIMIT_MB', schema: integer.pipe(z.number().min(0).max(1_048_576)), allowed: 'an integer number of MiB 0–1048576 (0 = unlimited)' },
  utilizationTarget: { name: 'VRPG_XTTS_GPU_UTILIZATION_TARGET', schema: number.pipe(z.number().min(0.3).max(0.95)), allowed: 'a fraction 0.3–0.95 (e.g. 0.6 for 60 %)' },
  prebufferSeconds: { name: 'VRPG_XTTS_PREBUFFER_SECONDS', schema: number.pipe(z.number().min(0.5).max(3.0)), allowed: 'seconds 0.5–3.0' },
  profile: { name: 'VRPG_XTTS_PERFORMANCE_PROFILE', schema: z.string().trim().pipe(z.enum(PERFORMANCE_PROFILES)), allowed: `one of ${PERFORMANCE_PROFILES.join('|')}` },
} as const;

/** Environment variable name of each override, for reports. */
export const ENV_VARIABLE_NAMES: Readonly<Record<keyof EnvOverrides, string>> = Object.fromEntries(
  Object.entries(VARIABLES).map(([k, v]) => [k, v.name]),
) as Record<keyof EnvOverrides, string>;

/**
 * Reads and validates the VRPG_XTTS_* overrides from `env`. Unset or empty variables are absent.
 * @throws GpuTierConfigError naming every invalid variable, its value and the allowed range
 */
export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  const out: Record<string, unknown> = {};
  const bad: string[] = [];
  const messages: string[] = [];
  for (const [key, spec] of Object.entries(VARIABLES)) {
    const raw = env[spec.name];
    if (raw === undefined || raw.trim() === '') continue;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) out[key] = parsed.data;
    else {
      bad.push(spec.name);
      messages.push(`${spec.name}="${raw}" is invalid: expected ${spec.allowed}`);
    }
  }
  if (bad.length > 0) throw new GpuTierConfigError(bad, messages.join('; '));
  return out as EnvOverrides;
}
