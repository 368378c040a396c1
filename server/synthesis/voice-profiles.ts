import type { Logger } from 'pino';
import { continuationOf } from '../text/continuation.ts';
import { CALIBRATION } from './calibration-text.ts';
import { pauseKeyOf, type PauseKey } from '../text/pause-keys.ts';
import { parseLanguage } from '../text/speech-rules.ts';
import { LoudnessMeter } from '../audio/loudness-meter.ts';
import { TruePeakLimiter } from '../audio/true-peak-limiter.ts';
import { concatF32, firstAudible, lastAudible } from '../audio/pcm.ts';
import type { TtsChunk, TtsEngine } from './tts-engine.ts';

/**
 * What a narration needs to know about its engine + voice to sound like one reading at the
 * loudness target: the pause the voice makes at each kind of chunk boundary when it reads a text
 * in one go, and its own loudness. Measured, not assumed (issue 12: "measure it per engine and
 * voice; don't hard-code espeak's 300 ms").
 */
export interface VoiceProfile {
  /** Gap between audible samples after each kind of chunk end in a one-call reading, ms. */
  readonly pausesMs: Readonly<Record<PauseKey, number>>;
  /**
   * What a quotation mark at a seam adds to its pause, ms (espeak-ng: `evening. | "You want` 414 ms
   * against 304 without the quote; `cellar," | she says` 272 against 162).
   */
  readonly quoteMs: number;
  /** The voice's integrated loudness before any gain, LUFS (ITU-R BS.1770); null until measured. */
  readonly loudnessLufs: number | null;
  /** Whether the pauses come from a calibration of this voice (false: defaults). */
  readonly measured: boolean;
  /**
   * Loudness the limiter takes off this voice at the target, dB (its peaks stand far above its
   * loudness: espeak-ng en ~1.5 dB); the gain is raised by it. Measured on the calibration text.
   */
  readonly limiterLossDb: number;
}

/**
 * Pauses used before a voice is calibrated, ms: espeak-ng's en-us at 175 wpm as measured by
 * {@link VoiceProfiles.calibrate} (sentence 301–350 ms in the one-call readings, clause and
 * conjunction from the calibration text); only a first narration racing its voice's calibration uses them.
 */
export const DEFAULT_PAUSES_MS: Readonly<Record<PauseKey, number>> = {
  period: 313, question: 313, exclamation: 351, semicolon: 238, comma: 162, conjunction: 110, forced: 20,
};

/** Quote extra before a voice is calibrated, ms (espeak-ng en-us, see {@link VoiceProfile.quoteMs}). */
export const DEFAULT_QUOTE_MS = 110;


/** Under the voice's loudness by this much, a sample is silence (espeak-ng at −21 LUFS: −46 dBFS, ≥ 40 dB under its speech peaks). */
export const SILENCE_BELOW_LOUDNESS_DB = 25;

/** Silence threshold before the voice's loudness is known: −46 dBFS. */
const DEFAULT_SILENCE_THRESHOLD = 10 ** (-46 / 20);

/**
 * How far from the predicted seam its silence may start, ms: a chunk read alone ends a little
 * longer than inside the sentence (final lengthening: ~90 ms on espeak-ng's "dark" before "and").
 */
const SEAM_SEARCH_MS = 120;

/** Calibration seams whose one-call readings give the voice's loudness (stage 1: what a first narration waits for). */
const LOUDNESS_SEAMS = 3;

/** Most voices remembered per engine; the least recently used is forgotten beyond it. */
const MAX_PROFILES = 64;

/** Most loudness the limiter may be credited with taking off (and the gain raised for), dB. */
const MAX_CORRECTION_DB = 4;

/** How much measured speech the loudness estimate averages over, seconds (older narrations fade out). */
const LOUDNESS_MEMORY_SECONDS = 120;

interface Entry {
  profile: VoiceProfile;
  /** Speech seconds behind `profile.loudnessLufs`, capped at LOUDNESS_MEMORY_SECONDS. */
  weightSeconds: number;
  /** Output loudness error the limiter leaves (target − measured output), dB, averaged like the loudness. */
  correctionDb: number;
  calibrating?: Promise<VoiceProfile>;
  /** {@link VoiceProfiles.ready} callers to wake when the calibration settles. */
  readonly waiters: Set<() => void>;
}

/**
 * Per engine: each voice's {@link VoiceProfile}, calibrated on first use (the configured voice at
 * start-up) by synthesizing a short text once in one call and once chunk by chunk, and refined as
 * narrations play (their measured loudness). Gains and thresholds for NarrationShaper come from here.
 *
 * Calibration (engine-neutral, the bench's method): the one-call reading's audible stretches are
 * aligned chunk by chunk (each chunk's audible length from its own synthesis), and the silence run
 * at each seam is that boundary's pause.
 */
export class VoiceProfiles {
  private readonly entries = new Map<string, Entry>();
  /** The first voice calibrated (the configured one): stands in for a voice still calibrating. */
  private fallback: Entry | undefined;
  private closed = false;

  /**
   * @param engine the engine the voices belong to (initialized)
   * @param language narration language; `pt*` calibrates with Portuguese text, others with English
   * @param targetLufs loudness target, LUFS
   * @param ceilingDbtp the narrations' true-peak limiter ceiling, dBTP; null = no limiter
   */
  constructor(
    private readonly engine: TtsEngine,
    private readonly language: string,
    private readonly targetLufs: number,
    private readonly ceilingDbtp: number | null,
    private readonly log: Logger,
  ) {}

  /**
   * The voice's profile now; starts its calibration on first ask. While it calibrates, what is not
   * measured yet (its loudness, then its pauses) comes from the first voice calibrated, else defaults.
   * @param voice engine voice; undefined = the engine's default for the language
   */
  get(voice: string | undefined): VoiceProfile {
    const entry = this.entry(voice);
    if (!entry.profile.measured && !entry.calibrating) void this.calibrate(voice);
    if (entry.profile.measured || !this.fallback) return entry.profile;
    const { pausesMs, quoteMs } = this.fallback.profile;
    return { ...entry.profile, pausesMs, quoteMs };
  }

  /**
   * Calibrates the voice (once; later calls return the same promise), in two stages so a first
   * narration waits for the least: its loudness (3 calibration seams read in one call), then its
   * pauses. The work between engine calls is a few ms at a time (the limiter pass yields).
   * @returns the measured profile; on failure the defaults stay and the error is logged, not thrown
   */
  calibrate(voice: string | undefined): Promise<VoiceProfile> {
    const entry = this.entry(voice);
    if (entry.profile.measured || (this.closed && !entry.calibrating)) return Promise.resolve(entry.profile);
    const wake = () => {
      for (const w of [...entry.waiters]) w();
    };
    entry.calibrating ??= this.measure(voice, entry, wake)
      .then(() => {
        this.fallback ??= entry;
        const p = entry.profile;
        this.log.info({ engine: this.engine.name, voice: voice ?? '(default)', ...p.pausesMs, quoteMs: p.quoteMs, loudnessLufs: round1(p.loudnessLufs) }, 'voice calibrated');
        wake();
        return p;
      })
      .catch((err: unknown) => {
        // After close() the engine going away mid-calibration is expected, not a fault to warn about.
        this.log[this.closed ? 'debug' : 'warn']({ engine: this.engine.name, voice, err: (err as Error).message }, 'voice calibration failed; default pauses and no loudness gain');
        entry.profile = { ...entry.profile, measured: true };
        wake();
        return entry.profile;
      });
    return entry.calibrating;
  }

  /**
   * Resolves once the voice's loudness is measured (starting its calibration), or after `maxWaitMs`,
   * whichever comes first; never rejects. A narration in a voice used for the first time waits
   * here so it already gets the voice's own loudness and pauses (espeak-ng: a few hundred ms, once).
   * @param signal stops waiting when it aborts (a cancelled narration)
   * @param stage what to wait for: its loudness (a first narration), or its pauses too (start-up)
   */
  ready(voice: string | undefined, maxWaitMs: number, signal?: AbortSignal, stage: 'loudness' | 'all' = 'loudness'): Promise<void> {
    const entry = this.entry(voice);
    const reached = () => entry.profile.measured || (stage === 'loudness' && entry.profile.loudnessLufs !== null);
    if (reached() || signal?.aborted || this.closed) return Promise.resolve();
    void this.calibrate(voice);
    // A waiter set, not a race on the calibration's promise: a cancelled narration's wait must let go
    // of it at once (a race leaves a reaction on the shared promise that holds the waiter until it settles).
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        entry.waiters.delete(wake);
        resolve();
      };
      const wake = (): void => {
        if (reached() || this.closed) done();
      };
      const timer = setTimeout(done, maxWaitMs);
      signal?.addEventListener('abort', done, { once: true });
      entry.waiters.add(wake);
    });
  }

  /** Linear gain that brings the voice to the target (1 while its loudness is unknown). */
  gain(voice: string | undefined): number {
    const entry = this.usable(this.entry(voice));
    const l = entry.profile.loudnessLufs;
    if (l === null || !Number.isFinite(l)) return 1;
    return 10 ** ((this.targetLufs - l + entry.correctionDb) / 20);
  }

  /** Linear amplitude under which the voice's samples are silence (before gain). */
  silenceThreshold(voice: string | undefined): number {
    const l = this.usable(this.entry(voice)).profile.loudnessLufs;
    if (l === null || !Number.isFinite(l)) return DEFAULT_SILENCE_THRESHOLD;
    return 10 ** ((l - SILENCE_BELOW_LOUDNESS_DB) / 20);
  }

  /**
   * Refines the voice's loudness from a narration that played: its loudness before the gain, the
   * gain it got, and its loudness after the limiter, over `seconds` of gated speech. Both the
   * loudness and the limiter's loss (before + gain − after) are duration-weighted averages over the
   * last {@link LOUDNESS_MEMORY_SECONDS} s of speech (energy domain for the loudness); the next
   * narration's gain uses them, never the one playing (no gain change mid-narration).
   */
  observe(voice: string | undefined, m: { inputLufs: number; outputLufs: number; gainDb: number; seconds: number }): void {
    if (!(m.seconds > 0) || !Number.isFinite(m.inputLufs)) return;
    const entry = this.entry(voice);
    const known = entry.profile.loudnessLufs;
    const total = Math.min(LOUDNESS_MEMORY_SECONDS, entry.weightSeconds + m.seconds);
    const keep = known === null ? 0 : Math.max(0, (total - m.seconds) / total);
    const energy = (lufs: number) => 10 ** (lufs / 10);
    const mixed = known === null ? m.inputLufs : 10 * Math.log10(energy(known) * keep + energy(m.inputLufs) * (1 - keep));
    entry.profile = { ...entry.profile, loudnessLufs: mixed };
    if (Number.isFinite(m.outputLufs)) {
      const loss = Math.max(0, Math.min(MAX_CORRECTION_DB, m.inputLufs + m.gainDb - m.outputLufs));
      entry.correctionDb = entry.correctionDb * keep + loss * (1 - keep);
    }
    entry.weightSeconds = total;
  }

  /**
   * The engine is closing: no calibration starts any more, waiters are released, and one cut short
   * by the engine's close is not reported as a failure.
   */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) for (const wake of [...entry.waiters]) wake();
  }

  /** Profiles known, for health output. */
  get size(): number {
    return this.entries.size;
  }

  /** The voice's own entry once it has a loudness or is calibrated, else the first calibrated voice's (same engine: the closest guess). */
  private usable(entry: Entry): Entry {
    if (entry.profile.measured || entry.profile.loudnessLufs !== null || !this.fallback) return entry;
    return this.fallback;
  }

  private entry(voice: string | undefined): Entry {
    const key = voice ?? '';
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, entry);
      return entry;
    }
    entry = { profile: { pausesMs: { ...DEFAULT_PAUSES_MS }, quoteMs: DEFAULT_QUOTE_MS, loudnessLufs: null, measured: false, limiterLossDb: 0 }, weightSeconds: 0, correctionDb: 0, waiters: new Set() };
    this.entries.set(key, entry);
    if (this.entries.size > MAX_PROFILES) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /**
   * Measures pauses and loudness from the calibration text: for each seam, the two chunks read in
   * one call, and the first read alone as the pipeline reads it (with its continuation). Both start
   * at the same point, so the first chunk's audible length places the seam in the one-call reading
   * exactly; the longest silence run there is the pause. (Walking one long reading seam by seam
   * drifts: measured, espeak's forced-cut seam threw the later ones off by a whole word.)
   */
  private async measure(voice: string | undefined, entry: Entry, loudnessKnown: () => void): Promise<void> {
    const { seams, quoted } = CALIBRATION[parseLanguage(this.language).base === 'pt' ? 'pt' : 'en'];
    const rate = this.engine.sampleRate;
    const all = [...seams, quoted];
    const pairs: Float32Array[] = [];
    const pair = async (i: number) => (pairs[i] ??= await this.synthesize(`${all[i]![0].spoken} ${all[i]![1].spoken}`, undefined, voice));
    // Stage 1, loudness: the first LOUDNESS_SEAMS pairs (~7 s of speech with espeak-ng).
    const meter = new LoudnessMeter(rate);
    for (let i = 0; i < LOUDNESS_SEAMS; i++) meter.push(await pair(i));
    const measured = meter.integratedLufs();
    const loudnessLufs = Number.isFinite(measured) ? measured : null;
    if (loudnessLufs !== null) {
      const limiterLossDb = await this.limiterLoss(concatF32(pairs.slice(0, LOUDNESS_SEAMS)), loudnessLufs);
      entry.profile = { ...entry.profile, loudnessLufs, limiterLossDb };
      entry.correctionDb = limiterLossDb;
      loudnessKnown();
    }
    // Stage 2, pauses: each seam's pair next to its first chunk read alone (see the class comment).
    const threshold = loudnessLufs === null ? DEFAULT_SILENCE_THRESHOLD : 10 ** ((loudnessLufs - SILENCE_BELOW_LOUDNESS_DB) / 20);
    const pauseOf = async (i: number): Promise<number> => {
      const [a, b] = all[i]!;
      const whole = await pair(i);
      const alone = await this.synthesize(a.spoken, continuationOf(a, b), voice);
      const first = firstAudible(alone, threshold);
      const start = firstAudible(whole, threshold);
      if (first < 0 || start < 0) throw new Error(`the engine produced no audible audio for "${a.spoken}"`);
      const predicted = start + lastAudible(alone, threshold) + 1 - first;
      const run = longestSilence(whole, threshold, predicted, Math.round((rate * SEAM_SEARCH_MS) / 1000), rate);
      return run ? Math.round((run.length * 1000) / rate) : 0;
    };
    const pausesMs: Record<PauseKey, number> = { ...DEFAULT_PAUSES_MS };
    for (let i = 0; i < seams.length; i++) {
      const [a] = seams[i]!;
      pausesMs[pauseKeyOf({ boundary: a.boundary, text: a.spoken })!] = await pauseOf(i);
    }
    const quoteMs = Math.max(0, (await pauseOf(seams.length)) - pausesMs.period);
    entry.profile = { ...entry.profile, pausesMs, quoteMs, measured: true };
  }

  /**
   * What the limiter takes off `audio` (loudness `lufs`) once it is raised to the target, dB: the
   * gain is raised by the loss and measured again, 3 rounds (each round's limiting is deeper).
   */
  private async limiterLoss(audio: Float32Array, lufs: number): Promise<number> {
    if (this.ceilingDbtp === null) return 0;
    let loss = 0;
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve)); // ~20 ms of work per round: let the game loop run between
      const gain = 10 ** ((this.targetLufs - lufs + loss) / 20);
      const limiter = new TruePeakLimiter({ sampleRate: this.engine.sampleRate, ceilingDbtp: this.ceilingDbtp });
      const meter = new LoudnessMeter(this.engine.sampleRate);
      meter.push(limiter.process(audio.map((v) => v * gain)));
      meter.push(limiter.flush());
      const out = meter.integratedLufs();
      if (!Number.isFinite(out)) return loss;
      loss = Math.max(0, Math.min(MAX_CORRECTION_DB, loss + this.targetLufs - out));
    }
    return loss;
  }

  private async synthesize(text: string, continuation: string | undefined, voice: string | undefined): Promise<Float32Array> {
    const chunk: TtsChunk = { narrationId: 'calibration', index: 0, text, language: this.language, continuation };
    const parts: Float32Array[] = [];
    for await (const block of this.engine.synthesize(chunk, voice, new AbortController().signal)) parts.push(block);
    return concatF32(parts);
  }
}

function round1(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}

/** Shortest run of sub-threshold samples that counts as a pause, ms: shorter ones are zero crossings and stop closures' edges. */
const MIN_PAUSE_MS = 3;

/**
 * The longest run of samples ≤ `t` that overlaps [center − radius, center + radius], or null.
 * Runs shorter than {@link MIN_PAUSE_MS} are ignored. Positions and lengths in samples; `sampleRate` in Hz.
 */
export function longestSilence(x: Float32Array, t: number, center: number, radius: number, sampleRate: number): { start: number; length: number } | null {
  const lo = Math.max(0, center - radius);
  const hi = Math.min(x.length, center + radius);
  const minRun = Math.round((MIN_PAUSE_MS * sampleRate) / 1000);
  let best: { start: number; length: number } | null = null;
  // Extend to the runs that straddle the window's edges.
  let i = lo;
  while (i > 0 && Math.abs(x[i - 1]!) <= t) i--;
  while (i < hi) {
    if (Math.abs(x[i]!) > t) {
      i++;
      continue;
    }
    const start = i;
    while (i < x.length && Math.abs(x[i]!) <= t) i++;
    const length = i - start;
    if (length >= minRun && (!best || length > best.length)) best = { start, length };
  }
  return best;
}
