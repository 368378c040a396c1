import { expect } from 'chai';
import { LoadSlots } from '../../../server/models/load-slots.ts';

describe('LoadSlots', () => {
  it('runs at most `size` tasks at once, the rest in request order', async () => {
    const slots = new LoadSlots(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => slots.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => setImmediate(r));
      order.push(i);
      running--;
      return i;
    });
    const results = await Promise.all([0, 1, 2, 3, 4].map(task));
    expect(results).to.deep.equal([0, 1, 2, 3, 4]);
    expect(peak).to.equal(2);
    expect(order).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('frees the slot when a task throws', async () => {
    const slots = new LoadSlots(1);
    const failed = slots.run(async () => { throw new Error('boom'); });
    const next = slots.run(async () => 'ok');
    expect(await failed.then(() => '', (e: Error) => e.message)).to.equal('boom');
    expect(await next).to.equal('ok');
  });

  it('rejects a size below 1 naming the value', () => {
    expect(() => new LoadSlots(0)).to.throw(RangeError, 'got 0');
  });
});
