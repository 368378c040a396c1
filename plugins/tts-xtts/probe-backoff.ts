/** Growth of the probe back-off per failed probe: gRPC's MULTIPLIER. */
export const PROBE_BACKOFF_MULTIPLIER = 1.6;
/** Spread of each delay, ± this fraction of it: gRPC's JITTER. */
export const PROBE_BACKOFF_JITTER = 0.2;

/**
 * Delay before the next health probe of a server marked down, ms: gRPC's connection back-off
 * (grpc/grpc doc/connection-backoff.md: INITIAL_BACKOFF × MULTIPLIER^n capped at MAX_BACKOFF, then
 * ± JITTER uniformly, with 1.6 and 0.2 as there). The jitter keeps the probes of many narrator
 * processes, which all saw the same server die at the same moment, from arriving together; the
 * cap bounds how late a server that came back is noticed.
 * @param failedProbes probes that failed since the server went down (0 = the first probe)
 * @param baseMs first delay (config `health.backoffBaseMs`), ms
 * @param maxMs cap before jitter (config `health.backoffMaxMs`), ms
 * @param random uniform in [0, 1) (tests pass a fixed one)
 * @returns a delay in [0.8, 1.2] × min(baseMs × 1.6^failedProbes, maxMs), ms
 */
export function probeBackoffMs(failedProbes: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const backoff = Math.min(baseMs * PROBE_BACKOFF_MULTIPLIER ** Math.max(0, failedProbes), maxMs);
  return backoff * (1 + PROBE_BACKOFF_JITTER * (2 * random() - 1));
}
