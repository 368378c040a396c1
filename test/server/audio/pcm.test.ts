import { expect } from 'chai';
import { f32ToS16, frameSamples, s16ToF32, validateSampleRate } from '../../../server/audio/pcm.ts';

describe('pcm', () => {
  it('converts f32 to s16 with clipping and NaN guarded', () => {
    const out = f32ToS16(new Float32Array([0, 1, -1, 2, -3, NaN, 0.5]));
    expect([...out]).to.deep.equal([0, 32767, -32767, 32767, -32767, 0, 16384]);
  });

  it('round-trips s16 → f32 → s16 exactly', () => {
    const s = new Int16Array([0, 1, -1, 12345, -32767, 32767]);
    expect([...f32ToS16(s16ToF32(s))]).to.deep.equal([...s]);
  });

  it('keeps s16 → f32 within [-1, 1] for -32768', () => {
    expect(s16ToF32(new Int16Array([-32768]))[0]).to.equal(-1);
  });

  it('sizes a 20 ms frame from the rate', () => {
    expect(frameSamples(22050)).to.equal(441);
    expect(frameSamples(24000)).to.equal(480);
    expect(frameSamples(16000, 10)).to.equal(160);
  });

  it('accepts internal rates and rejects others naming the range', () => {
    expect(validateSampleRate(22050)).to.equal(22050);
    expect(() => validateSampleRate(48000)).to.throw(/48000 Hz.*16000 to 24000/);
    expect(validateSampleRate(48000, { min: 16000, max: 48000 })).to.equal(48000);
    expect(() => validateSampleRate(22050.5)).to.throw(RangeError);
  });
});
