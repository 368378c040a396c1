import { expect } from 'chai';
import { argmax, drawFrom, samplingProbabilities, XTTS_SAMPLING_DEFAULTS } from '../../../../plugins/tts-xtts/onnx/logits-sampler.ts';
import { seededRandom } from '../../../../server/util/seeded-random.ts';

const plain = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };

describe('XTTS logits sampler (transformers processors in XTTS order)', () => {
  it('is a plain softmax with every processor neutral', () => {
    const p = samplingProbabilities(Float32Array.from([0, Math.log(3)]), [], plain);
    expect(p[0]).to.be.closeTo(0.25, 1e-7);
    expect(p[1]).to.be.closeTo(0.75, 1e-7);
  });

  it('penalizes seen tokens once: positive logits divided, negative multiplied', () => {
    const p = samplingProbabilities(Float32Array.from([2, -1, 2, -1]), [0, 0, 1], { ...plain, repetitionPenalty: 2 });
    // scores become [1, -2, 2, -1]
    const z = Math.exp(1) + Math.exp(-2) + Math.exp(2) + Math.exp(-1);
    expect(p[0]).to.be.closeTo(Math.exp(1) / z, 1e-9);
    expect(p[1]).to.be.closeTo(Math.exp(-2) / z, 1e-9);
  });

  it('keeps only the k most likely tokens', () => {
    const p = samplingProbabilities(Float32Array.from([5, 4, 3, 2, 1]), [], { ...plain, topK: 2 });
    expect(Array.from(p.subarray(2))).to.deep.equal([0, 0, 0]);
    expect(p[0] + p[1]).to.be.closeTo(1, 1e-12);
  });

  it('keeps the smallest set whose mass passes top-p, always at least the most likely token', () => {
    // probabilities 0.5, 0.3, 0.2
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const p = samplingProbabilities(logits, [], { ...plain, topP: 0.7 });
    expect(p[2]).to.equal(0);
    expect(p[0]).to.be.closeTo(0.5 / 0.8, 1e-6);
    const only = samplingProbabilities(logits, [], { ...plain, topP: 0.01 });
    expect(Array.from(only)).to.deep.equal([1, 0, 0]);
  });

  it('sharpens with a temperature below 1', () => {
    const logits = Float32Array.from([1, 0]);
    expect(samplingProbabilities(logits, [], { ...plain, temperature: 0.5 })[0]).to.be.greaterThan(samplingProbabilities(logits, [], plain)[0]);
  });

  it('draws in proportion to the probabilities and repeats with a seed', () => {
    const probs = Float64Array.from([0.1, 0, 0.9]);
    const random = seededRandom(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[drawFrom(probs, random)]++;
    expect(counts[1]).to.equal(0);
    expect(counts[0] / 5000).to.be.closeTo(0.1, 0.02);
    const a = seededRandom(3);
    const b = seededRandom(3);
    expect(Array.from({ length: 20 }, () => drawFrom(probs, a))).to.deep.equal(Array.from({ length: 20 }, () => drawFrom(probs, b)));
  });

  it('picks the first maximum for greedy decoding', () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).to.equal(1);
  });

  it('has inference_stream defaults', () => {
    expect(XTTS_SAMPLING_DEFAULTS).to.deep.equal({ temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 });
  });
});
