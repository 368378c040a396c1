import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GpuSample, GpuSampler } from './gpu-sampler.ts';

/** Why the monitor asks for idle sessions to be released. */
export interface ReleaseIdleRequest {
  /** Memory use as a fraction of the budget when it was asked. */
  readonly ratio: number;
  readonly sample: GpuSample;
}

/** Options of {@link VramMonitor}. */
export interface VramMonitorOptions {
  readonly sampler: GpuSampler;
  /** Poll period, ms. */
  readonly intervalMs: number;
  /** Fraction of the budget at or above which memory is under pressure (e.g. 0.9). */
  readonly pressureThreshold: number;
  /** Fraction below which pressure has ended (e.g. 0.75); must be below `pressureThreshold`. */
  readonly recoverThreshold: number;
  /** Streams allowed without pressure, ≥ 1. */
  readonly baseStreams: number;
  /** Our VRAM cap, MiB, 0 = none: when set and process memory is known, process use / limit is also a pressure ratio. */
  readonly vramLimitMb: number;
  readonly log?: Logger;
  /** When given, gauges `vrpg_gpu_*` are registered on it (reused if already there). */
  readonly registry?: Registry;
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  return (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] });
}

/**
 * Polls GPU memory and lowers the allowed synthesis streams under pressure.
 *
 * Pressure ratio = max(device used / device total, process used / vramLimitMb when both known). At or above
 * `pressureThreshold` each poll lowers streams by ONE (not straight to 1: a finished job frees its session's
 * activations, so the next poll shows whether one step was enough) down to 1, and asks the
 * release-idle-sessions listeners (the model manager) to free memory. Below `recoverThreshold` each poll
 * raises streams by one back to `baseStreams`; in between nothing changes (hysteresis). A failed sample is
 * logged and skipped. Utilization is exported and logged, not acted on: it includes the game's own load.
 */
export class VramMonitor {
  private allowed: number;
  private base: number;
  private pressure = false;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly streamListeners = new Set<(streams: number) => void>();
  private readonly releaseListeners = new Set<(req: ReleaseIdleRequest) => void | Promise<void>>();
  private readonly metrics?: { used: Gauge; total: Gauge; proc: Gauge; util: Gauge; streams: Gauge; pressure: Gauge; events: Counter };

  constructor(private readonly opts: VramMonitorOptions) {
    if (!(opts.recoverThreshold < opts.pressureThreshold)) {
      throw new RangeError(`recoverThreshold ${opts.recoverThreshold} must be below pressureThreshold ${opts.pressureThreshold}`);
    }
    this.base = Math.max(1, opts.baseStreams);
    this.allowed = this.base;
    const r = opts.registry;
    if (r) {
      this.metrics = {
        used: gauge(r, 'vrpg_gpu_vram_used_mb', 'VRAM used on the synthesis GPU by all processes, MiB'),
        total: gauge(r, 'vrpg_gpu_vram_total_mb', 'VRAM of the synthesis GPU, MiB'),
        proc: gauge(r, 'vrpg_gpu_process_vram_used_mb', 'VRAM used by this process, MiB'),
        util: gauge(r, 'vrpg_gpu_utilization_percent', 'Synthesis GPU utilization, percent'),
        streams: gauge(r, 'vrpg_gpu_streams_allowed', 'Synthesis streams allowed now (lowered under VRAM pressure)'),
        pressure: gauge(r, 'vrpg_gpu_memory_pressure', '1 while VRAM is under pressure'),
        events:
          (r.getSingleMetric('vrpg_gpu_pressure_polls_total') as Counter | undefined) ??
          new Counter({ name: 'vrpg_gpu_pressure_polls_total', help: 'Polls that found VRAM pressure', registers: [r] }),
      };
      this.metrics.streams.set(this.allowed);
      this.metrics.pressure.set(0);
    }
  }

  /** Streams allowed now, 1..baseStreams. */
  get streams(): number {
    return this.allowed;
  }

  /** True from the first pressured poll until streams are back at base. */
  get underPressure(): boolean {
    return this.pressure;
  }

  /** Changes the unpressured stream count (e.g. after calibration); clamps the current one to it. */
  setBaseStreams(n: number): void {
    this.base = Math.max(1, n);
    if (this.allowed > this.base) this.setAllowed(this.base);
  }

  /** Subscribes to changes of {@link streams}; returns the unsubscribe function. */
  onStreamsChange(listener: (streams: number) => void): () => void {
    this.streamListeners.add(listener);
    return () => this.streamListeners.delete(listener);
  }

  /** Subscribes to "release idle sessions" requests (sent on every pressured poll); returns the unsubscribe function. */
  onReleaseIdleSessions(listener: (req: ReleaseIdleRequest) => void | Promise<void>): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Starts polling every `intervalMs` (first poll after one interval). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops polling. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running) return;
    // setTimeout chained after each poll, so a slow nvidia-smi never overlaps the next one.
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One poll: sample, judge, act. Never rejects. */
  async poll(): Promise<void> {
    let sample: GpuSample;
    try {
      sample = await this.opts.sampler();
    } catch (err) {
      this.opts.log?.warn({ err: (err as Error).message }, 'gpu sample failed; poll skipped');
      return;
    }
    const ratio = this.ratio(sample);
    const m = this.metrics;
    if (m) {
      m.used.set(sample.usedMb);
      m.total.set(sample.totalMb);
      if (sample.processUsedMb !== null) m.proc.set(sample.processUsedMb);
      if (sample.utilizationPct !== null) m.util.set(sample.utilizationPct);
    }
    const fields = { usedMb: sample.usedMb, totalMb: sample.totalMb, processUsedMb: sample.processUsedMb, utilizationPct: sample.utilizationPct, ratio: Number(ratio.toFixed(3)) };
    if (ratio >= this.opts.pressureThreshold) {
      m?.events.inc();
      if (!this.pressure) {
        this.pressure = true;
        m?.pressure.set(1);
      }
      const before = this.allowed;
      if (this.allowed > 1) this.setAllowed(this.allowed - 1);
      this.opts.log?.warn({ ...fields, streamsBefore: before, streams: this.allowed }, 'gpu memory pressure: lowering synthesis streams');
      await this.requestRelease({ ratio, sample });
    } else if (ratio < this.opts.recoverThreshold && this.pressure) {
      if (this.allowed < this.base) this.setAllowed(this.allowed + 1);
      if (this.allowed >= this.base) {
        this.pressure = false;
        m?.pressure.set(0);
        this.opts.log?.info({ ...fields, streams: this.allowed }, 'gpu memory pressure ended');
      } else this.opts.log?.info({ ...fields, streams: this.allowed }, 'gpu memory easing: raising synthesis streams');
    }
  }

  private ratio(s: GpuSample): number {
    const device = s.totalMb > 0 ? s.usedMb / s.totalMb : 0;
    const proc = this.opts.vramLimitMb > 0 && s.processUsedMb !== null ? s.processUsedMb / this.opts.vramLimitMb : 0;
    return Math.max(device, proc);
  }

  private setAllowed(n: number): void {
    this.allowed = n;
    this.metrics?.streams.set(n);
    for (const l of this.streamListeners) l(n);
  }

  private async requestRelease(req: ReleaseIdleRequest): Promise<void> {
    await Promise.all(
      [...this.releaseListeners].map(async (l) => {
        try {
          await l(req);
        } catch (err) {
          this.opts.log?.warn({ err: (err as Error).message }, 'release-idle-sessions listener failed');
        }
      }),
    );
  }
}
