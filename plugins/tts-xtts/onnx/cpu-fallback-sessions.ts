import { basename } from 'node:path';
import { cudaProviderLibraries, type CudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';
import { ort, type InferenceSession } from '../../../server/models/ort.ts';

/**
 * Creates one onnxruntime session from a model file: onnxruntime-node's `InferenceSession.create`,
 * or a stand-in in tests.
 * @throws whatever onnxruntime throws (a missing provider library, a malformed model, …)
 */
export type OrtSessionFactory = (path: string, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

/** onnxruntime-node's own factory. */
export const createOrtSession: OrtSessionFactory = (path, options) => ort.InferenceSession.create(path, options);

/** Collaborators of {@link CpuFallbackSessions}; all optional. */
export interface CpuFallbackSessionsDeps {
  /** Default {@link createOrtSession}. */
  readonly create?: OrtSessionFactory;
  /** Where the one warning goes (a pino logger, or the onnx worker's forwarder to the main thread's). */
  readonly log?: WarnLog;
  /** Told once, with the reason, when sessions move to the CPU (the GPU tier re-derives its policy). */
  readonly onFallback?: (reason: string) => void;
  /** The CUDA provider's library check (default: onnxruntime-node's native folder; tests pass a fixed answer). */
  readonly cudaLibraries?: () => CudaProviderLibraries;
}

/** The part of a pino logger this class uses. */
export interface WarnLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

type ExecutionProvider = NonNullable<InferenceSession.SessionOptions['executionProviders']>[number];

function providerName(ep: ExecutionProvider): string {
  return typeof ep === 'string' ? ep : ep.name;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n', 1)[0]!.trim();
}

/**
 * Graceful degradation "GPU unavailable → CPU" (the seed) for onnxruntime sessions: opens each session
 * with the execution providers it is given and, when one of them is a GPU provider (CUDA, …) and the
 * session cannot be created with it, opens it with the CPU provider alone. The first fallback logs one
 * warning with the reason (the original error's first line, or the missing library) and calls
 * `onFallback`; every later session of this instance goes straight to the CPU, so a model of four
 * files (or a reload after eviction) warns once and never retries CUDA.
 *
 * When the providers include CUDA and its library files are missing ({@link cudaProviderLibraries}), the
 * CUDA attempt is skipped: onnxruntime would only fail with "Failed to load shared library" after
 * printing a native error line to stderr.
 *
 * If the CPU session fails too, the model is at fault, not the provider: that error is thrown, and no
 * warning is logged.
 */
export class CpuFallbackSessions {
  private cpuReason: string | null = null;
  private readonly create: OrtSessionFactory;

  constructor(private readonly deps: CpuFallbackSessionsDeps = {}) {
    this.create = deps.create ?? createOrtSession;
  }

  /** Why sessions run on the CPU provider; null while no fallback happened. */
  get fallbackReason(): string | null {
    return this.cpuReason;
  }

  /**
   * Opens a session (see the class doc); bound, so it can be passed as an {@link OrtSessionFactory}.
   * @param path model file
   * @param options onnxruntime-node session options; `executionProviders` absent or CPU-only = no fallback logic
   * @throws the CPU session's error when the model cannot load at all; the original error when there is no GPU provider to drop
   */
  readonly open: OrtSessionFactory = async (path, options) => {
    const providers = options.executionProviders ?? [];
    const offCpu = providers.filter((ep) => providerName(ep) !== 'cpu');
    if (offCpu.length === 0) return this.create(path, options);
    const onCpu = providers.filter((ep) => providerName(ep) === 'cpu');
    const cpuOptions: InferenceSession.SessionOptions = { ...options, executionProviders: onCpu.length > 0 ? onCpu : ['cpu'] };
    if (this.cpuReason !== null) return this.create(path, cpuOptions);
    if (offCpu.some((ep) => providerName(ep) === 'cuda')) {
      const libraries = (this.deps.cudaLibraries ?? (() => cudaProviderLibraries()))();
      if (libraries.reason !== null) return this.fallBack(path, cpuOptions, offCpu, libraries.reason);
    }
    try {
      return await this.create(path, options);
    } catch (err) {
      return this.fallBack(path, cpuOptions, offCpu, firstLine(err));
    }
  };

  private async fallBack(path: string, cpuOptions: InferenceSession.SessionOptions, dropped: readonly ExecutionProvider[], reason: string): Promise<InferenceSession> {
    const session = await this.create(path, cpuOptions);
    if (this.cpuReason === null) {
      this.cpuReason = reason;
      this.deps.log?.warn(
        { providers: dropped.map(providerName), reason, file: basename(path) },
        'GPU execution provider unavailable; onnx sessions run on the CPU provider',
      );
      this.deps.onFallback?.(reason);
    }
    return session;
  }
}
