/**
 * Shapes shared by the model manager and the engine plugins that declare models to it
 * (e.g. an onnxruntime session set for the XTTS ONNX backend, or cloned voice latents
 * held by the remote XTTS backend). Lifecycle follows seed spec 004, milestone 4
 * "Model Manager v1: default+preload, warmup, TTL eviction" (resident map, TTL eviction
 * loop, min residency, resident cap, LRU, refcounted so there are zero mid-stream unloads).
 */

/**
 * Load progress callback handed to {@link ModelSpec.load}.
 * `fraction` is in [0, 1] (clamped; NaN ignored); `note` is a short engine-side label such
 * as "decoder.onnx" — never user text, since it is logged at info.
 */
export type ModelProgress = (fraction: number, note?: string) => void;

/**
 * A loadable model, declared once with `ModelManager.register`. `T` is whatever the
 * engine needs at synthesis time (sessions, tensors, latents).
 */
export interface ModelSpec<T> {
  /** Unique id, e.g. `xtts-v2/onnx` or `voice:innkeeper`; named in every error and log line. */
  readonly id: string;
  /**
   * Loads the model. `signal` aborts only when the manager closes — not when a waiter gives
   * up, because other rooms may be waiting on the same load. Throw to fail the load; every
   * waiter then rejects with a {@link ModelLoadError} naming this id and the cause.
   */
  load(signal: AbortSignal, progress: ModelProgress): Promise<T>;
  /**
   * Runs once after each load, before the first lease resolves, so the first narration
   * does not pay for graph compilation / lazy allocation. Seed 004 warms each model with a
   * ~300 ms utterance. A throw fails the load (the model is unloaded again).
   */
  warmUp?(model: T, signal: AbortSignal): Promise<void>;
  /** Frees the model (release sessions, GPU memory). Errors are logged, never thrown to callers. */
  unload?(model: T): Promise<void> | void;
  /** Estimated resident size in bytes, counted against `maxResidentBytes` from the start of the load. */
  readonly sizeBytes?: number;
}

/**
 * A reference to a resident model. While any lease is held the model is never unloaded
 * (not by TTL, LRU nor close). `release()` is idempotent: a second call is a no-op.
 */
export interface ModelLease<T> {
  readonly model: T;
  release(): void;
}

/**
 * Lifecycle state of one registered model:
 * `unloaded` (not resident) → `loading` → `warming` → `ready`; a failed load or warm-up
 * ends in `failed` (not resident; the next acquire retries).
 */
export type ModelState = 'unloaded' | 'loading' | 'warming' | 'ready' | 'failed';

/** Why a ready model was unloaded. */
export type EvictionReason = 'ttl' | 'lru' | 'close' | 'manual';

/** One row of `ModelManager.status()`. Times are ms from the manager's `now()` clock. */
export interface ModelStatus {
  readonly id: string;
  readonly state: ModelState;
  /** Leases currently held. */
  readonly leases: number;
  /** Acquires still waiting for the load to finish. */
  readonly waiters: number;
  /** Last acquire or release, epoch ms per `now()`; undefined if never used. */
  readonly lastUsedMs?: number;
  /** Duration of the last successful `load`, ms. */
  readonly loadMs?: number;
  /** Duration of the last successful `warmUp`, ms (0 when the spec has none). */
  readonly warmUpMs?: number;
  readonly sizeBytes?: number;
  /** Message of the last load failure while `state === 'failed'`. */
  readonly error?: string;
}

/** Payload of the manager's `'progress'` event; fraction in [0, 1]. */
export interface ModelProgressEvent {
  readonly id: string;
  readonly fraction: number;
  readonly note?: string;
}

/** Payload of the manager's `'state'` event; `reason` is set on unloads of a ready model. */
export interface ModelStateEvent {
  readonly id: string;
  readonly state: ModelState;
  readonly reason?: EvictionReason;
}

/** Typed view of one registered model, returned by `ModelManager.register`. */
export interface ModelHandle<T> {
  readonly id: string;
  /** Same as `ModelManager.acquire(id, signal)`, typed. */
  acquire(signal?: AbortSignal): Promise<ModelLease<T>>;
  status(): ModelStatus;
}

/** Thrown to every waiter of a failed load or warm-up; `cause` is the engine's error. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(readonly modelId: string, cause: unknown) {
    super(`model "${modelId}" failed to load: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
