import type { MessagePort } from 'node:worker_threads';
import type { ChunkRoute } from '../../../server/playout/playout.ts';
import type { CudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';
import type { SpeakerLatents } from '../speaker-latents.ts';
import type { XttsLanguage } from '../languages.ts';
import type { GptShape } from './gpt-decoder.ts';
import type { SpeakerConditioning, XttsStage, XttsStreamSettings } from './xtts-inference.ts';
import type { XttsSessionOptions } from './xtts-onnx-model.ts';

/**
 * Messages between the main thread ({@link XttsOnnxThread}, xtts-onnx-thread.ts) and the XTTS onnx
 * worker (xtts-onnx-worker.ts), which holds the onnxruntime sessions and runs the whole inference loop
 * (issue 13: the game loop never runs a GPT step, and the audio never crosses it). Every request carries
 * an `id` (> 0, unique per thread) and gets exactly one final reply: {@link ResultMessage} or
 * {@link FailedMessage}. `cancel` names a request in flight; the worker stops it at its next step.
 */

/** `workerData` of the worker. */
export interface XttsWorkerData {
  /**
   * A fixed answer for the CUDA provider's library check (tests: a GPU box stand-in); absent = the real
   * check of onnxruntime-node's native folder (server/synthesis/cuda-provider-libraries.ts).
   */
  readonly cudaLibraries?: CudaProviderLibraries;
}

/** What the main thread learns of a loaded model (its stand-in for the model manager). */
export interface XttsModelInfo {
  /** The GPT's shape; `width` (D) is the `gpt_cond_latent` row width of this model. */
  readonly shape: GptShape;
  /** Bytes of the files loaded. */
  readonly sizeBytes: number;
}

/** Sampling settings as they cross threads: `random` is replaced by a seed. */
export interface XttsWorkerSettings extends Omit<XttsStreamSettings, 'random'> {
  /** Seed of server/util/seeded-random.ts for this chunk; undefined = Math.random. */
  readonly seed?: number;
}

/** Main → worker requests. */
export type XttsWorkerRequest =
  /** Opens the model directory's sessions (replacing none: one model per worker). Reply: `loaded`. */
  | { readonly type: 'load'; readonly id: number; readonly dir: string; readonly sessionOptions?: XttsSessionOptions }
  /** Runs warm-up.ts on the loaded model. Reply: `done`. */
  | { readonly type: 'warm-up'; readonly id: number }
  /** Releases the sessions (GPU memory with CUDA). Reply: `done`, also when nothing was loaded. */
  | { readonly type: 'unload'; readonly id: number }
  /** Clones a voice from reference WAV files (absolute paths) with the model's encoders. Reply: `cloned`. */
  | { readonly type: 'clone'; readonly id: number; readonly references: readonly string[] }
  /**
   * Synthesizes one chunk: blocks as `block` messages, or with `route` and a connected port straight to
   * the playout thread (`routed` lengths here). `stages`: post `stage` timings. Reply: `done`.
   */
  | {
    readonly type: 'synth'; readonly id: number; readonly text: string; readonly language: XttsLanguage;
    readonly voice: SpeakerConditioning; readonly settings: XttsWorkerSettings; readonly route?: ChunkRoute; readonly stages: boolean;
  };

/** Main → worker control (no reply). */
export type XttsWorkerControl =
  | { readonly type: 'cancel'; readonly id: number }
  /** The playout thread's port (transferred); replaces an earlier one. */
  | { readonly type: 'connect'; readonly port: MessagePort };

/** Worker → main: final success reply of request `id`. */
export type ResultMessage =
  | { readonly type: 'loaded'; readonly id: number; readonly info: XttsModelInfo }
  | { readonly type: 'cloned'; readonly id: number; readonly latents: SpeakerLatents }
  /** `samples`: total of a synth request's blocks. */
  | { readonly type: 'done'; readonly id: number; readonly samples?: number };

/** Worker → main: request `id` failed; `aborted` when it stopped because it was cancelled. */
export interface FailedMessage {
  readonly type: 'failed';
  readonly id: number;
  readonly message: string;
  readonly aborted: boolean;
}

/** Worker → main: progress and output of request `id` before its final reply. */
export type EventMessage =
  /** Load progress, fraction in [0, 1], `note` the file being opened. */
  | { readonly type: 'progress'; readonly id: number; readonly fraction: number; readonly note?: string }
  /** Mono f32 in [-1, 1] at 24 000 Hz; its buffer is transferred. */
  | { readonly type: 'block'; readonly id: number; readonly samples: Float32Array }
  /** A block of length `samples` went to the playout thread. */
  | { readonly type: 'routed'; readonly id: number; readonly samples: number }
  /** One stage's duration, ms. */
  | { readonly type: 'stage'; readonly id: number; readonly stage: XttsStage; readonly ms: number };

/** Worker → main, not tied to a request: a warning to log on the main thread's logger, and the CPU fallback. */
export type NoticeMessage =
  | { readonly type: 'warn'; readonly fields: Record<string, unknown>; readonly message: string }
  | { readonly type: 'cpu-fallback'; readonly reason: string };

/** Anything the worker posts. */
export type XttsWorkerMessage = ResultMessage | FailedMessage | EventMessage | NoticeMessage;
