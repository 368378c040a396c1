import { expect } from 'chai';
import sinon from 'sinon';
import type { ModelManagerOptions } from '../../../server/models/model-manager.ts';
import { FakeSpec, flush, useManagerFixture, type Model } from './fake-model-spec.ts';

describe('ModelManager eviction (TTL, LRU, resident cap)', () => {
  const fx = useManagerFixture();
  const manager = (opts: Partial<ModelManagerOptions> = {}) => fx.manager(opts);
  const stateOf = fx.stateOf;
  let clock: sinon.SinonFakeTimers;
  let events: string[];
  beforeEach(() => { clock = fx.clock; events = fx.events; });
  it('never evicts a leased model on TTL, and evicts it once idle for the TTL', async () => {
    const m = manager({ idleTtlMs: 60_000, sweepIntervalMs: 10_000 });
    m.register(new FakeSpec('a', events));
    const lease = await m.acquire('a');
    clock.tick(10 * 60_000);
    expect(stateOf(m, 'a')).to.equal('ready');
    lease.release();
    clock.tick(50_000);
    expect(stateOf(m, 'a')).to.equal('ready');
    clock.tick(10_000);
    await flush();
    expect(stateOf(m, 'a')).to.equal('unloaded');
    expect(events).to.include('unload:a');
  });

  it('reloads a model evicted by TTL on the next acquire', async () => {
    const m = manager({ idleTtlMs: 1000, sweepIntervalMs: 1000 });
    const a = new FakeSpec('a', events);
    m.register(a);
    (await m.acquire('a')).release();
    clock.tick(2000);
    const lease = await m.acquire<Model>('a');
    expect(lease.model.n).to.equal(2);
    expect(events.indexOf('unload:a')).to.be.lessThan(events.lastIndexOf('load:a'));
  });

  it('LRU-evicts the least recently used idle model over the cap', async () => {
    const m = manager({ maxResident: 2 });
    for (const id of ['a', 'b', 'c']) m.register(new FakeSpec(id, events));
    (await m.acquire('a')).release();
    clock.tick(1000);
    (await m.acquire('b')).release();
    clock.tick(1000);
    (await m.acquire('a')).release(); // a is now more recent than b
    clock.tick(1000);
    const c = await m.acquire('c');
    await flush();
    expect(m.status().map((s) => s.state)).to.deep.equal(['ready', 'unloaded', 'ready']);
    expect(events.filter((e) => e.startsWith('unload'))).to.deep.equal(['unload:b']);
    c.release();
  });

  it('never evicts a leased model: exceeds the cap, logs, and evicts on release', async () => {
    const warn = sinon.spy();
    const log = { info: () => {}, warn } as unknown as NonNullable<ModelManagerOptions['log']>;
    const m = manager({ maxResident: 1, log });
    m.register(new FakeSpec('a', events));
    m.register(new FakeSpec('b', events));
    const a = await m.acquire('a');
    clock.tick(1000);
    const b = await m.acquire('b');
    expect(m.status().map((s) => s.state)).to.deep.equal(['ready', 'ready']);
    expect(warn.calledOnce).to.equal(true);
    expect(warn.firstCall.args[0]).to.include({ resident: 2, maxResident: 1 });
    b.release(); // b is the most recently used, but a is leased: b is the only candidate
    await flush();
    expect(m.status().map((s) => s.state)).to.deep.equal(['ready', 'unloaded']);
    a.release();
    expect(stateOf(m, 'a')).to.equal('ready');
  });

  it('LRU-evicts by declared bytes under maxResidentBytes, before the new load starts', async () => {
    const m = manager({ maxResident: 10, maxResidentBytes: 3000 });
    m.register(new FakeSpec('a', events, 2000));
    m.register(new FakeSpec('b', events, 2000));
    (await m.acquire('a')).release();
    (await m.acquire('b')).release();
    expect(events.indexOf('unload:a')).to.be.lessThan(events.indexOf('load:b'));
    expect(m.status().map((s) => s.state)).to.deep.equal(['unloaded', 'ready']);
  });

  it('keeps a model for minResidencyMs even when it is the LRU candidate', async () => {
    const m = manager({ maxResident: 1, minResidencyMs: 5000 });
    m.register(new FakeSpec('a', events));
    m.register(new FakeSpec('b', events));
    (await m.acquire('a')).release();
    const b = await m.acquire('b');
    expect(stateOf(m, 'a')).to.equal('ready');
    clock.tick(5000);
    b.release();
    await flush();
    expect(m.status().map((s) => s.state)).to.deep.equal(['unloaded', 'ready']);
  });

});
