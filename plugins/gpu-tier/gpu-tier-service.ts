import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SynthesisPolicy, SynthesisPolicySource } from '../../server/synthesis/synthesis-policy.ts';
import { calibrateTier, classifyGpu, type Classification } from './classify.ts';
import { detectGpus, type GpuDetection } from './detect.ts';
import { readEnvOverrides } from './env-overrides.ts';
import { buildGpuConfig, type BuiltConfig, type GpuConfig } from './gpu-config.ts';
import { nvidiaSmiSampler, type GpuSampler } from './gpu-sampler.ts';
import type { GpuTierOptions } from './options.ts';
import { VramMonitor, type ReleaseIdleRequest } from './vram-monitor.ts';

/** Everything detection decided, for the CLI and logs. */
export interface GpuTierState {
  readonly detection: GpuDetection;
  readonly classification: Classification;
  readonly built: BuiltConfig;
}

/** Collaborators of {@link GpuTierService}; all optional. */
export interface GpuTierDeps {
  readonly log?: Logger;
  /** Environment for VRPG_XTTS_*, CUDA_VISIBLE_DEVICES and PATH (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the nvidia-smi sampler of the monitor (tests). */
  readonly sampler?: GpuSampler;
  /** Prometheus registry for the monitor's `vrpg_gpu_*` gauges. */
  readonly registry?: Registry;
  /** Logical cores for session thread counts. */
  readonly cores?: number;
}

/**
 * Policy while detection has not finished: one stream, no yield, the high-end pre-buffer (2.5 s), so
 * nothing overcommits the GPU and a slow first chunk does not underrun.
 */
export const PROVISIONAL_POLICY: SynthesisPolicy = { tier: 'detecting', streams: 1, yieldMs: 0, prebufferMs: 2500 };

/**
 * The GPU tier as a {@link SynthesisPolicySource} (bound as `TOKENS.SynthesisPolicy`).
 * `init()` detects, classifies, builds the {@link GpuConfig} and starts the VRAM monitor; app startup should
 * await it. `current()` before that starts init in the background and answers {@link PROVISIONAL_POLICY};
 * listeners hear the detected policy when it is ready. Policy streams = max(1, config.streams) (0 = CPU still
 * runs one job at a time), lowered by the monitor under VRAM pressure.
 * `init()` rejects only on invalid VRPG_XTTS_* values (GpuTierConfigError); GPU trouble is a CPU fallback.
 */
export class GpuTierService implements SynthesisPolicySource {
  private initPromise: Promise<GpuTierState> | null = null;
  private state: GpuTierState | null = null;
  private monitor: VramMonitor | null = null;
  private policy: SynthesisPolicy = PROVISIONAL_POLICY;
  private readonly listeners = new Set<(p: SynthesisPolicy) => void>();
  private readonly releaseListeners = new Set<(req: ReleaseIdleRequest) => void | Promise<void>>();

  constructor(
    private readonly options: GpuTierOptions,
    private readonly deps: GpuTierDeps = {},
  ) {}

  /** Detects once (memoized); see the class doc. */
  init(): Promise<GpuTierState> {
    this.initPromise ??= this.detect();
    return this.initPromise;
  }

  /** The state after {@link init}; throws Error when init has not completed. */
  get detected(): GpuTierState {
    if (!this.state) throw new Error('GpuTierService: init() has not completed');
    return this.state;
  }

  /** The config after {@link init}. */
  get config(): GpuConfig {
    return this.detected.built.config;
  }

  current(): SynthesisPolicy {
    if (!this.initPromise) {
      this.init().catch((err: unknown) => this.deps.log?.error({ err: (err as Error).message }, 'gpu tier detection failed; keeping the provisional policy'));
    }
    return this.policy;
  }

  onChange(listener: (policy: SynthesisPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to the monitor's "release idle sessions" requests (for the XTTS model manager, issue 4):
   * sent on every poll that finds VRAM pressure. Returns the unsubscribe function.
   */
  onReleaseIdleSessions(listener: (req: ReleaseIdleRequest) => void | Promise<void>): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /**
   * Calibration hook: the engine reports its measured warm-up RTF (synthesis time / audio seconds); a card
   * slower than its tier allows moves DOWN (classify.ts `calibrateTier`), the config is rebuilt (env
   * overrides still win) and listeners hear the new policy. Returns the classification in force.
   * @throws RangeError for a non-positive or non-finite rtf; Error before init() completed
   */
  calibrate(rtf: number): Classification {
    const s = this.detected;
    const tier = calibrateTier(s.classification.tier, rtf);
    if (tier === s.classification.tier) return s.classification;
    const classification: Classification = {
      tier,
      rule: 'calibration',
      reason: `measured RTF ${rtf.toFixed(2)} is too slow for ${s.classification.tier} → ${tier} (was: ${s.classification.reason})`,
    };
    const built = this.build(tier, s.detection);
    this.state = { detection: s.detection, classification, built };
    this.deps.log?.warn({ rtf, from: s.classification.tier, to: tier }, 'gpu tier lowered by calibration');
    this.monitor?.setBaseStreams(Math.max(1, built.config.streams));
    this.refresh();
    return classification;
  }

  /**
   * The engine could not create a session with the CUDA provider and runs on the CPU provider (it logged
   * the one warning): detection becomes "no usable GPU" with `reason` as its fallback reason (the GPUs
   * stay listed), the config is rebuilt for the `cpu` tier (CPU provider alone, CPU thread counts), the
   * VRAM monitor stops, and listeners hear the CPU policy. Ignored before init() completed and when the
   * config is on the CPU already.
   * @param reason one line (onnxruntime's error, or the missing provider library)
   */
  cpuFallback(reason: string): void {
    const s = this.state;
    if (!s || !s.built.config.executionProviders.some((ep) => ep.name === 'cuda')) return;
    const detection: GpuDetection = { ...s.detection, selected: null, choice: 'none', fallbackReason: `CUDA execution provider unavailable: ${reason}` };
    const classification = classifyGpu(null);
    this.state = { detection, classification, built: this.build(classification.tier, detection) };
    this.deps.log?.info({ from: s.classification.tier, to: classification.tier }, 'gpu tier: CPU synthesis after the CUDA provider failed');
    this.monitor?.stop();
    this.monitor = null;
    this.refresh();
  }

  /** Stops the monitor (process shutdown, tests). */
  close(): void {
    this.monitor?.stop();
  }

  private async detect(): Promise<GpuTierState> {
    const env = this.deps.env ?? process.env;
    readEnvOverrides(env); // fail fast on bad values, before spending up to timeoutMs on nvidia-smi
    const detection = await detectGpus({
      env,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.deviceIndex !== undefined ? { deviceIndex: this.options.deviceIndex } : {}),
      ...(this.options.nvidiaSmiPath ? { nvidiaSmiPath: this.options.nvidiaSmiPath } : {}),
    });
    const classification = classifyGpu(detection.selected);
    const built = this.build(classification.tier, detection);
    this.state = { detection, classification, built };
    const log = this.deps.log;
    if (detection.fallbackReason) log?.warn({ fallbackReason: detection.fallbackReason }, 'no usable GPU: CPU synthesis');
    log?.info(
      { gpu: detection.selected?.name ?? null, index: detection.selected?.index ?? null, tier: classification.tier, rule: classification.rule, profile: built.profile, streams: built.config.streams, prebufferSeconds: built.config.prebufferSeconds, yieldMs: built.config.yieldMs, vramLimitMb: built.config.vramLimitMb },
      'gpu tier detected',
    );
    this.startMonitor();
    this.refresh();
    return this.state;
  }

  private build(tier: Classification['tier'], detection: GpuDetection): BuiltConfig {
    return buildGpuConfig({
      tier,
      gpu: detection.selected,
      env: readEnvOverrides(this.deps.env ?? process.env),
      profileOption: this.options.profile,
      deviceSource: detection.choice === 'option' ? 'option' : detection.selected ? 'detected' : 'default',
      ...(this.deps.cores !== undefined ? { cores: this.deps.cores } : {}),
    });
  }

  private startMonitor(): void {
    const s = this.state!;
    const gpu = s.detection.selected;
    const m = this.options.monitor;
    if (!m.enabled || !gpu || s.built.config.streams === 0) return;
    this.monitor = new VramMonitor({
      sampler:
        this.deps.sampler ??
        nvidiaSmiSampler({ index: gpu.index, timeoutMs: this.options.timeoutMs, ...(this.options.nvidiaSmiPath ? { path: this.options.nvidiaSmiPath } : {}), ...(this.deps.env ? { env: this.deps.env } : {}) }),
      intervalMs: m.intervalMs,
      pressureThreshold: m.pressureThreshold,
      recoverThreshold: m.recoverThreshold,
      baseStreams: Math.max(1, s.built.config.streams),
      vramLimitMb: s.built.config.vramLimitMb,
      ...(this.deps.log ? { log: this.deps.log } : {}),
      ...(this.deps.registry ? { registry: this.deps.registry } : {}),
    });
    this.monitor.onStreamsChange(() => this.refresh());
    this.monitor.onReleaseIdleSessions((req) => Promise.all([...this.releaseListeners].map((l) => l(req))).then(() => undefined));
    this.monitor.start();
  }

  /** The monitor, once started (tests and diagnostics). */
  get vramMonitor(): VramMonitor | null {
    return this.monitor;
  }

  private refresh(): void {
    const s = this.state;
    if (!s) return;
    const c = s.built.config;
    const base = Math.max(1, c.streams);
    const next: SynthesisPolicy = {
      tier: s.classification.tier,
      streams: Math.min(base, this.monitor?.streams ?? base),
      yieldMs: c.yieldMs,
      prebufferMs: Math.round(c.prebufferSeconds * 1000),
    };
    const p = this.policy;
    if (p.tier === next.tier && p.streams === next.streams && p.yieldMs === next.yieldMs && p.prebufferMs === next.prebufferMs) return;
    this.policy = next;
    for (const l of this.listeners) l(next);
  }
}
