import { expect } from 'chai';
import { concatF32 } from '../../server/audio/pcm.ts';
import {
  detectClicks, levelMap, longestRunNear, medianF0Before, pauseEndingNear, runMs, sampleAtVoiced, semitones, silenceRuns, soundSpan,
  voicedSamplesBefore,
} from '../../bench/audio-analysis.ts';

const RATE = 22_050;
const ms = (n: number) => Math.round((n * RATE) / 1000);

/** A voiced-like tone: F0 `hz` with a few harmonics, peak ≈ `amp`. */
function tone(lengthMs: number, hz: number, amp = 0.5): Float32Array {
  const out = new Float32Array(ms(lengthMs));
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    out[i] = (amp / 1.75) * (Math.sin(2 * Math.PI * hz * t) + 0.5 * Math.sin(2 * Math.PI * 2 * hz * t) + 0.25 * Math.sin(2 * Math.PI * 3 * hz * t));
  }
  return out;
}

const silence = (lengthMs: number, level = 0) => new Float32Array(ms(lengthMs)).map((_, i) => (i % 2 ? level : -level));

describe('bench audio analysis', () => {
  it('finds a pause as a run of silent 5 ms windows, relative to the signal\'s own level', () => {
    for (const amp of [0.5, 0.005]) {
      const x = concatF32([tone(400, 150, amp), silence(300), tone(400, 150, amp)]);
      const map = levelMap(x, RATE);
      const runs = silenceRuns(map);
      expect(runs, `amp ${amp}`).to.have.length(1);
      expect(runMs(runs[0]!, RATE)).to.be.closeTo(300, 10);
    }
  });

  it('counts what is 40 dB under the loud windows\' RMS as silence, and what is 25 dB under as sound', () => {
    const quiet = concatF32([tone(400, 150), silence(300, 0.5 * 10 ** (-50 / 20)), tone(400, 150)]);
    expect(silenceRuns(levelMap(quiet, RATE))).to.have.length(1);
    const breathy = concatF32([tone(400, 150), silence(300, 0.5 * 10 ** (-25 / 20)), tone(400, 150)]);
    expect(silenceRuns(levelMap(breathy, RATE))).to.have.length(0);
  });

  it('locates the pause that ends near a point, and the longest one near a mapped point, ignoring leading and trailing silence', () => {
    const x = concatF32([silence(100), tone(300, 150), silence(60), tone(300, 150), silence(250), tone(300, 150), silence(100)]);
    const map = levelMap(x, RATE);
    const runs = silenceRuns(map);
    expect(runs).to.have.length(4);
    const pause = pauseEndingNear(runs, ms(100 + 300 + 60 + 300 + 250), ms(40));
    expect(runMs(pause!, RATE)).to.be.closeTo(250, 10);
    expect(pauseEndingNear(runs, ms(600), ms(40))).to.equal(null);
    const near = longestRunNear(runs, x.length, ms(700), ms(300));
    expect(runMs(near!, RATE)).to.be.closeTo(250, 10);
    expect(longestRunNear(runs, x.length, ms(50), ms(40))).to.equal(null);
  });

  it('maps voiced time from one reading onto another with different pauses', () => {
    const a = concatF32([tone(500, 150), silence(100), tone(500, 150)]);
    const b = concatF32([tone(500, 150), silence(400), tone(500, 150)]);
    const seamA = ms(500);
    const mapA = levelMap(a, RATE);
    const mapB = levelMap(b, RATE);
    const inB = sampleAtVoiced(mapB, voicedSamplesBefore(mapA, seamA));
    expect((inB * 1000) / RATE).to.be.closeTo(500, 10);
    expect((sampleAtVoiced(mapB, voicedSamplesBefore(mapA, ms(800))) * 1000) / RATE).to.be.closeTo(1100, 10);
  });

  it('reads the median F0 of the voiced audio before a point with YIN', () => {
    const x = concatF32([tone(300, 120), tone(300, 180), silence(200)]);
    const map = levelMap(x, RATE);
    // Before the silence: the last 150 ms of voiced audio are the 180 Hz part.
    expect(medianF0Before(x, map, x.length).f0Hz).to.be.closeTo(180, 2);
    expect(medianF0Before(x, map, ms(300)).f0Hz).to.be.closeTo(120, 2);
    expect(medianF0Before(silence(500), levelMap(silence(500), RATE), ms(500)).f0Hz).to.equal(null);
    expect(semitones(240, 120)).to.be.closeTo(12, 1e-9);
    expect(semitones(180, 120)).to.be.closeTo(7.02, 0.01);
  });

  it('finds a step in the waveform as a click, and none in a clean tone or at a faded join', () => {
    const clean = concatF32([tone(300, 150), silence(100), tone(300, 150)]);
    expect(detectClicks(clean, levelMap(clean, RATE))).to.deep.equal([]);
    const stepped = tone(600, 150);
    for (let i = ms(300); i < stepped.length; i++) stepped[i]! += 0.4; // a DC step: one sample-to-sample jump of 0.4
    const clicks = detectClicks(stepped, levelMap(stepped, RATE));
    expect(clicks).to.have.length(1);
    expect(clicks[0]).to.be.closeTo(ms(300) - 1, 1);
    const cut = concatF32([tone(300, 150).subarray(0, ms(300) - 37), silence(200)]); // stops mid-cycle: a cut to silence
    expect(detectClicks(cut, levelMap(cut, RATE))).to.have.length(1);
  });

  it('finds the first and last sound of a span to the sample', () => {
    const x = concatF32([silence(100), tone(300, 150), silence(100)]);
    const span = soundSpan(x, levelMap(x, RATE));
    expect(span!.first).to.be.within(ms(100), ms(100) + 3);
    expect(span!.last).to.be.within(ms(400) - 3, ms(400));
    expect(soundSpan(x, levelMap(x, RATE), 0, ms(90))).to.equal(null);
  });
});
