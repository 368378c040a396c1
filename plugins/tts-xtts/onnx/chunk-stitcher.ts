/**
 * Coqui's `Xtts.handle_chunks` (TTS/tts/models/xtts.py), the seam between streamed vocoder runs.
 *
 * Each streaming step vocodes *all* GPT latents so far, so run n's waveform starts with run n−1's.
 * A step emits the samples that are new since the previous run, minus the last `overlapLength`
 * samples, which are held back and crossfaded linearly (`linspace(1, 0)` out, `linspace(0, 1)` in)
 * into the first samples the next step emits. Without the crossfade the seam clicks, because the
 * vocoder's output near the end of a run changes once more latents follow.
 *
 * Reproduced exactly, Python slicing included (negative starts count from the end), including the
 * branch Coqui added for a last run shorter than the overlap (PR #3160): it emits the tail
 * unfaded and ends the crossfade chain. As in Coqui, the final held-back overlap of a normal last
 * step is not emitted.
 */
export class ChunkStitcher {
  private previousLength: number | undefined;
  private overlap: Float32Array | undefined;

  /**
   * @param overlapLength samples held back per step; XTTS `overlap_wav_len` = 1024 (42.7 ms at 24 kHz)
   * @throws RangeError when not a positive integer
   */
  constructor(readonly overlapLength = 1024) {
    if (!Number.isInteger(overlapLength) || overlapLength < 1) throw new RangeError(`overlapLength must be a positive integer, got ${overlapLength}`);
  }

  /**
   * One streaming step.
   * @param wav the vocoder's whole output for all latents so far, mono f32 in [-1, 1]; not kept
   * @returns the samples to play now (a new array; may be empty)
   */
  push(wav: Float32Array): Float32Array {
    const ov = this.overlapLength;
    const n = wav.length;
    let chunk = this.previousLength === undefined ? slice(wav, 0, -ov) : slice(wav, this.previousLength - ov, -ov);
    if (this.overlap !== undefined) {
      if (ov > chunk.length) {
        chunk = this.previousLength === undefined ? slice(wav, -ov, n) : slice(wav, this.previousLength - ov, n);
        this.previousLength = n;
        this.overlap = undefined;
        return chunk;
      }
      const step = ov > 1 ? 1 / (ov - 1) : 0;
      for (let i = 0; i < ov; i++) {
        const fadeIn = i * step;
        chunk[i] = this.overlap[i] * (1 - fadeIn) + chunk[i] * fadeIn;
      }
    }
    this.overlap = slice(wav, -ov, n);
    this.previousLength = n;
    return chunk;
  }
}

/** `a[start:end]` with Python's rules (negative = from the end, clamped), as a copy. */
function slice(a: Float32Array, start: number, end: number): Float32Array {
  const at = (i: number): number => (i < 0 ? Math.max(0, a.length + i) : Math.min(i, a.length));
  const s = at(start);
  const e = at(end);
  return e > s ? a.slice(s, e) : new Float32Array(0);
}
