import { expect } from 'chai';
import { interpolateLatents } from '../../../../plugins/tts-xtts/onnx/latent-interpolation.ts';

describe('interpolateLatents (torch F.interpolate linear, align_corners=False)', () => {
  const ramp = Float32Array.from([0, 10, 1, 11, 2, 12, 3, 13]); // 4 rows × 2

  it('returns the input unchanged at scale 1', () => {
    expect(interpolateLatents(ramp, 4, 2, 1).data).to.equal(ramp);
  });

  it('stretches to floor(T × scale) rows with torch\'s half-pixel positions (values from torch 1.13)', () => {
    const { data, rows } = interpolateLatents(Float32Array.from([0, 1, 2, 3]), 4, 1, 2);
    expect(rows).to.equal(8);
    // torch.nn.functional.interpolate(torch.tensor([[[0.,1,2,3]]]), scale_factor=2, mode='linear')
    expect(Array.from(data)).to.deep.equal([0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]);
  });

  it('clamps positions before the first row at 0 (speed 0.8; values from torch 1.13)', () => {
    const { data, rows } = interpolateLatents(Float32Array.from([0, 1, 2, 3, 4, 5, 6]), 7, 1, 1 / 0.8);
    expect(rows).to.equal(8);
    expect(Array.from(data).map((v) => Number(v.toFixed(5)))).to.deep.equal([0, 0.7, 1.5, 2.3, 3.1, 3.9, 4.7, 5.5]);
  });

  it('shrinks for a faster speed and keeps each column independent', () => {
    const { data, rows } = interpolateLatents(ramp, 4, 2, 1 / 1.5);
    expect(rows).to.equal(2);
    // positions (j + 0.5) × 1.5 − 0.5 = 0.25, 1.75
    expect(Array.from(data).map((v) => Number(v.toFixed(5)))).to.deep.equal([0.25, 10.25, 1.75, 11.75]);
  });
});
