import { expect } from 'chai';
import { LoudnessMeter, kWeightingCoefficients } from '../../../server/audio/loudness-meter.ts';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { seededRandom } from '../../../server/util/seeded-random.ts';
import { ffmpegLoudness, hasFfmpeg, libraryLoudness, type LoudnessFigures } from '../../support/loudness.ts';

/** Our meter on `samples`, pushed in 20 ms frames as the playout path would. */
function measure(samples: Float32Array, rate: number, frame = Math.round(rate / 50)): LoudnessMeter {
  const meter = new LoudnessMeter(rate);
  for (let at = 0; at < samples.length; at += frame) meter.push(samples.subarray(at, at + frame));
  return meter;
}

function sine(rate: number, seconds: number, hz: number, amplitude: number): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

/** Pink-ish noise: white noise through Paul Kellet's "refined" 1/f filter (−3 dB/octave within ±0.05 dB above 10 Hz at 44.1 kHz). */
function pinkNoise(rate: number, seconds: number, seed: number, gain = 0.11): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(Math.round(rate * seconds));
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < x.length; i++) {
    const w = 2 * rnd() - 1;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    x[i] = gain * (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
    b6 = w * 0.115926;
  }
  return x;
}

/**
 * Where gating matters: 1.5 s of pink noise, 1.5 s of digital silence (below the absolute gate),
 * 1.5 s of the noise 20 dB down (below the relative gate), four times over.
 */
function withGaps(rate: number): Float32Array {
  const parts: Float32Array[] = [];
  for (let k = 0; k < 4; k++) {
    const loud = pinkNoise(rate, 1.5, 10 + k);
    const soft = pinkNoise(rate, 1.5, 20 + k, 0.011);
    parts.push(loud, new Float32Array(Math.round(rate * 1.5)), soft);
  }
  return concatF32(parts);
}

/** K-weighted loudness of the whole signal's mean square, no gates: what the gated figure must differ from. */
function ungatedLufs(x: Float32Array, rate: number): number {
  const { shelf, highPass } = kWeightingCoefficients(rate);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0, z1 = 0, z2 = 0;
  let sum = 0;
  for (const x0 of x) {
    const y0 = shelf.b[0] * x0 + shelf.b[1] * x1 + shelf.b[2] * x2 - shelf.a[1] * y1 - shelf.a[2] * y2;
    const z0 = y0 - 2 * y1 + y2 - highPass.a[1] * z1 - highPass.a[2] * z2;
    x2 = x1; x1 = x0; y2 = y1; y1 = y0; z2 = z1; z1 = z0;
    sum += z0 * z0;
  }
  return -0.691 + 10 * Math.log10(sum / x.length);
}

const cases: { name: string; rate: number; make: () => Float32Array }[] = [
  { name: 'a 997 Hz sine at −6 dBFS, 22 050 Hz', rate: 22050, make: () => sine(22050, 10, 997, 0.5) },
  { name: 'a 997 Hz sine at −6 dBFS, 16 000 Hz', rate: 16000, make: () => sine(16000, 10, 997, 0.5) },
  { name: 'pink noise, 22 050 Hz', rate: 22050, make: () => pinkNoise(22050, 10, 1) },
  { name: 'pink noise, 16 000 Hz', rate: 16000, make: () => pinkNoise(16000, 10, 2) },
  { name: 'pink noise, 24 000 Hz', rate: 24000, make: () => pinkNoise(24000, 10, 3) },
  { name: 'noise with silent and soft gaps (gating matters), 22 050 Hz', rate: 22050, make: () => withGaps(22050) },
  { name: 'noise with silent and soft gaps (gating matters), 16 000 Hz', rate: 16000, make: () => withGaps(16000) },
];

describe('LoudnessMeter', function () {
  this.timeout(60_000);

  it('reproduces the BS.1770-4 K-weighting table at 48 kHz', () => {
    const k = kWeightingCoefficients(48000);
    const table = { shelfB: [1.53512485958697, -2.69169618940638, 1.19839281085285], shelfA: [1, -1.69065929318241, 0.73248077421585], highPassA: [1, -1.99004745483398, 0.99007225036621] };
    k.shelf.b.forEach((v, i) => expect(v).to.be.closeTo(table.shelfB[i]!, 1e-8));
    k.shelf.a.forEach((v, i) => expect(v).to.be.closeTo(table.shelfA[i]!, 1e-8));
    k.highPass.a.forEach((v, i) => expect(v).to.be.closeTo(table.highPassA[i]!, 1e-8));
    expect(k.highPass.b).to.deep.equal([1, -2, 1]);
  });

  it('reads a 0 dBFS 997 Hz sine at 48 kHz as −3.01 LUFS (BS.1770-4 §2.1 calibration)', () => {
    expect(measure(sine(48000, 5, 997, 1), 48000).integratedLufs()).to.be.closeTo(-3.01, 0.01);
  });

  for (const c of cases) {
    describe(`on ${c.name}`, () => {
      let samples: Float32Array;
      let ours: LoudnessMeter;
      let library: LoudnessFigures;

      before(async () => {
        samples = c.make();
        ours = measure(samples, c.rate);
        library = await libraryLoudness({ samples, sampleRate: c.rate });
      });

      it('agrees with libebur128 (ebur128-wasm) within 0.1 LU', () => {
        expect(ours.integratedLufs()).to.be.closeTo(library.integratedLufs, 0.1);
      });

      it('agrees with FFmpeg ebur128 within 0.1 LU, and FFmpeg with the library within 0.2 LU and 0.2 dB true peak', async function () {
        if (!hasFfmpeg()) {
          console.log('      skipped: ffmpeg is not installed (Debian/Ubuntu: apt install ffmpeg)');
          this.skip();
        }
        const ffmpeg = await ffmpegLoudness({ samples, sampleRate: c.rate });
        // FFmpeg prints one decimal: its rounding (≤ 0.05) is inside the tolerance.
        expect(ours.integratedLufs()).to.be.closeTo(ffmpeg.integratedLufs, 0.1);
        expect(library.integratedLufs).to.be.closeTo(ffmpeg.integratedLufs, 0.2);
        expect(library.truePeakDbtp).to.be.closeTo(ffmpeg.truePeakDbtp, 0.2);
      });

      if (c.name.includes('gaps')) {
        it('gates: silence and the −20 dB passages are left out', () => {
          expect(ours.integratedLufs() - ungatedLufs(samples, c.rate), 'gated minus ungated, LU').to.be.above(2);
          // 4 × 1.5 s of loud noise pass; the first 300 ms of each soft or silent stretch still overlap loud audio.
          expect(ours.gatedSeconds).to.be.within(5.5, 7.5);
        });
      }
    });
  }

  it('gives the same figure whatever the block sizes', () => {
    const x = withGaps(22050);
    const whole = new LoudnessMeter(22050);
    whole.push(x);
    const rnd = seededRandom(4);
    const split = new LoudnessMeter(22050);
    for (let at = 0; at < x.length; ) {
      const n = Math.floor(rnd() * 3000);
      split.push(x.subarray(at, at + n));
      at += n;
    }
    expect(split.integratedLufs()).to.equal(whole.integratedLufs());
    expect(split.gatedBlocks).to.equal(whole.gatedBlocks);
  });

  it('reads −Infinity for less than one 400 ms block, and for silence', () => {
    const meter = new LoudnessMeter(16000);
    meter.push(sine(16000, 0.39, 997, 0.5));
    expect(meter.integratedLufs()).to.equal(-Infinity);
    expect(meter.gatedSeconds).to.equal(0);
    meter.push(sine(16000, 0.02, 997, 0.5));
    expect(meter.integratedLufs()).to.be.closeTo(-9, 0.1);
    expect(measure(new Float32Array(16000 * 2), 16000).integratedLufs()).to.equal(-Infinity);
  });

  it('keeps measuring a long narration in fixed memory (20 min, 12 000 blocks)', () => {
    const rate = 16000;
    const meter = new LoudnessMeter(rate);
    const frame = sine(rate, 1, 1000, 0.25); // a whole number of periods: frames join seamlessly
    for (let s = 0; s < 20 * 60; s++) meter.push(frame);
    expect(meter.gatedBlocks).to.equal(20 * 60 * 10 - 3);
    expect(meter.integratedLufs()).to.be.closeTo(measure(sine(rate, 10, 1000, 0.25), rate).integratedLufs(), 0.001);
  });

  it('reset forgets everything', () => {
    const meter = measure(pinkNoise(22050, 2, 5), 22050);
    meter.reset();
    expect(meter.integratedLufs()).to.equal(-Infinity);
    meter.push(sine(22050, 1, 997, 0.5));
    expect(meter.integratedLufs()).to.be.closeTo(measure(sine(22050, 1, 997, 0.5), 22050).integratedLufs(), 1e-9);
  });

  it('counts NaN and infinite samples as silence instead of losing the whole measurement', () => {
    const x = sine(22050, 3, 997, 0.5);
    const clean = measure(x, 22050).integratedLufs();
    x[1000] = Number.NaN;
    x[2000] = Number.POSITIVE_INFINITY;
    expect(measure(x, 22050).integratedLufs()).to.be.closeTo(clean, 0.01);
  });

  it('refuses a rate it cannot weight', () => {
    expect(() => new LoudnessMeter(3000)).to.throw(RangeError, /sampleRate.*3000/);
    expect(() => new LoudnessMeter(22050.5)).to.throw(RangeError, /sampleRate/);
  });
});
