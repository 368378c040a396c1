import { FRAME_MS } from '../server/audio/pcm.ts';

/**
 * The frame clock's slot grid as the sinks see it. The playout's FrameClock ticks on an
 * absolute schedule t0 + k·20 ms and is never early, so the times frames are handed to
 * sinks cluster just after the grid points; the grid's phase is found from those times.
 */

/**
 * Estimates the grid phase (an epoch ms that is a slot time) from frame hand-over times.
 * Method: fold every time onto one 20 ms period, take the 1 ms window (circular) that holds
 * the most frames (on-time ticks, late by well under 1 ms), and return the earliest of them
 * (1st percentile inside the window), since lateness is never negative.
 * @param timesMs frame times, epoch ms; at least one
 * @throws RangeError for an empty list
 */
export function estimateSlotPhase(timesMs: readonly number[], periodMs = FRAME_MS): number {
  if (timesMs.length === 0) throw new RangeError('estimateSlotPhase needs at least one frame time');
  const ref = timesMs[0]!;
  const folded = timesMs.map((t) => (((t - ref) % periodMs) + periodMs) % periodMs).sort((a, b) => a - b);
  const n = folded.length;
  const windowMs = 1;
  let bestStart = 0;
  let bestCount = 0;
  for (let i = 0, j = 0; i < n; i++) {
    // Circular window [folded[i], folded[i] + windowMs): j counts past the end, wrapping.
    if (j < i) j = i;
    while (j - i < n && ((folded[j % n]! - folded[i]! + periodMs) % periodMs) < windowMs) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      bestStart = i;
    }
  }
  const inWindow = Array.from({ length: bestCount }, (_, k) => {
    const v = folded[(bestStart + k) % n]!;
    return v < folded[bestStart]! ? v + periodMs : v;
  });
  const earliest = inWindow[Math.floor(0.01 * (inWindow.length - 1))]!;
  return ref + earliest;
}

/** The first slot time at or after `tMs` on the grid through `phaseMs`, epoch ms. */
export function nextSlotAtOrAfter(tMs: number, phaseMs: number, periodMs = FRAME_MS): number {
  return phaseMs + Math.ceil((tMs - phaseMs) / periodMs) * periodMs;
}
