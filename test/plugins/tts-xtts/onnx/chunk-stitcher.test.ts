import { expect } from 'chai';
import { ChunkStitcher } from '../../../../plugins/tts-xtts/onnx/chunk-stitcher.ts';

/** A growing "vocoder output": run n is the first `lengths[n]` samples of one signal, like XTTS re-vocoding all latents. */
function runs(lengths: number[], value: (i: number) => number = (i) => i + 1): Float32Array[] {
  return lengths.map((n) => Float32Array.from({ length: n }, (_, i) => value(i)));
}

describe('ChunkStitcher (Coqui handle_chunks)', () => {
  it('holds back the overlap on the first run and emits the rest', () => {
    const s = new ChunkStitcher(4);
    const [first] = runs([10]);
    expect(Array.from(s.push(first))).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('emits exactly the new samples of each later run, crossfading the held-back overlap into them', () => {
    const s = new ChunkStitcher(4);
    const [a, b] = runs([10, 20]);
    s.push(a);
    const out = s.push(b);
    // wav[10-4 : 20-4] = samples 7..16; the first 4 are a linear crossfade of identical signals → unchanged.
    expect(out.length).to.equal(10);
    expect(Array.from(out)).to.deep.equal([7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map((v) => Math.fround(v)));
  });

  it('crossfades linearly from the old run to the new one where they differ', () => {
    const s = new ChunkStitcher(5);
    s.push(new Float32Array(12).fill(1)); // held back: samples 7..11 = 1
    const out = s.push(new Float32Array(24).fill(0)); // the new run says 0 there
    expect(Array.from(out.subarray(0, 5)).map((v) => Number(v.toFixed(6)))).to.deep.equal([1, 0.75, 0.5, 0.25, 0]);
    expect(out.length).to.equal(12);
  });

  it('joins streamed runs into the same signal as one run, minus the final held-back overlap', () => {
    const s = new ChunkStitcher(1024);
    const parts = runs([1114 * 20, 1114 * 40, 1114 * 45], (i) => Math.sin(i / 10));
    const joined = parts.map((p) => s.push(p));
    const total = joined.reduce((n, p) => n + p.length, 0);
    expect(total).to.equal(1114 * 45 - 1024);
    const flat = new Float32Array(total);
    let at = 0;
    for (const p of joined) {
      flat.set(p, at);
      at += p.length;
    }
    for (let i = 0; i < total; i += 97) expect(flat[i]).to.be.closeTo(Math.sin(i / 10), 1e-5);
  });

  it('passes a last run shorter than the overlap through whole instead of failing (Coqui PR #3160)', () => {
    const s = new ChunkStitcher(1024);
    expect(s.push(new Float32Array(1114)).length).to.equal(90);
    // The generator ended right after a full chunk: the same latents are vocoded again.
    const tail = s.push(new Float32Array(1114).fill(0.5));
    expect(tail.length).to.equal(1024);
    expect(tail[0]).to.equal(0.5);
  });

  it('emits nothing for a first run no longer than the overlap', () => {
    expect(new ChunkStitcher(1024).push(new Float32Array(1000)).length).to.equal(0);
  });

  it('refuses a non-positive overlap', () => {
    expect(() => new ChunkStitcher(0)).to.throw(RangeError, /overlapLength/);
  });
});
