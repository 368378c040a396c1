import { expect } from 'chai';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { TruePeakLimiter, defaultTruePeakLimiterOptions } from '../../../server/audio/true-peak-limiter.ts';
import { seededRandom } from '../../../server/util/seeded-random.ts';
import { ffmpegLoudness, hasFfmpeg, libraryLoudness } from '../../support/loudness.ts';

const CEILING = -1;

/** Runs `input` through `limiter` in blocks of random sizes from `minBlock` to `maxBlock`, then flushes. */
function limitInBlocks(limiter: TruePeakLimiter, input: Float32Array, seed: number, minBlock = 1, maxBlock = 2000): Float32Array {
  const rnd = seededRandom(seed);
  const out: Float32Array[] = [];
  for (let at = 0; at < input.length; ) {
    const n = minBlock + Math.floor(rnd() * (maxBlock - minBlock + 1));
    out.push(limiter.process(input.subarray(at, at + n)));
    at += n;
  }
  out.push(limiter.flush());
  return concatF32(out);
}

/** A voiced-speech stand-in: 20 harmonics of a gliding 110 Hz fundamental (sawtooth-like, crest ≈ 1.6). */
function harmonicTone(rate: number, seconds: number, peak: number): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  let phase = 0;
  for (let i = 0; i < x.length; i++) {
    phase += (2 * Math.PI * (110 + 20 * Math.sin((2 * Math.PI * 2 * i) / rate))) / rate;
    let v = 0;
    for (let h = 1; h <= 20; h++) v += Math.sin(h * phase) / h;
    x[i] = v;
  }
  let max = 0;
  for (const v of x) max = Math.max(max, Math.abs(v));
  for (let i = 0; i < x.length; i++) x[i]! *= peak / max;
  return x;
}

function silence(rate: number, ms: number): Float32Array {
  return new Float32Array(Math.round((rate * ms) / 1000));
}

/**
 * The worst cases for a true-peak limiter, with silence between them. The programme starts with
 * 50 ms of silence because FFmpeg's 192 kHz resampler does not assume silence before a file's first
 * sample: the same abrupt onset reads 0.5 dB higher at sample 0 than 8 samples in (the library and
 * the limiter read both alike). The cases:
 * full-scale square bursts of 3–101-sample periods (Gibbs overshoot at every edge, up to +4 dBTP);
 * a sine at fs/4 and 45° whose samples are exactly ±1 and whose crests, between them, are +3.01 dBTP;
 * a harmonic tone pushed 6 dB over full scale; white noise at ±2 (inter-sample overs everywhere).
 */
function worstCases(rate: number): Float32Array {
  const parts: Float32Array[] = [silence(rate, 50)];
  for (const period of [3, 4, 5, 6, 7, 10, 22, 101]) {
    const burst = new Float32Array(Math.round(rate * 0.06));
    for (let i = 0; i < burst.length; i++) burst[i] = Math.floor((2 * i) / period) % 2 === 0 ? 1 : -1;
    parts.push(burst, silence(rate, 40));
  }
  const quarter = new Float32Array(Math.round(rate * 0.3));
  for (let i = 0; i < quarter.length; i++) quarter[i] = Math.SQRT2 * Math.sin((Math.PI / 2) * i + Math.PI / 4);
  parts.push(quarter, silence(rate, 40));
  parts.push(harmonicTone(rate, 0.5, 2), silence(rate, 40));
  const rnd = seededRandom(rate);
  const noise = new Float32Array(Math.round(rate * 0.3));
  for (let i = 0; i < noise.length; i++) noise[i] = 2 * (2 * rnd() - 1);
  parts.push(noise, silence(rate, 100));
  return concatF32(parts);
}

describe('TruePeakLimiter', function () {
  this.timeout(60_000);

  for (const rate of [16000, 22050, 24000]) {
    describe(`on worst-case signals at ${rate} Hz, in random blocks of 1–2000 samples`, () => {
      let input: Float32Array;
      let output: Float32Array;

      before(() => {
        input = worstCases(rate);
        output = limitInBlocks(new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING }), input, rate);
      });

      it('gives back exactly as many samples as it took', () => {
        expect(output.length).to.equal(input.length);
      });

      it(`keeps the true peak ≤ ${CEILING} dBTP by libebur128 (ebur128-wasm)`, async () => {
        const before = await libraryLoudness({ samples: input, sampleRate: rate });
        const after = await libraryLoudness({ samples: output, sampleRate: rate });
        expect(before.truePeakDbtp, 'the input really is over').to.be.above(5);
        expect(after.truePeakDbtp).to.be.at.most(CEILING);
      });

      it(`keeps the true peak ≤ ${CEILING} dBTP by FFmpeg ebur128 (192 kHz)`, async function () {
        if (!hasFfmpeg()) {
          console.log('      skipped: ffmpeg is not installed (Debian/Ubuntu: apt install ffmpeg)');
          this.skip();
        }
        const after = await ffmpegLoudness({ samples: output, sampleRate: rate });
        expect(after.truePeakDbtp).to.be.at.most(CEILING);
      });
    });
  }

  it('passes audio below the ceiling through bit-identical, only delayed', async () => {
    const rate = 22050;
    const input = concatF32([silence(rate, 20), harmonicTone(rate, 2, 0.75), silence(rate, 20)]);
    expect((await libraryLoudness({ samples: input, sampleRate: rate })).truePeakDbtp, 'the input is below the ceiling and its margin').to.be.below(-1.5);
    const limiter = new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING });
    const output = limitInBlocks(limiter, input, 1, 1, 441);
    expect(Buffer.from(output.buffer).equals(Buffer.from(input.buffer))).to.equal(true);
    expect(limiter.stats()).to.deep.equal({ reductionMaxDb: 0, samplesReduced: 0, samplesOut: input.length });
  });

  it('gives the same samples whatever the block split, empty blocks included', () => {
    const rate = 24000;
    const input = worstCases(rate);
    const whole = new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING });
    const reference = concatF32([whole.process(input), whole.flush()]);
    for (const seed of [1, 2, 3]) {
      const split = limitInBlocks(new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING }), input, seed, 0, 700);
      expect(split.length).to.equal(input.length);
      expect(Buffer.from(split.buffer).equals(Buffer.from(reference.buffer)), `split ${seed}`).to.equal(true);
    }
  });

  it('holds back its look-ahead: the first block returns input length − latency, later ones as many as come in', () => {
    const limiter = new TruePeakLimiter({ sampleRate: 22050, ceilingDbtp: CEILING });
    expect(limiter.latencySamples).to.equal(Math.round((defaultTruePeakLimiterOptions.lookaheadMs * 22050) / 1000));
    expect(limiter.process(new Float32Array(441)).length).to.equal(441 - limiter.latencySamples);
    expect(limiter.process(new Float32Array(441)).length).to.equal(441);
    expect(limiter.flush().length).to.equal(limiter.latencySamples);
    // A stream shorter than the look-ahead comes out whole at flush.
    expect(limiter.process(new Float32Array(10)).length).to.equal(0);
    expect(limiter.flush().length).to.equal(10);
  });

  it('does not modify its input', () => {
    const input = worstCases(16000);
    const copy = input.slice();
    const limiter = new TruePeakLimiter({ sampleRate: 16000, ceilingDbtp: CEILING });
    limiter.process(input);
    limiter.flush();
    expect(Buffer.from(input.buffer).equals(Buffer.from(copy.buffer))).to.equal(true);
  });

  /*
   * "No pumping", measured: around one loud burst inside quiet audio, the gain (output / input, read
   * where |input| > 0.01, in dB) never rises and then falls again by more than 0.05 dB — it falls
   * once to its floor as the burst begins, stays there (within 0.05 dB) from the burst's first full
   * period to its last although the waveform's crests are 0.5 ms (1 kHz) to 5 ms (100 Hz) apart,
   * then only rises, and returns to exactly 1 (bit-identical audio) once released. The 0.05 dB
   * allowance (a tenth of a just-noticeable level step) is the detector's own jitter: crests fall at
   * different places on the interpolation grid, and the abrupt onset's Gibbs overshoot reads ~0.01 dB
   * above the crests after it.
   */
  for (const hz of [100, 1000]) {
    it(`does not pump around a ${hz} Hz burst 6 dB over full scale: one valley, flat while the burst lasts, then exactly 1`, () => {
      const rate = 22050;
      const n = rate * 3;
      const burstStart = rate;
      const burstEnd = rate + Math.round(rate * 0.3);
      const input = new Float32Array(n);
      for (let i = 0; i < n; i++) input[i] = (i >= burstStart && i < burstEnd ? 2 : 0.1) * Math.sin((2 * Math.PI * hz * i) / rate);
      const limiter = new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING });
      const output = limitInBlocks(limiter, input, hz, 441, 441);

      const gainsDb: number[] = [];
      const at: number[] = [];
      for (let i = 0; i < n; i++) {
        if (Math.abs(input[i]!) > 0.01) {
          gainsDb.push(20 * Math.log10(output[i]! / input[i]!));
          at.push(i);
        }
      }
      const allowDb = 0.05;
      let floor = 0;
      for (let g = 1; g < gainsDb.length; g++) if (gainsDb[g]! < gainsDb[floor]!) floor = g;
      let highest = gainsDb[0]!;
      for (let g = 1; g <= floor; g++) {
        expect(gainsDb[g]!, `gain rose before the floor at sample ${at[g]}`).to.be.at.most(highest + allowDb);
        highest = Math.min(highest, gainsDb[g]!);
      }
      let lowest = gainsDb[floor]!;
      for (let g = floor + 1; g < gainsDb.length; g++) {
        expect(gainsDb[g]!, `gain fell after the floor at sample ${at[g]}`).to.be.at.least(lowest - allowDb);
        lowest = Math.max(lowest, gainsDb[g]!);
      }

      const period = rate / hz;
      const inBurst = gainsDb.filter((_, g) => at[g]! >= burstStart + period && at[g]! < burstEnd - period);
      expect(Math.max(...inBurst) - Math.min(...inBurst), 'gain ripple during the burst, dB').to.be.below(allowDb);
      expect(limiter.stats().reductionMaxDb).to.be.within(7, 7.5); // a 2.0 crest down to −1.2 dBTP: 7.2 dB

      const tail = rate / 2; // the last 0.5 s, 1.2 s after the burst: the 50 ms release is long done
      expect(Buffer.from(output.buffer, (n - tail) * 4).equals(Buffer.from(input.buffer, (n - tail) * 4))).to.equal(true);
    });
  }

  it('flush resets: the same stream again gives the same output; reset drops held samples', () => {
    const rate = 16000;
    const input = worstCases(rate).subarray(0, rate);
    const limiter = new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING });
    const first = limitInBlocks(limiter, input, 5);
    const second = limitInBlocks(limiter, input, 6);
    expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer))).to.equal(true);

    limiter.process(input.subarray(0, 1000));
    limiter.reset();
    expect(limiter.process(new Float32Array(441)).length).to.equal(441 - limiter.latencySamples);
    expect(limiter.flush().length).to.equal(limiter.latencySamples);
    expect(limiter.stats().samplesOut, 'statistics outlive reset and flush').to.equal(2 * input.length + (1000 - limiter.latencySamples) + 441);
  });

  it('counts what it did', () => {
    const rate = 22050;
    const limiter = new TruePeakLimiter({ sampleRate: rate, ceilingDbtp: CEILING });
    limitInBlocks(limiter, worstCases(rate), 9);
    const stats = limiter.stats();
    expect(stats.samplesReduced).to.be.above(0).and.below(stats.samplesOut);
    expect(stats.reductionMaxDb).to.be.above(6);
  });

  it('refuses bad options, naming the option', () => {
    const ok = { sampleRate: 22050, ceilingDbtp: -1 };
    expect(() => new TruePeakLimiter({ ...ok, sampleRate: 48000 })).to.throw(RangeError, /sampleRate.*48000/);
    expect(() => new TruePeakLimiter({ ...ok, sampleRate: 22050.5 })).to.throw(RangeError, /sampleRate/);
    expect(() => new TruePeakLimiter({ ...ok, ceilingDbtp: 1 })).to.throw(RangeError, /ceilingDbtp/);
    expect(() => new TruePeakLimiter({ ...ok, lookaheadMs: 0.5 })).to.throw(RangeError, /lookaheadMs/);
    expect(() => new TruePeakLimiter({ ...ok, releaseMs: Number.NaN })).to.throw(RangeError, /releaseMs/);
    expect(() => new TruePeakLimiter({ ...ok, holdMs: -1 })).to.throw(RangeError, /holdMs/);
  });
});
