/**
 * How much synthesis the process may run at once, and how long audio waits
 * before playback: the knobs the GPU-tier plugin (plugins/gpu-tier/) turns from
 * the detected hardware and from VRAM pressure. Without that plugin the core
 * uses {@link defaultSynthesisPolicy}.
 * Numbers per the seed spec's tier table (shared/seeds 002/003): streams 0–3,
 * pre-buffer 0.75–2.5 s, a yield between chunks on modest cards.
 */
export interface SynthesisPolicy {
  /** Tier name the policy came from (`high-end`, `mid-range`, `modest`, `low-end`, `cpu`, `default`). */
  readonly tier: string;
  /** Chunk jobs in flight at once across all rooms, 0–3; 0 = CPU inference, run one at a time. */
  readonly streams: number;
  /** Pause after each chunk job before the next one starts, ms (lets the game use the GPU). */
  readonly yieldMs: number;
  /** Pre-buffer before playback starts until an RTF is measured, ms. */
  readonly prebufferMs: number;
}

/** A policy that can change while running (VRAM pressure lowers `streams`, recovery raises it). */
export interface SynthesisPolicySource {
  current(): SynthesisPolicy;
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (policy: SynthesisPolicy) => void): () => void;
  /** Detects what the policy depends on (hardware); awaited at startup when present. */
  init?(): Promise<unknown>;
  /** Stops monitors; called at shutdown when present. */
  close?(): void | Promise<void>;
}

/** The core's policy when no GPU-tier plugin is mounted: two jobs in flight, no yield, config pre-buffer. */
export function defaultSynthesisPolicy(prebufferMs: number): SynthesisPolicy {
  return { tier: 'default', streams: 2, yieldMs: 0, prebufferMs };
}

/** A source that never changes. */
export function fixedPolicySource(policy: SynthesisPolicy): SynthesisPolicySource {
  return { current: () => policy, onChange: () => () => undefined };
}
