import { expect } from 'chai';
import { percentile, round, summarize } from '../../bench/percentile.ts';

describe('percentile (bench)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns the nearest-rank sample: p50 and p95 of 1..100 are 50 and 95', () => {
    expect(percentile(hundred, 50)).to.equal(50);
    expect(percentile(hundred, 95)).to.equal(95);
    expect(percentile(hundred, 100)).to.equal(100);
    expect(percentile(hundred, 0)).to.equal(1);
  });

  it('returns a measured value, never an interpolated one', () => {
    expect(percentile([10, 20], 50)).to.equal(10);
    expect(percentile([10, 20], 95)).to.equal(20);
  });

  it('does not reorder the caller\'s samples', () => {
    const v = [3, 1, 2];
    percentile(v, 50);
    expect(v).to.deep.equal([3, 1, 2]);
  });

  it('is NaN for no samples and throws for p outside 0..100', () => {
    expect(percentile([], 50)).to.be.NaN;
    expect(() => percentile([1], 101)).to.throw(RangeError, /p must be in \[0, 100\]/);
    expect(() => percentile([1], -1)).to.throw(RangeError);
  });

  it('summarizes n, p50, p95, max and mean', () => {
    expect(summarize(hundred)).to.deep.equal({ n: 100, p50: 50, p95: 95, max: 100, mean: 50.5 });
    expect(summarize([]).n).to.equal(0);
  });

  it('rounds to the given decimals', () => {
    expect(round(1.23456)).to.equal(1.23);
    expect(round(1.23456, 3)).to.equal(1.235);
  });
});
