import { expect } from 'chai';
import { SpeakingRateEstimator, charsPerSecondForRate } from '../../../plugins/tts-espeak/speaking-rate.ts';

describe('SpeakingRateEstimator', () => {
  it('turns words per minute into characters per second at 6 characters per word', () => {
    expect(charsPerSecondForRate(175)).to.equal(17.5);
    expect(charsPerSecondForRate(300)).to.equal(30);
  });

  it('answers the initial estimate until a language is measured', () => {
    const est = new SpeakingRateEstimator(17.5);
    est.observe('pt', 200, 10);
    expect(est.charsPerSecond('en')).to.equal(17.5);
    expect(est.charsPerSecond('pt')).to.equal(20);
  });

  it('moves toward new measurements with a moving average', () => {
    const est = new SpeakingRateEstimator(17.5);
    est.observe('en', 100, 10);
    est.observe('en', 200, 10);
    expect(est.charsPerSecond('en')).to.be.closeTo(10 + 0.3 * 10, 1e-9);
  });

  it('ignores chunks under a second of audio and empty text', () => {
    const est = new SpeakingRateEstimator(17.5);
    est.observe('en', 5, 0.3);
    est.observe('en', 0, 4);
    expect(est.charsPerSecond('en')).to.equal(17.5);
  });

  it('refuses a non-positive initial estimate', () => {
    expect(() => new SpeakingRateEstimator(0)).to.throw(/initialCharsPerSecond/);
  });
});
