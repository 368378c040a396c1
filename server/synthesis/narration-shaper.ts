import { SEAM_MS, fadeInGain, rampSamples } from '../clock/seams.ts';
import { LoudnessMeter } from '../audio/loudness-meter.ts';
import { concatF32, firstAudible, lastAudible } from '../audio/pcm.ts';
import { TruePeakLimiter } from '../audio/true-peak-limiter.ts';

/**
 * Shapes one narration's synthesized audio on its way to the FIFO, so chunks synthesized one by
 * one sound like one reading at broadcast loudness (issue 12):
 *
 * 1. **Trim.** Each chunk's leading and trailing silence (samples under `silenceThreshold`) is cut,
 *    keeping {@link EDGE_GUARD_MS} before the first and after the last audible sample so soft
 *    onsets and decays survive. The leading trim only drops samples, so audio reaches the FIFO no
 *    later than untrimmed (TTFA does not grow).
 * 2. **Pause.** After a chunk that is not the narration's last, silence is appended at once so the gap
 *    between the two chunks' audible samples is the engine's own pause at that kind of boundary
 *    (`pauseMs(boundary)`, measured per engine and voice by VoiceProfiles).
 * 3. **Join fades.** {@link SEAM_MS} raised-cosine ramps at every chunk edge (see clock/seams.ts):
 *    a chunk cut at a word boundary by a continuation read-ahead may end mid-voicing.
 * 4. **Loudness.** A fixed gain for the whole narration (from the voice's calibration: no change
 *    mid-narration, so no pumping) and a look-ahead true-peak limiter at the ceiling.
 *
 * The trailing silence of a chunk is held back until audible audio of the same chunk follows or
 * the chunk ends, so a pause inside a chunk passes untouched and only edge silence is replaced.
 * Output: mono f32 blocks in [-1, 1] at the engine's rate, tagged with the chunk they belong to
 * (an inserted pause belongs to the chunk before it, so captions switch when the next chunk's
 * first sound plays).
 *
 * With seams off, only the join fades apply (the pre-issue-12 behaviour); with loudness off, no
 * gain or limiter. Not thread-safe; one instance per narration.
 */
export class NarrationShaper {
  private readonly sampleRate: number;
  /** Linear gain of the whole narration. */
  private readonly gain: number;
  /** Samples kept before a chunk's first and after its last audible sample ({@link EDGE_GUARD_MS}). */
  private readonly guard: number;
  private readonly fadeLen: number;
  /** Samples above this are audible; −1 with seams off (nothing is trimmed). */
  private readonly threshold: number;
  private readonly limiter: TruePeakLimiter | null;
  /** Meter of the audio before the gain (the voice's own loudness, for its calibration); null when not metering. */
  readonly inputMeter: LoudnessMeter | null;
  /** Meter of what leaves for the FIFO (after gain and limiter); null when not metering. */
  readonly outputMeter: LoudnessMeter | null;
  private chunk = -1;
  /** Chunk the last delivered samples belonged to (the limiter's flushed tail goes with it). */
  private lastChunk = 0;
  /** Still dropping the current chunk's leading silence. */
  private leading = true;
  /** The last ≤ guard silent samples seen while trimming (kept before the first audible one). */
  private leadGuard: Float32Array = new Float32Array(0);
  /** The current chunk's newest samples, held back: ≥ one fade length, and any trailing silence. */
  private held: Float32Array = new Float32Array(0);
  /** How many of `held`'s first samples reach up to the last audible one. */
  private heldAudible = 0;
  /** Position in the current chunk's join fade-in (samples faded so far). */
  private fadeInPos = 0;
  /** Some audio left already (a pause is only owed after audio). */
  private delivered = false;

  /**
   * @param options.sampleRate Hz
   * @param options.seams trim and insert pauses (false: join fades only)
   * @param options.silenceThreshold linear amplitude under which a sample counts as silence, in [0, 1)
   * @param options.gain linear gain applied to the whole narration (1 = none)
   * @param options.ceilingDbtp true-peak ceiling, dBTP; null = no limiter
   * @param options.meter measure loudness before the gain and after the limiter (BS.1770, ~1 ms of CPU per second of audio each)
   * @param emit receives shaped blocks in order (chunk index, samples); the samples are the receiver's
   * @throws RangeError for a bad rate, threshold or gain
   */
  constructor(
    options: {
      readonly sampleRate: number;
      readonly seams: boolean;
      readonly silenceThreshold: number;
      readonly gain: number;
      readonly ceilingDbtp: number | null;
      readonly meter: boolean;
    },
    private readonly emit: (chunkIndex: number, samples: Float32Array) => void,
  ) {
    const { sampleRate, silenceThreshold, gain } = options;
    if (!(sampleRate > 0)) throw new RangeError(`NarrationShaper sampleRate must be > 0 Hz, got ${sampleRate}`);
    if (!(silenceThreshold >= 0 && silenceThreshold < 1)) throw new RangeError(`NarrationShaper silenceThreshold must be in [0, 1), got ${silenceThreshold}`);
    if (!(gain > 0 && Number.isFinite(gain))) throw new RangeError(`NarrationShaper gain must be a positive finite number, got ${gain}`);
    this.sampleRate = sampleRate;
    this.gain = gain;
    this.threshold = options.seams ? silenceThreshold : -1;
    this.guard = Math.round((EDGE_GUARD_MS * sampleRate) / 1000);
    this.fadeLen = rampSamples(SEAM_MS, sampleRate);
    this.limiter = options.ceilingDbtp === null ? null : new TruePeakLimiter({ sampleRate, ceilingDbtp: options.ceilingDbtp });
    this.inputMeter = options.meter ? new LoudnessMeter(sampleRate) : null;
    this.outputMeter = options.meter ? new LoudnessMeter(sampleRate) : null;
  }

  /**
   * Takes a block of chunk `chunkIndex` (mono f32; blocks arrive in chunk order; not modified).
   * A block of a new chunk ends the previous one without a pause unless {@link endChunk} gave one.
   */
  push(chunkIndex: number, block: Float32Array): void {
    if (block.length === 0) return;
    if (chunkIndex !== this.chunk) this.startChunk(chunkIndex);
    // A long block (an engine that yields a whole chunk at once) goes out slice by slice, so its
    // first audio reaches the FIFO after one slice's work, not the whole block's.
    for (let at = 0; at < block.length; at += SLICE_SAMPLES) this.pushSlice(block.subarray(at, at + SLICE_SAMPLES));
  }

  private pushSlice(block: Float32Array): void {
    let audio: Float32Array = block;
    if (this.leading) {
      const first = firstAudible(block, this.threshold);
      if (first < 0) {
        this.leadGuard = lastSamples(this.leadGuard, block, this.guard);
        return;
      }
      this.leading = false;
      const before = block.subarray(Math.max(0, first - this.guard), first);
      const fromGuard = this.leadGuard.subarray(Math.max(0, this.leadGuard.length - (this.guard - before.length)));
      audio = concatF32([fromGuard, before, block.subarray(first)]);
      this.leadGuard = new Float32Array(0);
    }
    const all = concatF32([this.held, audio]);
    const last = lastAudible(all, this.threshold);
    if (last < this.heldAudible) {
      this.held = all; // more trailing silence (or a pause inside the chunk, if audio follows)
      return;
    }
    // Keep the newest fade length back (the chunk may end here and need its fade-out) and any silence after the last audible sample.
    const cut = Math.max(0, Math.min(last + 1, all.length - this.fadeLen));
    this.held = all.slice(cut);
    this.heldAudible = last + 1 - cut;
    if (cut > 0) this.deliver(this.chunk, this.fadeInHead(all.slice(0, cut)));
  }

  /**
   * Chunk `chunkIndex` is complete; `pauseAfterMs` of silence separates it from the next chunk's
   * audible audio if one comes (0: none). Its held tail is trimmed and faded out now.
   */
  endChunk(chunkIndex: number, pauseAfterMs: number): void {
    if (chunkIndex !== this.chunk) return; // a chunk that yielded no audio
    const keptSilence = this.finishTail();
    if (this.threshold >= 0 && pauseAfterMs > 0 && this.delivered) {
      // Sent now, not when the next chunk sounds: the FIFO has the pause to play while that chunk synthesizes.
      // The guards kept on either side of the seam are (near-)silence already: the pause makes up the rest.
      const samples = Math.round((pauseAfterMs * this.sampleRate) / 1000) - keptSilence - this.guard;
      if (samples > 0) this.deliver(chunkIndex, new Float32Array(samples));
    }
    this.chunk = -1;
  }

  /** The narration's audio is complete: the last tail and the limiter's look-ahead go out. */
  end(): void {
    if (this.chunk >= 0) this.finishTail();
    this.chunk = -1;
    if (this.limiter) {
      const rest = this.limiter.flush();
      if (rest.length > 0) {
        this.outputMeter?.push(rest);
        this.emit(this.lastChunk, rest);
      }
    }
  }

  private startChunk(chunkIndex: number): void {
    if (this.chunk >= 0) this.endChunk(this.chunk, 0);
    this.chunk = chunkIndex;
    this.leading = true;
    this.leadGuard = new Float32Array(0);
    this.held = new Float32Array(0);
    this.heldAudible = 0;
    this.fadeInPos = 0;
  }

  /**
   * Sends the current chunk's held tail, cut to its audible part + guard, faded out.
   * @returns samples of silence kept after the last audible one
   */
  private finishTail(): number {
    const audible = this.heldAudible;
    const keep = this.threshold < 0 ? this.held.length : Math.min(this.held.length, audible + this.guard);
    const tail = this.fadeInHead(this.held.slice(0, keep));
    const n = Math.min(this.fadeLen, tail.length);
    // Raised-cosine fade-out over the last n samples (a chunk shorter than a ramp gets a shorter one).
    for (let i = 0; i < n; i++) tail[tail.length - n + i]! *= fadeInGain(n - 1 - i, n);
    this.held = new Float32Array(0);
    this.heldAudible = 0;
    this.deliver(this.chunk, tail);
    return Math.max(0, keep - audible);
  }

  private fadeInHead(samples: Float32Array): Float32Array {
    for (let i = 0; this.fadeInPos < this.fadeLen && i < samples.length; i++, this.fadeInPos++) {
      samples[i]! *= fadeInGain(this.fadeInPos, this.fadeLen);
    }
    return samples;
  }

  /** Meters, gain and limiter, then out. */
  private deliver(chunk: number, samples: Float32Array): void {
    if (samples.length === 0) return;
    this.delivered = true;
    this.lastChunk = chunk;
    this.inputMeter?.push(samples);
    if (this.gain !== 1) for (let i = 0; i < samples.length; i++) samples[i]! *= this.gain;
    const out = this.limiter ? this.limiter.process(samples) : samples;
    if (out.length === 0) return;
    this.outputMeter?.push(out);
    this.emit(chunk, out);
  }
}

/** Longest piece shaped at once, samples (~93 ms at 22 050 Hz; espeak-ng's blocks are ~100 ms). */
const SLICE_SAMPLES = 2048;

/** Audio kept before a chunk's first and after its last audible sample, ms: soft onsets (/h/, /f/) and decays start under the threshold. */
export const EDGE_GUARD_MS = 10;

/** The last `n` samples of `a` followed by `b`. */
function lastSamples(a: Float32Array, b: Float32Array, n: number): Float32Array {
  if (b.length >= n) return b.slice(b.length - n);
  const keepA = Math.min(a.length, n - b.length);
  return concatF32([a.subarray(a.length - keepA), b]);
}

