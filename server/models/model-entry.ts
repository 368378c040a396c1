import type { Logger } from 'pino';
import { abortError, isAbortError } from '../synthesis/tts-engine.ts';
import { ModelLoadError, type EvictionReason, type ModelSpec, type ModelState, type ModelStatus } from './model-spec.ts';

/** What a {@link ModelEntry} needs from its manager (policy stays in the manager). */
export interface ModelEntryHooks {
  /** Clock in ms (the manager's `now()` seam). */
  now(): number;
  /** Aborts when the manager closes; passed to `load` and `warmUp`. */
  readonly signal: AbortSignal;
  /** Runs `fn` when a global load slot is free (seed 004: serialize loads with a semaphore). */
  withLoadSlot<R>(fn: () => Promise<R>): Promise<R>;
  onProgress(id: string, fraction: number, note: string | undefined): void;
  onStateChange(entry: ModelEntry<unknown>, reason?: EvictionReason): void;
  onLoaded(id: string, loadMs: number, warmUpMs: number): void;
  readonly log?: Logger;
}

/**
 * One registered model: its state machine, single-flight load and ordered unload.
 * Reference counts live here (`leases`, `waiters`) but the manager decides when to unload.
 */
export class ModelEntry<T> {
  state: ModelState = 'unloaded';
  model: T | undefined;
  leases = 0;
  waiters = 0;
  lastUsedMs: number | undefined;
  /** When the last load became ready, ms per `now()`; for min residency. */
  readyAtMs = 0;
  loadMs: number | undefined;
  warmUpMs: number | undefined;
  error: Error | undefined;
  private inflight: Promise<T> | undefined;
  /** Chain of unloads, so a re-load starts only after the previous copy is freed. */
  private unloading: Promise<void> = Promise.resolve();
  /** Bumped per load so late progress calls from an earlier load are dropped. */
  private generation = 0;

  constructor(readonly spec: ModelSpec<T>, private readonly hooks: ModelEntryHooks) {}

  get id(): string {
    return this.spec.id;
  }

  /** Leases plus waiting acquires: a pinned model is never unloaded. */
  get pins(): number {
    return this.leases + this.waiters;
  }

  /** Counted against the resident cap: loaded or being loaded. */
  get resident(): boolean {
    return this.state === 'loading' || this.state === 'warming' || this.state === 'ready';
  }

  get sizeBytes(): number {
    return this.spec.sizeBytes ?? 0;
  }

  /**
   * Resolves with the ready model, starting a load unless one is in flight (every caller
   * shares it). Rejects with {@link ModelLoadError}, or AbortError if the manager closed.
   */
  ensureReady(): Promise<T> {
    if (this.state === 'ready') return Promise.resolve(this.model as T);
    if (!this.inflight) {
      this.inflight = this.loadOnce();
      // Waiters attach their own handlers; this keeps a load nobody waits for any more quiet.
      this.inflight.catch(() => {});
    }
    return this.inflight;
  }

  /**
   * Unloads a ready model now (state changes synchronously; the spec's `unload` runs after
   * any earlier unload). No-op unless ready: loads in flight are handled when they finish.
   */
  unload(reason: EvictionReason): Promise<void> {
    if (this.state !== 'ready') return this.unloading;
    const model = this.model as T;
    this.model = undefined;
    this.setState('unloaded', reason);
    this.unloading = this.unloading.then(() => this.disposeModel(model));
    return this.unloading;
  }

  status(): ModelStatus {
    return {
      id: this.id,
      state: this.state,
      leases: this.leases,
      waiters: this.waiters,
      lastUsedMs: this.lastUsedMs,
      loadMs: this.loadMs,
      warmUpMs: this.warmUpMs,
      sizeBytes: this.spec.sizeBytes,
      error: this.state === 'failed' ? this.error?.message : undefined,
    };
  }

  private async loadOnce(): Promise<T> {
    const generation = ++this.generation;
    this.error = undefined;
    this.setState('loading');
    try {
      await this.unloading;
      const model = await this.hooks.withLoadSlot(() => this.loadAndWarm(generation));
      if (this.hooks.signal.aborted) {
        // Closed while loading and the engine ignored the signal: free it at once.
        await this.disposeModel(model);
        throw abortError(this.hooks.signal);
      }
      this.model = model;
      this.readyAtMs = this.hooks.now();
      this.setState('ready');
      this.hooks.onLoaded(this.id, this.loadMs ?? 0, this.warmUpMs ?? 0);
      return model;
    } catch (err) {
      const closed = this.hooks.signal.aborted;
      const error = closed ? abortError(this.hooks.signal) : new ModelLoadError(this.id, err);
      this.error = error;
      this.setState(closed ? 'unloaded' : 'failed');
      if (!closed) this.hooks.log?.warn({ model: this.id, err }, 'model load failed');
      throw error;
    } finally {
      this.inflight = undefined;
    }
  }

  private async loadAndWarm(generation: number): Promise<T> {
    const { signal } = this.hooks;
    if (signal.aborted) throw abortError(signal);
    const progress = (fraction: number, note?: string) => {
      if (generation !== this.generation || this.state !== 'loading' || Number.isNaN(fraction)) return;
      this.hooks.onProgress(this.id, Math.min(1, Math.max(0, fraction)), note);
    };
    const t0 = this.hooks.now();
    const model = await this.spec.load(signal, progress);
    this.loadMs = this.hooks.now() - t0;
    this.setState('warming');
    const t1 = this.hooks.now();
    try {
      if (this.spec.warmUp) await this.spec.warmUp(model, signal);
    } catch (err) {
      await this.disposeModel(model);
      throw err;
    }
    this.warmUpMs = this.hooks.now() - t1;
    return model;
  }

  private async disposeModel(model: T): Promise<void> {
    try {
      await this.spec.unload?.(model);
    } catch (err) {
      if (!isAbortError(err)) this.hooks.log?.warn({ model: this.id, err }, 'model unload failed');
    }
  }

  private setState(state: ModelState, reason?: EvictionReason): void {
    this.state = state;
    this.hooks.onStateChange(this as ModelEntry<unknown>, reason);
  }
}
