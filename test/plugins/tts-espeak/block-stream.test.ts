import { expect } from 'chai';
import { BlockStream } from '../../../plugins/tts-espeak/block-stream.ts';

describe('BlockStream', () => {
  it('hands out pushed values in order, then undefined after end', async () => {
    const s = new BlockStream<number>();
    s.push(1);
    s.push(2);
    s.end();
    expect([await s.next(), await s.next(), await s.next()]).to.deep.equal([1, 2, undefined]);
  });

  it('resolves a waiting next() when a value is pushed', async () => {
    const s = new BlockStream<number>();
    const pending = s.next();
    s.push(7);
    expect(await pending).to.equal(7);
  });

  it('fails at once, dropping buffered values, and rejects a waiting next()', async () => {
    const s = new BlockStream<number>();
    const waiting = s.next();
    const err = new Error('boom');
    s.fail(err);
    await waiting.then(() => expect.fail('should reject'), (e) => expect(e).to.equal(err));
    const t = new BlockStream<number>();
    t.push(1);
    t.end();
    t.fail(err);
    await t.next().then(() => expect.fail('should reject'), (e) => expect(e).to.equal(err));
  });

  it('ignores pushes after end', async () => {
    const s = new BlockStream<number>();
    s.end();
    s.push(1);
    expect(await s.next()).to.equal(undefined);
  });
});
