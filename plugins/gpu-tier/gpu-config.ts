import type { GpuInfo } from './detect.ts';
import type { EnvOverrides } from './env-overrides.ts';
import { executionProvidersFor, sessionThreadsFor, type OrtExecutionProvider, type SessionThreads } from './execution-providers.ts';
import type { PerformanceProfile } from './options.ts';
import type { GpuTier } from './tiers.ts';

/** What the XTTS engine and the scheduler run with. */
export interface GpuConfig {
  /** Parallel synthesis streams 0–3; 0 = CPU inference. */
  readonly streams: number;
  /** VRAM cap for our sessions, MiB; 0 = unlimited. */
  readonly vramLimitMb: number;
  /** GPU utilization target as a FRACTION 0.3–0.95 (the seed's env form, e.g. 0.6); 0 on CPU (not applicable). */
  readonly utilizationTarget: number;
  /** Pre-buffer before playback, seconds 0.5–3.0. */
  readonly prebufferSeconds: number;
  /** Pause between chunk jobs, ms (gives the GPU back to the game). */
  readonly yieldMs: number;
  /** onnxruntime-node `SessionOptions.executionProviders`. */
  readonly executionProviders: readonly OrtExecutionProvider[];
  /** onnxruntime-node `intraOpNumThreads` / `interOpNumThreads`. */
  readonly sessionThreads: SessionThreads;
}

/** Where a config value came from (later in this list wins). */
export type ConfigSource = 'tier' | 'profile' | 'option' | 'env' | 'derived' | 'default' | 'detected';

/** Keys of {@link GpuConfig} whose origin is tracked, plus the profile and the device choice. */
export type SourcedKey = 'streams' | 'vramLimitMb' | 'utilizationTarget' | 'prebufferSeconds' | 'yieldMs' | 'executionProviders' | 'profile' | 'device';

type TierValues = Pick<GpuConfig, 'streams' | 'vramLimitMb' | 'utilizationTarget' | 'prebufferSeconds' | 'yieldMs'>;

/**
 * Per-tier defaults from the seed table (shared/seeds 002 "Detecção Automática"/"Configuração Adaptativa",
 * 003 §1.2). Where the seed gives a range, the pick is:
 * - streams: the top of the range when VRAM allows it (high-end 3 at ≥ 32 GB else 2; mid-range 2 at ≥ 12 GB
 *   else 1; low-end 1 at ≥ 2 GB else 0): each parallel XTTS session holds its own activations.
 * - utilization target: the middle of the seed range (80–95 → 0.9, 60–80 → 0.7, 40–60 → 0.5, 30–50 → 0.4).
 * - VRAM limit: modest 3 GB (the seed's number); low-end 75 % of the card; others unlimited ("sem limite").
 * - yield: the seed asks for one on modest cards without a number: 50 ms (three 60 fps game frames);
 *   low-end 100 ms. Own choice.
 * - cpu: the seed has no row; pre-buffer 3.0 s (the allowed maximum), since CPU RTF is near 1.
 */
export function tierDefaults(tier: GpuTier, gpu: GpuInfo | null): TierValues {
  const gb = gpu ? Math.round(gpu.vramMb / 1024) : 0;
  switch (tier) {
    case 'high-end':
      return { streams: gb >= 32 ? 3 : 2, vramLimitMb: 0, utilizationTarget: 0.9, prebufferSeconds: 2.5, yieldMs: 0 };
    case 'mid-range':
      return { streams: gb >= 12 ? 2 : 1, vramLimitMb: 0, utilizationTarget: 0.7, prebufferSeconds: 1.75, yieldMs: 0 };
    case 'modest':
      return { streams: 1, vramLimitMb: 3072, utilizationTarget: 0.5, prebufferSeconds: 1.25, yieldMs: 50 };
    case 'low-end':
      return {
        streams: gb >= 2 ? 1 : 0,
        vramLimitMb: gpu ? Math.floor(gpu.vramMb * 0.75) : 0,
        utilizationTarget: 0.4,
        prebufferSeconds: 0.75,
        yieldMs: 100,
      };
    case 'cpu':
      return { streams: 0, vramLimitMb: 0, utilizationTarget: 0, prebufferSeconds: 3.0, yieldMs: 0 };
  }
}

/** The tier whose defaults a named profile applies (seed 002 "Perfis de Performance"). */
export const PROFILE_TIER: Readonly<Record<Exclude<PerformanceProfile, 'auto'>, GpuTier>> = {
  high_performance: 'high-end',
  balanced: 'mid-range',
  modest: 'modest',
};

/** Inputs of {@link buildGpuConfig}. */
export interface BuildConfigInput {
  readonly tier: GpuTier;
  readonly gpu: GpuInfo | null;
  /** Already validated (see readEnvOverrides). */
  readonly env: EnvOverrides;
  /** The plugin option `profile`. */
  readonly profileOption: PerformanceProfile;
  /** How the GPU was chosen, for `sources.device`. */
  readonly deviceSource?: ConfigSource;
  /** Logical cores for thread counts (default os.availableParallelism()). */
  readonly cores?: number;
}

/** A config, where each value came from, the effective profile and notes on overrides that were ignored. */
export interface BuiltConfig {
  readonly config: GpuConfig;
  readonly sources: Readonly<Record<SourcedKey, ConfigSource>>;
  readonly profile: PerformanceProfile;
  readonly notes: readonly string[];
}

/**
 * Builds the {@link GpuConfig}: tier defaults, then the profile (env VRPG_XTTS_PERFORMANCE_PROFILE over the
 * plugin option), then each VRPG_XTTS_* env value. Without a usable GPU (`tier === 'cpu'`) the profile and
 * GPU-only overrides are ignored (noted): they cannot make a GPU appear.
 */
export function buildGpuConfig(input: BuildConfigInput): BuiltConfig {
  const notes: string[] = [];
  const profile = input.env.profile ?? input.profileOption;
  const sources: Record<SourcedKey, ConfigSource> = {
    streams: 'tier',
    vramLimitMb: 'tier',
    utilizationTarget: 'tier',
    prebufferSeconds: 'tier',
    yieldMs: 'tier',
    executionProviders: 'derived',
    profile: input.env.profile !== undefined ? 'env' : input.profileOption !== 'auto' ? 'option' : 'default',
    device: input.deviceSource ?? (input.gpu ? 'detected' : 'default'),
  };
  const hasGpu = input.tier !== 'cpu' && input.gpu !== null;
  let values: TierValues = tierDefaults(input.tier, input.gpu);
  if (profile !== 'auto') {
    if (hasGpu) {
      values = tierDefaults(PROFILE_TIER[profile], input.gpu);
      for (const k of Object.keys(values) as (keyof TierValues)[]) sources[k] = 'profile';
    } else notes.push(`profile ${profile} ignored: no usable GPU`);
  }
  const v: { -readonly [K in keyof TierValues]: number } = { ...values };
  if (input.env.prebufferSeconds !== undefined) {
    v.prebufferSeconds = input.env.prebufferSeconds;
    sources.prebufferSeconds = 'env';
  }
  for (const key of ['streams', 'vramLimitMb', 'utilizationTarget'] as const) {
    const value = input.env[key];
    if (value === undefined) continue;
    if (!hasGpu && !(key === 'streams' && value === 0)) {
      notes.push(`${key} from env (${value}) ignored: no usable GPU`);
      continue;
    }
    v[key] = value;
    sources[key] = 'env';
  }
  if (hasGpu && input.gpu && v.vramLimitMb > input.gpu.vramMb) {
    notes.push(`vramLimitMb ${v.vramLimitMb} exceeds the card's ${input.gpu.vramMb} MiB: effectively unlimited`);
  }
  const onGpu = hasGpu && v.streams > 0;
  const config: GpuConfig = {
    ...v,
    executionProviders: executionProvidersFor({ streams: v.streams, cudaDeviceId: onGpu ? input.gpu!.cudaDeviceId : null, vramLimitMb: v.vramLimitMb }),
    sessionThreads: sessionThreadsFor(onGpu, input.cores),
  };
  return { config, sources, profile, notes };
}
