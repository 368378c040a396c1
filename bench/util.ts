/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Holds the calling thread busy for `ms` milliseconds without yielding: a game loop
 * stalled by a heavy frame, a GC pause or a synchronous JSON parse.
 */
export function busyLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // stall on purpose
  }
}

/** A small seeded PRNG so waits and text choices repeat from run to run (server/util/seeded-random.ts). */
export { seededRandom } from '../server/util/seeded-random.ts';
