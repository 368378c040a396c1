import FFT from 'fft.js';

/**
 * XTTS-v2's two log-mel front ends, computed as torchaudio does them (float64 here, float32 in
 * torch; agreement on the log values is well inside 1e-3):
 * - conditioning: Coqui `wav_to_mel_cloning` (TTS/tts/models/xtts.py) called from
 *   `Xtts.get_gpt_cond_latents` with n_fft 2048, hop 256, win 1024, 80 mels, norm "slaney";
 * - speaker: Coqui `PreEmphasis` + `get_torch_mel_spectrogram_class` (TTS/encoder/models/base_encoder.py)
 *   and `log_input` (resnet.py `ResNetSpeakerEncoder.forward`) with the H/ASP audio config.
 *
 * torchaudio `MelSpectrogram` semantics reproduced: `Spectrogram(center=True, pad_mode="reflect",
 * power=2, normalized=False, onesided=True)` — the signal reflect-padded by n_fft/2 on both sides,
 * frames every `hop` samples, the `win_length` window zero-padded to n_fft and centred in the frame
 * (torch.stft) — then `MelScale` with `melscale_fbanks(n_fft/2+1, f_min, f_max, n_mels, sr, norm,
 * mel_scale="htk")`.
 */

/** One torchaudio MelSpectrogram configuration. */
interface MelConfig {
  sampleRate: number;
  nFft: number;
  winLength: number;
  hop: number;
  nMels: number;
  fMin: number;
  fMax: number;
  window: 'hann' | 'hamming';
  /** torchaudio `norm="slaney"`: each triangle scaled by 2 / (its width in Hz). */
  slaney: boolean;
}

/** `wav_to_mel_cloning` as XTTS-v2 calls it (sample rate 22 050 Hz). */
const CONDITIONING: MelConfig = {
  sampleRate: 22_050, nFft: 2048, winLength: 1024, hop: 256, nMels: 80, fMin: 0, fMax: 8000, window: 'hann', slaney: true,
};
/** H/ASP speaker encoder audio config (16 kHz, 25 ms Hamming window, 10 ms hop, f_max = sr/2). */
const SPEAKER: MelConfig = {
  sampleRate: 16_000, nFft: 512, winLength: 400, hop: 160, nMels: 64, fMin: 0, fMax: 8000, window: 'hamming', slaney: false,
};

/** Conditioning log-mel floor: Coqui `torch.clamp(mel, min=1e-5)` before the log. */
export const CONDITIONING_MEL_FLOOR = 1e-5;
/** Speaker log-mel offset: Coqui `torch.log(x + 1e-6)` (resnet.py `log_input`). */
export const SPEAKER_MEL_OFFSET = 1e-6;
/** Pre-emphasis coefficient of Coqui's speaker encoder (`PreEmphasis(coefficient=0.97)`). */
export const PRE_EMPHASIS = 0.97;

/** A log-mel spectrogram: `data` row-major [bands][frames] (band-major, as the ONNX inputs [1,bands,frames]). */
export interface LogMel<B extends number> {
  data: Float32Array;
  bands: B;
  frames: number;
}

/** A mel filter's non-zero stretch of FFT bins. */
interface MelFilter {
  firstBin: number;
  weights: Float64Array;
}

interface MelPlan {
  fft: FFT;
  /** Window zero-padded to nFft, centred (torch.stft). */
  window: Float64Array;
  filters: MelFilter[];
}

const plans = new Map<MelConfig, MelPlan>();

/** torchaudio `_hz_to_mel` / `_mel_to_hz` with mel_scale "htk". */
const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/**
 * torchaudio `melscale_fbanks` (htk): FFT bin frequencies `linspace(0, sr // 2, nFft/2+1)`, band
 * edges at `nMels + 2` points equally spaced in mel, triangles `max(0, min(down, up))`, optional
 * slaney area normalisation. Kept sparse since each triangle covers few bins.
 */
function melFilters(c: MelConfig): MelFilter[] {
  const nFreqs = c.nFft / 2 + 1;
  const nyquist = Math.floor(c.sampleRate / 2);
  const freqs = Array.from({ length: nFreqs }, (_, k) => (nyquist * k) / (nFreqs - 1));
  const mMin = hzToMel(c.fMin);
  const mMax = hzToMel(c.fMax);
  const fPts = Array.from({ length: c.nMels + 2 }, (_, i) => melToHz(mMin + ((mMax - mMin) * i) / (c.nMels + 1)));
  const filters: MelFilter[] = [];
  for (let m = 0; m < c.nMels; m++) {
    const [lo, mid, hi] = [fPts[m]!, fPts[m + 1]!, fPts[m + 2]!];
    const norm = c.slaney ? 2 / (hi - lo) : 1;
    const w: number[] = [];
    let first = -1;
    for (let k = 0; k < nFreqs; k++) {
      const f = freqs[k]!;
      const v = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) * norm;
      if (v > 0 && first < 0) first = k;
      if (first >= 0 && k >= first) w.push(v);
    }
    while (w.length > 0 && w[w.length - 1] === 0) w.pop();
    filters.push({ firstBin: Math.max(first, 0), weights: Float64Array.from(w) });
  }
  return filters;
}

function plan(c: MelConfig): MelPlan {
  let p = plans.get(c);
  if (p !== undefined) return p;
  const window = new Float64Array(c.nFft);
  const left = Math.floor((c.nFft - c.winLength) / 2);
  const [a, b] = c.window === 'hann' ? [0.5, 0.5] : [0.54, 0.46];
  // Periodic windows (torch.hann_window / hamming_window default periodic=True): divide by N, not N-1.
  for (let n = 0; n < c.winLength; n++) window[left + n] = a - b * Math.cos((2 * Math.PI * n) / c.winLength);
  p = { fft: new FFT(c.nFft), window, filters: melFilters(c) };
  plans.set(c, p);
  return p;
}

/** Index into x after torch "reflect" padding (edge sample not repeated), folded as often as needed. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

/**
 * Mel power spectrogram [nMels][frames], frames = 1 + floor(len / hop).
 * @throws RangeError on empty input (torch refuses it too)
 */
function melPower(x: ArrayLike<number>, c: MelConfig): { data: Float64Array; frames: number } {
  const n = x.length;
  if (n === 0) throw new RangeError('mel spectrogram of an empty signal: need at least one sample');
  const { fft, window, filters } = plan(c);
  const frames = 1 + Math.floor(n / c.hop);
  const half = c.nFft / 2;
  const left = Math.floor((c.nFft - c.winLength) / 2);
  const frame = new Float64Array(c.nFft);
  const spectrum = fft.createComplexArray() as number[];
  const power = new Float64Array(half + 1);
  const out = new Float64Array(c.nMels * frames);
  for (let t = 0; t < frames; t++) {
    const start = t * c.hop - half;
    for (let j = left; j < left + c.winLength; j++) {
      const i = start + j;
      frame[j] = x[i >= 0 && i < n ? i : reflect(i, n)]! * window[j]!;
    }
    fft.realTransform(spectrum, frame);
    for (let k = 0; k <= half; k++) power[k] = spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2;
    for (let m = 0; m < c.nMels; m++) {
      const { firstBin, weights } = filters[m]!;
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k]! * power[firstBin + k]!;
      out[m * frames + t] = acc;
    }
  }
  return { data: out, frames };
}

/**
 * Conditioning log-mel of XTTS-v2 (input of conditioning_encoder.onnx as [1, 80, frames]):
 * torchaudio MelSpectrogram(sr 22 050, n_fft 2048, hop 256, win 1024 periodic Hann, power 2,
 * center + reflect, 80 HTK mels 0–8000 Hz, norm "slaney") → `log(max(mel, 1e-5)) / melStats[band]`.
 * Coqui `wav_to_mel_cloning` passes norm="slaney" (the lead's brief said None; the code and the
 * fixture generator use slaney).
 * @param samples22k mono float samples in [-1, 1] at 22 050 Hz (Coqui feeds ≤ 4 s pieces).
 * @param melStats the 80 per-band divisors (`mel_stats.npy`).
 * @returns row-major [80][frames], frames = 1 + floor(samples / 256).
 * @throws RangeError when `samples22k` is empty or `melStats` does not hold 80 values.
 */
export function conditioningLogMel(samples22k: Float32Array, melStats: Float32Array): LogMel<80> {
  if (melStats.length !== CONDITIONING.nMels) {
    throw new RangeError(`mel_stats must hold ${CONDITIONING.nMels} values, got ${melStats.length}`);
  }
  const { data, frames } = melPower(samples22k, CONDITIONING);
  const out = new Float32Array(data.length);
  for (let m = 0; m < CONDITIONING.nMels; m++) {
    const stat = melStats[m]!;
    for (let t = 0; t < frames; t++) {
      const i = m * frames + t;
      out[i] = Math.log(Math.max(data[i]!, CONDITIONING_MEL_FLOOR)) / stat;
    }
  }
  return { data: out, bands: 80, frames };
}

/**
 * Speaker-encoder log-mel of XTTS-v2 (input of speaker_encoder.onnx as [1, 64, frames]):
 * pre-emphasis y[n] = x[n] − 0.97·x[n−1] with x[−1] := x[1] (Coqui PreEmphasis reflect-pads one
 * sample), then torchaudio MelSpectrogram(sr 16 000, n_fft 512, win 400 periodic Hamming, hop 160,
 * power 2, center + reflect, 64 HTK mels 0–8000 Hz, norm None) → `log(mel + 1e-6)`.
 * @param samples16k mono float samples in [-1, 1] at 16 000 Hz, at least 2 samples.
 * @returns row-major [64][frames], frames = 1 + floor(samples / 160).
 * @throws RangeError when fewer than 2 samples are given (the pre-emphasis reflection needs x[1]).
 */
export function speakerLogMel(samples16k: Float32Array): LogMel<64> {
  const n = samples16k.length;
  if (n < 2) throw new RangeError(`speaker log-mel needs at least 2 samples, got ${n}`);
  const emphasized = new Float64Array(n);
  emphasized[0] = samples16k[0]! - PRE_EMPHASIS * samples16k[1]!;
  for (let i = 1; i < n; i++) emphasized[i] = samples16k[i]! - PRE_EMPHASIS * samples16k[i - 1]!;
  const { data, frames } = melPower(emphasized, SPEAKER);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.log(data[i]! + SPEAKER_MEL_OFFSET);
  return { data: out, bands: 64, frames };
}
