/**
 * mulberry32 (Tommy Ettinger's public-domain 32-bit generator): a small seedable PRNG for reproducible
 * draws (XTTS sampling with a `seed`, benchmark workloads, tests). Not cryptographic.
 * @param seed any integer; the same seed gives the same sequence
 * @returns a function giving uniform numbers in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
