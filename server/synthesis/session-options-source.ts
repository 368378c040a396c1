/**
 * Where in-process inference engines get their onnxruntime execution providers and thread counts:
 * bound under `TOKENS.SessionOptionsSource` by plugins/gpu-tier (CUDA then CPU from the detected tier,
 * `VRPG_XTTS_*` overrides applied). Absent = the engine uses onnxruntime's CPU defaults.
 */
export interface SessionOptionsSource {
  /** Detects the hardware once; later calls return the same promise. */
  init(): Promise<unknown>;
  /** After `init()`: onnxruntime-node `SessionOptions` fields (plugins/gpu-tier/execution-providers.ts). */
  readonly config: {
    readonly executionProviders: readonly unknown[];
    readonly sessionThreads: { readonly intraOpNumThreads: number; readonly interOpNumThreads: number };
  };
  /**
   * The engine could not create a session with the GPU execution provider it was given and runs on the
   * CPU provider instead (it has logged why, once): the source re-derives its policy for the CPU, so the
   * scheduler stops planning GPU-sized parallelism. Optional; idempotent.
   * @param reason one line, e.g. onnxruntime's "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library"
   */
  cpuFallback?(reason: string): void;
}
