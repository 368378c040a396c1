import { checkCudaProvider, type CudaProviderProbe, type CudaProviderStatus } from './cuda-provider.ts';
import { ENV_VARIABLE_NAMES, readEnvOverrides } from './env-overrides.ts';
import type { GpuConfig } from './gpu-config.ts';
import { GpuTierService, type GpuTierState } from './gpu-tier-service.ts';
import { gpuTierOptionsSchema } from './options.ts';

/** The `vrpg-narrator gpu --json` document (field names fixed by issue 3). */
export interface GpuReport {
  readonly gpus: readonly { index: number; name: string; vramMb: number; computeCapability: string | null }[];
  /** nvidia-smi index of the GPU in use; null = CPU. */
  readonly selected: number | null;
  readonly tier: string;
  readonly profile: string;
  readonly config: Pick<GpuConfig, 'streams' | 'vramLimitMb' | 'utilizationTarget' | 'prebufferSeconds' | 'yieldMs' | 'executionProviders'>;
  /** Origin of each value: `tier`, `profile`, `option`, `env`, `derived`, `default`, `detected`; `tier` holds the classification rule. */
  readonly sources: Readonly<Record<string, string>>;
  readonly fallbackReason: string | null;
  /** Whether onnxruntime's CUDA provider really loads here (issue 11); null when not checked. */
  readonly cudaProvider: CudaProviderStatus | null;
}

/**
 * Projects detection state onto {@link GpuReport}.
 * @param cudaProvider the result of {@link checkCudaProvider}; null = not checked
 */
export function gpuReport(s: GpuTierState, cudaProvider: CudaProviderStatus | null = null): GpuReport {
  const c = s.built.config;
  return {
    gpus: s.detection.gpus.map((g) => ({ index: g.index, name: g.name, vramMb: g.vramMb, computeCapability: g.computeCapability })),
    selected: s.detection.selected?.index ?? null,
    tier: s.classification.tier,
    profile: s.built.profile,
    config: {
      streams: c.streams,
      vramLimitMb: c.vramLimitMb,
      utilizationTarget: c.utilizationTarget,
      prebufferSeconds: c.prebufferSeconds,
      yieldMs: c.yieldMs,
      executionProviders: c.executionProviders,
    },
    sources: { tier: s.classification.rule, ...s.built.sources },
    fallbackReason: s.detection.fallbackReason,
    cudaProvider,
  };
}

function origin(key: string, source: string): string {
  if (source === 'env') return `env ${ENV_VARIABLE_NAMES[key as keyof typeof ENV_VARIABLE_NAMES] ?? ''}`.trim();
  return source;
}

/**
 * Human explanation of a state: what was found, which rule classified it, where each value came from, and
 * whether the CUDA provider loads (when `cudaProvider` is given).
 */
export function explainGpuState(s: GpuTierState, cudaProvider: CudaProviderStatus | null = null): string {
  const r = gpuReport(s, cudaProvider);
  const c = s.built.config;
  const lines: string[] = [];
  lines.push(s.detection.gpus.length > 0 ? 'GPUs visible to this process (nvidia-smi):' : 'GPUs: none');
  for (const g of s.detection.gpus) {
    const mark = g.index === r.selected ? `  <- selected (${s.detection.choice === 'option' ? 'deviceIndex option' : 'most free VRAM'})` : '';
    lines.push(`  [${g.index}] ${g.name}: ${g.vramMb} MiB (${g.usedMb ?? '?'} used), compute ${g.computeCapability ?? 'unknown'}, CUDA device ${g.cudaDeviceId}${mark}`);
  }
  for (const sk of s.detection.skipped) lines.push(`  skipped: ${sk.reason}`);
  if (r.fallbackReason) lines.push(`CPU fallback: ${r.fallbackReason}`);
  lines.push(`Tier: ${r.tier} (rule ${s.classification.rule}): ${s.classification.reason}`);
  lines.push(`Profile: ${r.profile} (from ${origin('profile', r.sources.profile!)})`);
  const row = (key: keyof typeof r.config & string, shown: string) => lines.push(`  ${key.padEnd(18)} ${shown.padEnd(22)} from ${origin(key, r.sources[key]!)}`);
  lines.push('Config:');
  row('streams', c.streams === 0 ? '0 (CPU)' : String(c.streams));
  row('vramLimitMb', c.vramLimitMb === 0 ? '0 (unlimited)' : `${c.vramLimitMb} MiB`);
  row('utilizationTarget', c.utilizationTarget === 0 ? '0 (n/a on CPU)' : `${c.utilizationTarget} (${Math.round(c.utilizationTarget * 100)} %)`);
  row('prebufferSeconds', `${c.prebufferSeconds} s`);
  row('yieldMs', `${c.yieldMs} ms`);
  const eps = c.executionProviders
    .map((e) => (e.name === 'cuda' ? `cuda(device ${e.deviceId}${e.gpuMemLimit ? `, gpuMemLimit ${e.gpuMemLimit} B` : ''}, ${e.arenaExtendStrategy})` : 'cpu'))
    .join(', ');
  row('executionProviders', eps);
  lines.push(`  threads            intraOp ${c.sessionThreads.intraOpNumThreads}, interOp ${c.sessionThreads.interOpNumThreads}`);
  if (cudaProvider) {
    const onCuda = c.executionProviders.some((e) => e.name === 'cuda');
    if (cudaProvider.available) lines.push(`CUDA execution provider: loads (a session opened on the device; libraries in ${cudaProvider.libraryDir})`);
    else lines.push(`CUDA execution provider: not available: ${cudaProvider.reason}${onCuda ? '\n  → onnx sessions will fall back to the CPU provider (one warning at load)' : ''}`);
  }
  for (const n of [...s.detection.notes, ...s.built.notes]) lines.push(`Note: ${n}`);
  return lines.join('\n');
}

/**
 * `vrpg-narrator gpu [--json]`: detects (monitor off), checks that the CUDA provider really loads on the
 * selected GPU (CUDA device 0 when none is), and returns the text to print.
 * @param opts.options the `plugins.gpu-tier` config object (validated here; defaults when absent)
 * @param opts.env environment to read (default `process.env`)
 * @param opts.cudaProvider the provider check (default {@link checkCudaProvider}; tests pass a stand-in)
 * @throws ZodError for invalid options; GpuTierConfigError for invalid VRPG_XTTS_* values
 */
export async function runGpuCommand(opts: { json?: boolean; options?: unknown; env?: NodeJS.ProcessEnv; cudaProvider?: CudaProviderProbe }): Promise<string> {
  const parsed = gpuTierOptionsSchema.parse(opts.options ?? {});
  const env = opts.env ?? process.env;
  readEnvOverrides(env);
  const service = new GpuTierService({ ...parsed, monitor: { ...parsed.monitor, enabled: false } }, { env });
  const state = await service.init();
  const cuda = await (opts.cudaProvider ?? checkCudaProvider)(state.detection.selected?.cudaDeviceId ?? 0);
  return opts.json ? JSON.stringify(gpuReport(state, cuda), null, 2) : explainGpuState(state, cuda);
}
