import { z } from 'zod';

/** Performance profiles of the seed spec (shared/seeds 002, "Perfis de Performance"); `auto` = the detected tier. */
export const PERFORMANCE_PROFILES = ['auto', 'high_performance', 'balanced', 'modest'] as const;

/** One of {@link PERFORMANCE_PROFILES}. */
export type PerformanceProfile = (typeof PERFORMANCE_PROFILES)[number];

/**
 * VRAM monitor options.
 * - `enabled`: poll at all (false = the policy only changes on calibration).
 * - `intervalMs`: poll period, ms, 250..60 000 (default 2000: one nvidia-smi run costs ~20–50 ms of CPU).
 * - `pressureThreshold`: fraction of the memory budget (VRAM limit, or the card's total when unlimited)
 *   above which memory counts as pressure, 0.5..0.99 (default 0.9).
 * - `recoverThreshold`: fraction below which pressure has ended, 0.3..0.95, and below `pressureThreshold`
 *   (default 0.75): the gap is the hysteresis that keeps streams from flapping.
 */
export const monitorOptionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    intervalMs: z.number().int().min(250).max(60_000).default(2000),
    pressureThreshold: z.number().min(0.5).max(0.99).default(0.9),
    recoverThreshold: z.number().min(0.3).max(0.95).default(0.75),
  })
  .strict()
  .refine((m) => m.recoverThreshold < m.pressureThreshold, {
    message: 'monitor.recoverThreshold must be below monitor.pressureThreshold (hysteresis)',
    path: ['recoverThreshold'],
  });

/** Validated {@link monitorOptionsSchema}. */
export type MonitorOptions = z.output<typeof monitorOptionsSchema>;

/**
 * Options of the `gpu-tier` plugin (config `plugins.gpu-tier`). Unknown keys are rejected.
 * - `deviceIndex`: nvidia-smi index of the GPU to use (as `vrpg-narrator gpu` prints it); default = the
 *   visible GPU with the most free VRAM.
 * - `nvidiaSmiPath`: the executable to run; default `nvidia-smi` found on PATH.
 * - `timeoutMs`: bound on one nvidia-smi run, ms, 100..60 000 (default 3000); past it → CPU fallback.
 * - `profile`: {@link PerformanceProfile}; `VRPG_XTTS_PERFORMANCE_PROFILE` overrides it.
 * - `monitor`: see {@link monitorOptionsSchema}.
 */
export const gpuTierOptionsSchema = z
  .object({
    deviceIndex: z.number().int().min(0).optional(),
    nvidiaSmiPath: z.string().trim().min(1).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    profile: z.enum(PERFORMANCE_PROFILES).default('auto'),
    monitor: monitorOptionsSchema.prefault({}),
  })
  .strict();

/** Validated options of the `gpu-tier` plugin, defaults applied. */
export type GpuTierOptions = z.output<typeof gpuTierOptionsSchema>;
