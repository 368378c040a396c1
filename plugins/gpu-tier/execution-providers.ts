import { availableParallelism } from 'node:os';

/**
 * CUDA execution provider options in onnxruntime-node's shape
 * (onnxruntime-common `InferenceSession.CudaExecutionProviderOption`).
 */
export interface CudaEpOption {
  readonly name: 'cuda';
  /** CUDA device ordinal as the process sees it (after CUDA_VISIBLE_DEVICES). */
  readonly deviceId: number;
  /** Cap of the EP's BFC arena, bytes; absent = unlimited. Only the arena: total usage may be somewhat higher. */
  readonly gpuMemLimit?: number;
  /** `kSameAsRequested` under a VRAM limit (no power-of-two overshoot), `kNextPowerOfTwo` (ORT's default) otherwise. */
  readonly arenaExtendStrategy: 'kSameAsRequested' | 'kNextPowerOfTwo';
}

/** CPU execution provider (onnxruntime-common `CpuExecutionProviderOption`). */
export interface CpuEpOption {
  readonly name: 'cpu';
}

/** One entry of onnxruntime-node's `SessionOptions.executionProviders`. */
export type OrtExecutionProvider = CudaEpOption | CpuEpOption;

/** onnxruntime-node `SessionOptions` thread counts. */
export interface SessionThreads {
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
}

/**
 * Execution providers for a config: CUDA on `deviceId` then CPU (ORT places ops CUDA lacks on the CPU EP)
 * when `streams > 0` and a GPU exists; CPU alone otherwise.
 * @param vramLimitMb MiB, 0 = unlimited → `gpuMemLimit` in bytes
 */
export function executionProvidersFor(opts: { streams: number; cudaDeviceId: number | null; vramLimitMb: number }): OrtExecutionProvider[] {
  if (opts.streams === 0 || opts.cudaDeviceId === null) return [{ name: 'cpu' }];
  const cuda: CudaEpOption =
    opts.vramLimitMb > 0
      ? { name: 'cuda', deviceId: opts.cudaDeviceId, gpuMemLimit: opts.vramLimitMb * 1024 * 1024, arenaExtendStrategy: 'kSameAsRequested' }
      : { name: 'cuda', deviceId: opts.cudaDeviceId, arenaExtendStrategy: 'kNextPowerOfTwo' };
  return [cuda, { name: 'cpu' }];
}

/**
 * Thread counts: on CPU inference all cores but one (the frame clock and the game keep one); with CUDA the CPU
 * only runs leftover ops, so at most 4 and half the cores. One inter-op thread: XTTS's graph is a sequential chain.
 * @param cores logical cores, default `os.availableParallelism()`
 */
export function sessionThreadsFor(onGpu: boolean, cores: number = availableParallelism()): SessionThreads {
  const intra = onGpu ? Math.min(4, Math.max(1, Math.floor(cores / 2))) : Math.max(1, cores - 1);
  return { intraOpNumThreads: intra, interOpNumThreads: 1 };
}
