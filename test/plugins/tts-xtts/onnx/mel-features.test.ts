import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as wavefileNs from 'wavefile';
import {
  CONDITIONING_MEL_FLOOR,
  conditioningLogMel,
  SPEAKER_MEL_OFFSET,
  speakerLogMel,
} from '../../../../plugins/tts-xtts/onnx/mel-features.ts';
import { readNpyF32 } from '../../../../plugins/tts-xtts/onnx/npy.ts';

const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);
const REF = 'test/fixtures/xtts-onnx/reference';
const TINY = 'test/fixtures/xtts-onnx/tiny';

const ones80 = new Float32Array(80).fill(1);

function tone(hz: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(sampleRate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
}

/** Band whose HTK triangle peaks nearest `hz` (centres equally spaced in mel between fMin and fMax). */
function nearestBand(hz: number, nMels: number, fMax: number): number {
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const step = mel(fMax) / (nMels + 1);
  return Math.round(mel(hz) / step) - 1;
}

/** Band with the largest mean value over the middle frames (away from the reflect-padded edges). */
function loudestBand(data: Float32Array, bands: number, frames: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let m = 0; m < bands; m++) {
    let sum = 0;
    for (let t = 2; t < frames - 2; t++) sum += data[m * frames + t]!;
    if (sum > bestValue) [best, bestValue] = [m, sum];
  }
  return best;
}

function readWavFloat(path: string): Float32Array {
  const wav = new WaveFile(readFileSync(path));
  const ints = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  return Float32Array.from(ints, (v) => v / 32768); // torchaudio.load's int16 scaling
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('XTTS mel features', () => {
  it('gives 1 + floor(samples / hop) frames (torchaudio with center=True)', () => {
    for (const n of [300, 1024, 22_050, 22_050 * 4 + 100]) {
      expect(conditioningLogMel(new Float32Array(n), ones80).frames, `cond ${n}`).to.equal(1 + Math.floor(n / 256));
    }
    for (const n of [2, 159, 160, 16_000, 16_123]) {
      expect(speakerLogMel(new Float32Array(n)).frames, `spk ${n}`).to.equal(1 + Math.floor(n / 160));
    }
  });

  it('lays the conditioning mel out band-major: 80 rows of `frames` values', () => {
    const mel = conditioningLogMel(tone(500, 22_050, 0.5), ones80);
    expect(mel.bands).to.equal(80);
    expect(mel.data.length).to.equal(80 * mel.frames);
  });

  it('reads silence as log(1e-5) divided by each band\'s mel_stats value', () => {
    const stats = Float32Array.from({ length: 80 }, (_, i) => 1 + i / 10);
    const mel = conditioningLogMel(new Float32Array(4096), stats);
    for (const m of [0, 41, 79]) {
      expect(mel.data[m * mel.frames + 3]).to.be.closeTo(Math.log(CONDITIONING_MEL_FLOOR) / stats[m]!, 1e-6);
    }
  });

  it('reads silence as log(1e-6) in the speaker mel', () => {
    const mel = speakerLogMel(new Float32Array(1600));
    expect(Array.from(mel.data).every((v) => Math.abs(v - Math.log(SPEAKER_MEL_OFFSET)) < 1e-6)).to.equal(true);
  });

  it('puts a pure tone in the mel band centred nearest its frequency', () => {
    for (const hz of [300, 1000, 4000]) {
      const cond = conditioningLogMel(tone(hz, 22_050, 0.5), ones80);
      expect(loudestBand(cond.data, 80, cond.frames), `cond ${hz} Hz`).to.equal(nearestBand(hz, 80, 8000));
      const spk = speakerLogMel(tone(hz, 16_000, 0.5));
      expect(loudestBand(spk.data, 64, spk.frames), `spk ${hz} Hz`).to.equal(nearestBand(hz, 64, 8000));
    }
  });

  it('grows with the signal: 10× the amplitude adds log(100) to a tone band', () => {
    const quiet = speakerLogMel(tone(1000, 16_000, 0.3, 0.01));
    const loud = speakerLogMel(tone(1000, 16_000, 0.3, 0.1));
    const band = nearestBand(1000, 64, 8000);
    const t = 10;
    expect(loud.data[band * loud.frames + t]! - quiet.data[band * quiet.frames + t]!).to.be.closeTo(Math.log(100), 1e-3);
  });

  it('handles signals shorter than half an FFT frame (reflection folded) with finite values', () => {
    const mel = conditioningLogMel(tone(440, 22_050, 0.01), ones80);
    expect(mel.frames).to.equal(1 + Math.floor(221 / 256));
    expect(Array.from(mel.data).every(Number.isFinite)).to.equal(true);
  });

  it('rejects empty input and mel_stats that do not hold 80 values', () => {
    expect(() => conditioningLogMel(new Float32Array(0), ones80)).to.throw(RangeError, /empty/);
    expect(() => conditioningLogMel(new Float32Array(512), new Float32Array(79))).to.throw(RangeError, /80 values, got 79/);
    expect(() => speakerLogMel(new Float32Array(1))).to.throw(RangeError, /at least 2 samples/);
  });

  it('computes 30 s of audio quickly (time logged; bound generous for slow CI)', () => {
    const t0 = performance.now();
    const cond = conditioningLogMel(tone(220, 22_050, 30), ones80);
    const t1 = performance.now();
    const spk = speakerLogMel(tone(220, 16_000, 30));
    const t2 = performance.now();
    console.log(`      30 s: conditioning log-mel ${(t1 - t0).toFixed(0)} ms, speaker log-mel ${(t2 - t1).toFixed(0)} ms`);
    expect(cond.frames).to.equal(1 + Math.floor((22_050 * 30) / 256));
    expect(spk.frames).to.equal(1 + Math.floor((16_000 * 30) / 160));
    expect(t2 - t0).to.be.lessThan(10_000);
  });

  describe('against the PyTorch/torchaudio references', function () {
    before(function () {
    });

    it('matches mel_cond.npy (first 4 s of ref.wav) within 1e-4 on the normalised log values', async () => {
      const ref = await readNpyF32(`${REF}/mel_cond.npy`, 2);
      const stats = await readNpyF32(`${TINY}/mel_stats.npy`, 1);
      const mel = conditioningLogMel(readWavFloat(`${REF}/ref.wav`).subarray(0, 22_050 * 4), stats.data);
      expect([mel.bands, mel.frames]).to.deep.equal(ref.shape);
      expect(maxAbsDiff(mel.data, ref.data)).to.be.lessThan(1e-4); // measured 1.6e-5
    });

    it('matches spk_mel.npy (ref-16000.wav) within 1e-3 on the log values', async () => {
      const ref = await readNpyF32(`${REF}/spk_mel.npy`, 2);
      const mel = speakerLogMel(readWavFloat(`${REF}/ref-16000.wav`));
      expect([mel.bands, mel.frames]).to.deep.equal(ref.shape);
      expect(maxAbsDiff(mel.data, ref.data)).to.be.lessThan(1e-3); // measured 1.2e-4
    });
  });
});
