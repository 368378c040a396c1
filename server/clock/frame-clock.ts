import { nowMs } from '../threads/spawn-worker.ts';
import { FRAME_MS } from '../audio/pcm.ts';

/**
 * The playout's metronome: calls `onTick` once per slot of an absolute schedule
 * t0 + k·periodMs (k = 0, 1, 2 …), so errors never accumulate (no drift).
 *
 * When the thread was stalled past one or more slots, the missed slots are ticked
 * back to back on wake-up (catch up, never skip): the number of ticks always equals
 * the number of elapsed slots, so recordings keep real time.
 *
 * Timing: a coarse `setTimeout` to `leadMs` before the slot (Node timers have ~1 ms
 * granularity and often fire late by ~1 ms), then a precise wait to the slot:
 * `Atomics.wait` on a private SharedArrayBuffer (sub-ms, sleeps instead of spinning;
 * allowed on Node worker threads and on Node's main thread) topped up by a short spin.
 */

/** Late-tick statistics, ms (lateness = actual tick time − scheduled slot time). */
export interface FrameClockStats {
  /** Ticks since start. */
  readonly ticks: number;
  /** Ticks run back to back to catch up after a stall. */
  readonly catchUpTicks: number;
  /** Median lateness over the recent window, ms. */
  readonly lateP50Ms: number;
  /** 95th percentile lateness over the recent window, ms. */
  readonly lateP95Ms: number;
  /** Worst lateness over the recent window, ms. */
  readonly lateMaxMs: number;
}

/** Options of {@link FrameClock}. */
export interface FrameClockOptions {
  /**
   * Called once per slot, in order.
   * @param slot 0-based slot index
   * @param scheduledMs the slot's scheduled time (epoch ms, t0 + slot·periodMs)
   * @param nowMs when the tick actually runs (epoch ms)
   */
  readonly onTick: (slot: number, scheduledMs: number, nowMs: number) => void;
  /** Called when `onTick` throws; the clock goes on. Default: rethrown asynchronously. */
  readonly onError?: (err: unknown) => void;
  /** Slot length, ms; default {@link FRAME_MS} (20). */
  readonly periodMs?: number;
  /** Time source in epoch ms; default `nowMs()` (hrtime-based, comparable across threads). */
  readonly now?: () => number;
  /** How long before the slot the coarse timer fires, ms; default 2. */
  readonly leadMs?: number;
  /** Precise wait after the coarse timer: `atomics` (default), `spin`, or `none` (fake-timer tests). */
  readonly precise?: 'atomics' | 'spin' | 'none';
  /** Lateness samples kept for the stats; default 3 000 (one minute of 20 ms slots). */
  readonly statsWindow?: number;
}

/** See the module comment. */
export class FrameClock {
  private readonly periodMs: number;
  private readonly now: () => number;
  private readonly leadMs: number;
  private readonly precise: 'atomics' | 'spin' | 'none';
  private readonly late: Float64Array;
  private lateCount = 0;
  private ticks = 0;
  private catchUps = 0;
  private t0 = 0;
  private nextSlot = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: FrameClockOptions) {
    this.periodMs = options.periodMs ?? FRAME_MS;
    this.now = options.now ?? nowMs;
    this.leadMs = options.leadMs ?? 2;
    this.precise = options.precise ?? 'atomics';
    this.late = new Float64Array(options.statsWindow ?? 3000);
    if (!(this.periodMs > 0)) throw new RangeError(`FrameClock periodMs must be > 0 ms, got ${this.periodMs}`);
  }

  /** Whether the clock is started. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Index of the next slot to tick. */
  get slot(): number {
    return this.nextSlot;
  }

  /** Epoch ms of slot 0. */
  get startMs(): number {
    return this.t0;
  }

  /**
   * Starts ticking; slot 0 is at `t0Ms` (default: now, ticked at once).
   * @throws Error when already running
   */
  start(t0Ms: number = this.now()): void {
    if (this.running) throw new Error('FrameClock.start: already running');
    this.running = true;
    this.t0 = t0Ms;
    this.nextSlot = 0;
    this.fire();
  }

  /** Stops ticking; a tick in progress finishes. Idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Lateness statistics over the recent window. */
  stats(): FrameClockStats {
    const n = Math.min(this.lateCount, this.late.length);
    const sorted = Float64Array.from(this.late.subarray(0, n)).sort();
    const q = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(p * n))]!);
    return { ticks: this.ticks, catchUpTicks: this.catchUps, lateP50Ms: q(0.5), lateP95Ms: q(0.95), lateMaxMs: n ? sorted[n - 1]! : 0 };
  }

  private readonly fire = (): void => {
    this.timer = null;
    if (!this.running) return;
    const target = this.t0 + this.nextSlot * this.periodMs;
    this.waitUntil(target);
    let t = this.now();
    let inWake = 0;
    while (this.running && t >= this.t0 + this.nextSlot * this.periodMs) {
      const scheduled = this.t0 + this.nextSlot * this.periodMs;
      this.late[this.lateCount++ % this.late.length] = t - scheduled;
      this.ticks++;
      if (inWake++ > 0) this.catchUps++;
      const slot = this.nextSlot++;
      try {
        this.options.onTick(slot, scheduled, t);
      } catch (err) {
        if (this.options.onError) this.options.onError(err);
        else queueMicrotask(() => {
          throw err;
        });
      }
      t = this.now();
    }
    this.arm();
  };

  private arm(): void {
    if (!this.running) return;
    const target = this.t0 + this.nextSlot * this.periodMs;
    // Without a precise wait the timer must aim at the slot itself, not before it.
    const lead = this.precise === 'none' ? 0 : this.leadMs;
    const delay = Math.max(0, target - this.now() - lead);
    this.timer = setTimeout(this.fire, delay);
  }

  private waitUntil(target: number): void {
    if (this.precise === 'none') return;
    let remaining = target - this.now();
    // Never hold the thread longer than the lead plus a margin, whatever the timer did.
    if (remaining > this.leadMs + 1) return;
    if (this.precise === 'atomics' && remaining > 0.3) {
      Atomics.wait(this.sleeper, 0, 0, remaining - 0.2);
      remaining = target - this.now();
    }
    while (remaining > 0) remaining = target - this.now();
  }
}
