import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import { GpuTierService } from './gpu-tier-service.ts';
import { gpuTierOptionsSchema, type GpuTierOptions } from './options.ts';

export { GpuTierService, PROVISIONAL_POLICY, type GpuTierState, type GpuTierDeps } from './gpu-tier-service.ts';
export { gpuTierOptionsSchema, type GpuTierOptions, PERFORMANCE_PROFILES, type PerformanceProfile } from './options.ts';
export { runGpuCommand, gpuReport, explainGpuState, type GpuReport } from './gpu-command.ts';
export { checkCudaProvider, identityModel, type CudaProviderStatus, type CudaProviderProbe } from './cuda-provider.ts';
export { GpuTierConfigError, readEnvOverrides, type EnvOverrides } from './env-overrides.ts';
export type { GpuConfig } from './gpu-config.ts';
export type { GpuTier } from './tiers.ts';
export type { OrtExecutionProvider, CudaEpOption, CpuEpOption, SessionThreads } from './execution-providers.ts';
export type { ReleaseIdleRequest } from './vram-monitor.ts';

/** Plugin folder name. */
export const GPU_TIER_PLUGIN = 'gpu-tier';

/**
 * Identifier of the {@link GpuTierService} itself, for plugins that need more than the policy
 * (the XTTS plugin: `config.executionProviders`, `calibrate(rtf)`, `onReleaseIdleSessions`).
 */
export const GPU_TIER_SERVICE = Symbol.for('vrpg/plugin/gpu-tier/GpuTierService');

/**
 * The `gpu-tier` plugin: detects NVIDIA GPUs with nvidia-smi, classifies the tier, and binds a
 * {@link GpuTierService} (singleton) as `TOKENS.SynthesisPolicy`, `TOKENS.SessionOptionsSource` (onnxruntime execution providers and threads) and {@link GPU_TIER_SERVICE}.
 * Options: see {@link gpuTierOptionsSchema}. App startup should `await service.init()`.
 */
export const plugin: PluginDescriptor<GpuTierOptions> = {
  name: GPU_TIER_PLUGIN,
  description: 'GPU tier detection (nvidia-smi), adaptive synthesis streams / pre-buffer / VRAM limit, VRAM pressure monitor',
  optionsSchema: gpuTierOptionsSchema,
  provides: {},
  module: new ContainerModule(({ bind }) => {
    bind(GPU_TIER_SERVICE)
      .toDynamicValue((ctx) => {
        const log = ctx.get<Logger>(TOKENS.Logger, { optional: true });
        return new GpuTierService(ctx.get<GpuTierOptions>(pluginOptionsToken(GPU_TIER_PLUGIN)), log ? { log: log.child({ plugin: GPU_TIER_PLUGIN }) } : {});
      })
      .inSingletonScope();
    bind(TOKENS.SynthesisPolicy).toService(GPU_TIER_SERVICE);
    bind(TOKENS.SessionOptionsSource).toService(GPU_TIER_SERVICE);
  }),
  commands: {
    gpu: {
      description: 'show the detected GPU(s), the tier, every config value and where it came from',
      run: async (flags, pluginOptions) => (await import('./gpu-command.ts')).runGpuCommand({ json: flags.json === true, options: pluginOptions ?? {} }),
    },
  },
};

export default plugin;
