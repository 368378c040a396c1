import { expect } from 'chai';
import { AudioFifo } from '../../../server/fifo/audio-fifo.ts';

const ramp = (from: number, n: number) => Float32Array.from({ length: n }, (_, i) => (from + i) / 1000);

describe('AudioFifo', () => {
  it('pops exactly n samples in push order across blocks', () => {
    const f = new AudioFifo(1000, 10_000);
    f.push('a', 0, ramp(0, 3));
    f.push('a', 0, ramp(3, 4));
    const { samples, padded } = f.pop(5);
    expect([...samples].map((x) => Math.round(x * 1000))).to.deep.equal([0, 1, 2, 3, 4]);
    expect(padded).to.equal(0);
    expect(f.bufferedSamples()).to.equal(2);
  });

  it('never drops: everything pushed comes out, even far above the max size', () => {
    const f = new AudioFifo(1000, 10);
    for (let i = 0; i < 100; i++) f.push('a', i, ramp(i * 7, 7));
    expect(f.bufferedSamples()).to.equal(700);
    const out: number[] = [];
    while (f.bufferedSamples() > 0) {
      const r = f.pop(33, { finished: true });
      out.push(...r.samples.subarray(0, 33 - r.padded));
    }
    expect(out.map((x) => Math.round(x * 1000))).to.deep.equal(Array.from({ length: 700 }, (_, i) => i));
  });

  it('pads with silence and counts underrun only when the narration is not finished', () => {
    const f = new AudioFifo(1000, 1000);
    f.push('a', 0, new Float32Array(3).fill(0.5));
    const r = f.pop(5, { finished: false });
    expect([...r.samples]).to.deep.equal([0.5, 0.5, 0.5, 0, 0]);
    expect(r.padded).to.equal(2);
    expect(f.underrunSamples).to.equal(2);
    f.push('a', 1, new Float32Array(1).fill(0.5));
    f.pop(4, { finished: true });
    expect(f.underrunSamples).to.equal(2);
  });

  it('tags popped spans with narration and chunk and marks chunk starts once', () => {
    const f = new AudioFifo(1000, 1000);
    f.push('a', 0, ramp(0, 4));
    f.push('a', 0, ramp(4, 2));
    f.push('a', 1, ramp(6, 4));
    const first = f.pop(3);
    expect(first.spans).to.deep.equal([{ narrationId: 'a', chunkIndex: 0, start: 0, length: 3, chunkStart: true }]);
    const second = f.pop(5);
    expect(second.spans).to.deep.equal([
      { narrationId: 'a', chunkIndex: 0, start: 0, length: 3, chunkStart: false },
      { narrationId: 'a', chunkIndex: 1, start: 3, length: 2, chunkStart: true },
    ]);
  });

  it('never mixes narrations in one pop and serves them in first-push order', () => {
    const f = new AudioFifo(1000, 1000);
    f.push('a', 0, new Float32Array(2).fill(0.1));
    f.push('b', 0, new Float32Array(2).fill(0.2));
    f.push('a', 1, new Float32Array(2).fill(0.3));
    const r = f.pop(6);
    expect([...r.samples].map((x) => Math.round(x * 10))).to.deep.equal([1, 1, 3, 3, 0, 0]);
    expect(f.narrations()).to.deep.equal(['b']);
    expect(f.pop(2, { narrationId: 'b' }).spans[0]!.narrationId).to.equal('b');
  });

  it('drops a narration and clears, reporting samples dropped', () => {
    const f = new AudioFifo(1000, 1000);
    f.push('a', 0, new Float32Array(5));
    f.push('b', 0, new Float32Array(7));
    expect(f.dropNarration('a')).to.equal(5);
    expect(f.bufferedSamples('a')).to.equal(0);
    expect(f.bufferedSamples()).to.equal(7);
    expect(f.clear()).to.equal(7);
    expect(f.bufferedSeconds()).to.equal(0);
  });

  it('holds the producer back above the max size and releases it once drained below', async () => {
    const f = new AudioFifo(1000, 10);
    f.push('a', 0, new Float32Array(15));
    let released = false;
    const wait = f.waitForSpace().then(() => (released = true));
    await Promise.resolve();
    expect(released).to.equal(false);
    f.pop(3);
    await Promise.resolve();
    expect(released).to.equal(false);
    f.pop(3);
    await wait;
    expect(released).to.equal(true);
  });

  it('releases a waiting producer when its audio is dropped', async () => {
    const f = new AudioFifo(1000, 10);
    f.push('a', 0, new Float32Array(15));
    const wait = f.waitForSpace();
    f.dropNarration('a');
    await wait;
  });

  it('rejects waitForSpace with AbortError on abort', async () => {
    const f = new AudioFifo(1000, 10);
    f.push('a', 0, new Float32Array(15));
    const ac = new AbortController();
    const wait = f.waitForSpace(ac.signal);
    ac.abort();
    const err = await wait.then(() => null, (e: unknown) => e);
    expect((err as Error).name).to.equal('AbortError');
  });

  it('peeks without consuming and exposes the newest block tail for in-place fades', () => {
    const f = new AudioFifo(1000, 1000);
    f.push('a', 0, new Float32Array([1, 2, 3, 4]));
    expect([...f.peek(6, 'a')]).to.deep.equal([1, 2, 3, 4, 0, 0]);
    expect(f.bufferedSamples()).to.equal(4);
    f.tail('a', 2).fill(9);
    expect([...f.pop(4).samples]).to.deep.equal([1, 2, 9, 9]);
  });
});
