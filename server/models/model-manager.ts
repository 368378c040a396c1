import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { abortError } from '../synthesis/tts-engine.ts';
import { LoadSlots } from './load-slots.ts';
import { ModelEntry, type ModelEntryHooks } from './model-entry.ts';
import { ModelMetrics } from './model-metrics.ts';
import type {
  EvictionReason, ModelHandle, ModelLease, ModelProgressEvent, ModelSpec, ModelStateEvent, ModelStatus,
} from './model-spec.ts';

/**
 * Tuning of a {@link ModelManager}. Seed spec 004 (milestone 4) names the knobs — TTL
 * (`--ttl_ms`), min residency, resident cap, LRU, preload, load semaphore — but gives no
 * numbers except the ~300 ms warm-up utterance; the defaults below are ours, with reasons.
 */
export interface ModelManagerOptions {
  /** Unload a ready model after this long with no lease, ms; Infinity disables TTL eviction. */
  idleTtlMs: number;
  /** Most models resident (loading, warming or ready) before idle ones are LRU-evicted. */
  maxResident: number;
  /** Most declared `sizeBytes` resident, bytes; Infinity = no byte cap. */
  maxResidentBytes: number;
  /** A model is not LRU-evicted within this long after becoming ready, ms (seed 004 "min residency"). */
  minResidencyMs: number;
  /** Period of the TTL sweep, ms; 0 = no timer (call `sweep()` yourself). The timer is unref'd. */
  sweepIntervalMs: number;
  /** Loads running at once across all models (seed 004: serialize loads with a semaphore). */
  maxConcurrentLoads: number;
  /** Least time between two info-level progress logs of one model, ms (events are not throttled). */
  progressLogIntervalMs: number;
  /** Clock in ms; a seam for tests. */
  now: () => number;
  log?: Logger;
  /** Where to register `vrpg_models_resident`, `vrpg_models_resident_bytes`, `vrpg_model_load_ms`; none = no metrics. */
  registry?: Registry;
}

/**
 * Defaults: a 10 min TTL keeps a table's models resident across the pauses between
 * narrations of one session while freeing them soon after it ends; 2 resident models fit
 * two XTTS-sized (~2 GB) models in a modest GPU or host; one load at a time per seed 004.
 */
export const defaultModelManagerOptions: Readonly<ModelManagerOptions> = Object.freeze({
  idleTtlMs: 10 * 60_000,
  maxResident: 2,
  maxResidentBytes: Infinity,
  minResidencyMs: 0,
  sweepIntervalMs: 30_000,
  maxConcurrentLoads: 1,
  progressLogIntervalMs: 1000,
  now: () => Date.now(),
});

/** Events of a {@link ModelManager}: `'progress'` while loading, `'state'` on every state change. */
export interface ModelManagerEvents {
  progress: [ModelProgressEvent];
  state: [ModelStateEvent];
}

/**
 * Holds loadable models for engine plugins (seed 004 milestone 4: load on first use or
 * preload, warm-up after load, TTL eviction, LRU under a resident cap, refcounts so nothing
 * is unloaded mid-narration, one load per model however many rooms ask).
 *
 * Eviction only ever unloads idle models (no lease, no waiting acquire). When every
 * resident model is leased the cap is exceeded for the time being — logged once at warn —
 * and acquires never block on it; the surplus is evicted as leases are released.
 *
 * `close()` does not wait for leases: it aborts loads in flight, unloads idle models and
 * marks leased ones to unload on their last release (a lease's model stays usable until then).
 */
export class ModelManager extends EventEmitter<ModelManagerEvents> {
  readonly options: Readonly<ModelManagerOptions>;
  private readonly entries = new Map<string, ModelEntry<unknown>>();
  private readonly closing = new AbortController();
  private readonly slots: LoadSlots;
  private readonly metrics?: ModelMetrics;
  private readonly hooks: ModelEntryHooks;
  private readonly timer?: NodeJS.Timeout;
  private readonly lastProgressLogMs = new Map<string, number>();
  private overCapLogged = false;
  private residentCounted = 0;
  private residentBytesCounted = 0;

  constructor(options: Partial<ModelManagerOptions> = {}) {
    super();
    this.options = { ...defaultModelManagerOptions, ...options };
    this.slots = new LoadSlots(this.options.maxConcurrentLoads);
    if (this.options.registry) this.metrics = new ModelMetrics(this.options.registry);
    this.hooks = {
      now: () => this.options.now(),
      signal: this.closing.signal,
      withLoadSlot: (fn) => this.slots.run(fn),
      onProgress: (id, fraction, note) => this.onProgress(id, fraction, note),
      onStateChange: (entry, reason) => this.onStateChange(entry, reason),
      onLoaded: (id, loadMs, warmUpMs) => {
        this.metrics?.loadMs.observe({ model: id }, loadMs + warmUpMs);
        this.options.log?.info({ model: id, loadMs, warmUpMs }, 'model ready');
      },
      log: this.options.log,
    };
    if (this.options.sweepIntervalMs > 0) {
      this.timer = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
      this.timer.unref();
    }
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Declares a model (not loaded yet). Throws if the id is taken or the manager is closed. */
  register<T>(spec: ModelSpec<T>): ModelHandle<T> {
    if (this.closed) throw new Error(`ModelManager is closed: cannot register model "${spec.id}"`);
    if (this.entries.has(spec.id)) throw new Error(`model "${spec.id}" is already registered`);
    const entry = new ModelEntry(spec, this.hooks);
    this.entries.set(spec.id, entry as ModelEntry<unknown>);
    return {
      id: spec.id,
      acquire: (signal) => this.acquire<T>(spec.id, signal),
      status: () => entry.status(),
    };
  }

  /**
   * {@link register}, or the handle of the model already registered under `spec.id`: two engines
   * (e.g. the same XTTS model folder configured twice) then share one load and one resident copy.
   * The first registration's spec wins. Throws if the manager is closed.
   */
  registerOnce<T>(spec: ModelSpec<T>): ModelHandle<T> {
    const existing = this.entries.get(spec.id);
    if (!existing || this.closed) return this.register(spec);
    return {
      id: spec.id,
      acquire: (signal) => this.acquire<T>(spec.id, signal),
      status: () => existing.status(),
    };
  }

  /**
   * Leases a model, loading and warming it first if needed (concurrent acquires share one
   * load). Rejects with: Error for an unknown id or a closed manager; `ModelLoadError`
   * (naming the id and cause) when the load fails — the next acquire retries; AbortError
   * when `signal` aborts (only this waiter gives up; the load goes on) or on close.
   */
  async acquire<T = unknown>(id: string, signal?: AbortSignal): Promise<ModelLease<T>> {
    const entry = this.entry(id) as ModelEntry<T>;
    if (this.closed) throw new Error(`ModelManager is closed: cannot acquire model "${id}"`);
    if (signal?.aborted) throw abortError(signal);
    entry.waiters++;
    let model: T;
    try {
      model = await raceAbort(entry.ensureReady(), signal);
    } finally {
      entry.waiters--;
    }
    if (this.closed) {
      this.afterUnpin(entry);
      throw abortError(this.closing.signal);
    }
    entry.leases++;
    entry.lastUsedMs = this.options.now();
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        entry.lastUsedMs = this.options.now();
        this.afterUnpin(entry);
      },
    };
  }

  /**
   * Loads and warms the given models now, without holding them (they are then subject to
   * TTL and LRU like any idle model). Rejects with the first failure; the others still load.
   */
  async preload(ids: Iterable<string>, signal?: AbortSignal): Promise<void> {
    await Promise.all([...ids].map(async (id) => (await this.acquire(id, signal)).release()));
  }

  /** Unloads a model now if it is ready and idle; resolves false when it is leased or not ready. */
  async unload(id: string): Promise<boolean> {
    const entry = this.entry(id);
    if (entry.state !== 'ready' || entry.pins > 0) return false;
    await entry.unload('manual');
    return true;
  }

  /** Unloads ready models idle for at least `idleTtlMs`. Run by the sweep timer. */
  sweep(): void {
    const now = this.options.now();
    for (const entry of this.entries.values()) {
      if (entry.state === 'ready' && entry.pins === 0 && now - (entry.lastUsedMs ?? entry.readyAtMs) >= this.options.idleTtlMs) {
        this.options.log?.info({ model: entry.id, idleMs: now - (entry.lastUsedMs ?? entry.readyAtMs) }, 'model evicted: idle TTL');
        void entry.unload('ttl');
      }
    }
  }

  /** One row per registered model, in registration order. */
  status(): ModelStatus[] {
    return [...this.entries.values()].map((e) => e.status());
  }

  /** See the class comment: resolves once idle models are unloaded; leased ones unload on release. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closing.abort();
      if (this.timer) clearInterval(this.timer);
    }
    await Promise.all([...this.entries.values()].filter((e) => e.pins === 0).map((e) => e.unload('close')));
  }

  private entry(id: string): ModelEntry<unknown> {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`unknown model "${id}": register it before use`);
    return entry;
  }

  private afterUnpin(entry: ModelEntry<unknown>): void {
    if (entry.pins > 0) return;
    if (this.closed) void entry.unload('close');
    else this.enforceCap();
  }

  /** LRU-evicts idle ready models until under both caps; logs once when it cannot. */
  private enforceCap(): void {
    const { maxResident, maxResidentBytes, minResidencyMs, now } = this.options;
    const resident = [...this.entries.values()].filter((e) => e.resident);
    let count = resident.length;
    let bytes = resident.reduce((sum, e) => sum + e.sizeBytes, 0);
    const over = () => count > maxResident || bytes > maxResidentBytes;
    if (!over()) {
      this.overCapLogged = false;
      return;
    }
    const t = now();
    const victims = resident
      .filter((e) => e.state === 'ready' && e.pins === 0 && t - e.readyAtMs >= minResidencyMs)
      .sort((a, b) => (a.lastUsedMs ?? a.readyAtMs) - (b.lastUsedMs ?? b.readyAtMs));
    for (const victim of victims) {
      if (!over()) break;
      this.options.log?.info({ model: victim.id, resident: count, bytes }, 'model evicted: resident cap (LRU)');
      void victim.unload('lru');
      count--;
      bytes -= victim.sizeBytes;
    }
    if (over() && !this.overCapLogged) {
      this.overCapLogged = true;
      this.options.log?.warn({ resident: count, maxResident, bytes, maxResidentBytes }, 'model resident cap exceeded: resident models are in use');
    }
  }

  private onStateChange(entry: ModelEntry<unknown>, reason?: EvictionReason): void {
    this.emit('state', { id: entry.id, state: entry.state, ...(reason ? { reason } : {}) });
    if (this.metrics) {
      const resident = [...this.entries.values()].filter((e) => e.resident);
      const bytes = resident.reduce((sum, e) => sum + e.sizeBytes, 0);
      this.metrics.resident.inc(resident.length - this.residentCounted);
      this.metrics.residentBytes.inc(bytes - this.residentBytesCounted);
      this.residentCounted = resident.length;
      this.residentBytesCounted = bytes;
    }
    if (entry.state === 'loading') this.lastProgressLogMs.delete(entry.id);
    // Make room before a load starts (free memory first), and again when one lands.
    if ((entry.state === 'loading' || entry.state === 'ready') && !this.closed) this.enforceCap();
  }

  private onProgress(id: string, fraction: number, note: string | undefined): void {
    this.emit('progress', note === undefined ? { id, fraction } : { id, fraction, note });
    const log = this.options.log;
    if (!log) return;
    const t = this.options.now();
    const last = this.lastProgressLogMs.get(id);
    if (last === undefined || fraction >= 1 || t - last >= this.options.progressLogIntervalMs) {
      this.lastProgressLogMs.set(id, t);
      log.info({ model: id, fraction, note }, 'model loading');
    }
  }
}

/** Settles like `p`, or rejects with AbortError as soon as `signal` aborts (`p` carries on). */
function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
