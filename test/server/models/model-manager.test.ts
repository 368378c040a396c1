import { expect } from 'chai';
import sinon from 'sinon';
import { Registry } from 'prom-client';
import type { ModelManagerOptions } from '../../../server/models/model-manager.ts';
import { ModelLoadError } from '../../../server/models/model-spec.ts';
import { deferred, FakeSpec, flush, useManagerFixture, type Model } from './fake-model-spec.ts';

describe('ModelManager', () => {
  const fx = useManagerFixture();
  const manager = (opts: Partial<ModelManagerOptions> = {}) => fx.manager(opts);
  const stateOf = fx.stateOf;
  let clock: sinon.SinonFakeTimers;
  let events: string[];
  beforeEach(() => { clock = fx.clock; events = fx.events; });
  it('loads lazily on the first acquire, not at register', async () => {
    const m = manager();
    const spec = new FakeSpec('a', events);
    m.register(spec);
    expect(spec.loads).to.equal(0);
    expect(stateOf(m, 'a')).to.equal('unloaded');
    const lease = await m.acquire<Model>('a');
    expect(lease.model).to.deep.equal({ id: 'a', n: 1 });
    expect(spec.loads).to.equal(1);
    expect(m.status()[0]).to.include({ state: 'ready', leases: 1 });
    lease.release();
    expect(m.status()[0].leases).to.equal(0);
  });

  it('registerOnce returns a handle to the model already registered, which loads once for both', async () => {
    const m = manager();
    const first = new FakeSpec('a', events);
    const second = new FakeSpec('a', events);
    const h1 = m.registerOnce(first);
    const h2 = m.registerOnce(second);
    expect(() => m.register(new FakeSpec('a', events))).to.throw(/already registered/);
    const [l1, l2] = await Promise.all([h1.acquire(), h2.acquire()]);
    expect(first.loads + second.loads).to.equal(1);
    expect(h2.status()).to.include({ state: 'ready', leases: 2 });
    l1.release();
    l2.release();
  });

  it('preloads and warms up before the first lease resolves', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    a.gate = deferred();
    const handle = m.register(a);
    const preloaded = m.preload(['a']).then(() => events.push('preloaded'));
    const acquired = handle.acquire().then((l) => { events.push('leased'); return l; });
    await flush();
    expect(events).to.deep.equal(['load:a']);
    a.gate.resolve();
    const lease = await acquired;
    await preloaded;
    expect(events.slice(0, 3)).to.deep.equal(['load:a', 'loaded:a', 'warm:a']);
    expect(events.indexOf('leased')).to.be.greaterThan(events.indexOf('warm:a'));
    expect(a.loads).to.equal(1);
    lease.release();
  });

  it('shares one load between concurrent acquires', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    a.gate = deferred();
    m.register(a);
    const p1 = m.acquire<Model>('a');
    const p2 = m.acquire<Model>('a');
    await flush();
    expect(m.status()[0]).to.include({ state: 'loading', waiters: 2 });
    a.gate.resolve();
    const [l1, l2] = await Promise.all([p1, p2]);
    expect(a.loads).to.equal(1);
    expect(l1.model).to.equal(l2.model);
    expect(m.status()[0]).to.include({ leases: 2, waiters: 0 });
  });

  it('rejects every waiter of a failed load naming the model and cause, then retries', async () => {
    const m = manager();
    const a = new FakeSpec('xtts-v2', events);
    a.gate = deferred();
    a.failWith = new Error('decoder.onnx not found');
    m.register(a);
    const waiters = [m.acquire('xtts-v2'), m.acquire('xtts-v2')];
    a.gate.reject(a.failWith);
    const results = await Promise.allSettled(waiters);
    for (const r of results) {
      expect(r.status).to.equal('rejected');
      const err = (r as PromiseRejectedResult).reason;
      expect(err).to.be.instanceOf(ModelLoadError);
      expect(err.message).to.include('xtts-v2').and.include('decoder.onnx not found');
      expect(err.cause).to.equal(a.failWith);
    }
    expect(m.status()[0]).to.include({ state: 'failed', error: results[0].status === 'rejected' ? results[0].reason.message : '' });
    a.gate = undefined;
    a.failWith = undefined;
    const lease = await m.acquire<Model>('xtts-v2');
    expect(lease.model.n).to.equal(2);
    expect(stateOf(m, 'xtts-v2')).to.equal('ready');
  });

  it('fails the load when warm-up throws and unloads the model', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    a.warmUp = async () => { throw new Error('warm-up produced NaN'); };
    m.register(a);
    const err = await m.acquire('a').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('"a"').and.include('warm-up produced NaN');
    expect(events).to.include('unload:a');
    expect(stateOf(m, 'a')).to.equal('failed');
  });

  it('rejects an aborted waiter with AbortError without cancelling the shared load', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    a.gate = deferred();
    m.register(a);
    const ac = new AbortController();
    const aborted = m.acquire('a', ac.signal);
    const other = m.acquire<Model>('a');
    await flush();
    ac.abort();
    const err = await aborted.then(() => null, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    expect(a.lastSignal?.aborted).to.equal(false);
    a.gate.resolve();
    expect((await other).model.id).to.equal('a');
    expect(a.loads).to.equal(1);
    expect(m.status()[0]).to.include({ leases: 1, waiters: 0 });
  });

  it('rejects at once when the signal is already aborted, loading nothing', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    m.register(a);
    const err = await m.acquire('a', AbortSignal.abort()).then(() => null, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    expect(a.loads).to.equal(0);
  });

  it('emits progress events in order and throttles the info log', async () => {
    const info = sinon.spy();
    const log = { info, warn: () => {} } as unknown as NonNullable<ModelManagerOptions['log']>;
    const m = manager({ log, progressLogIntervalMs: 1000 });
    const a = new FakeSpec('a', events);
    a.progressSteps = [0, 0.25, 0.5, 1.5];
    m.register(a);
    const seen: unknown[] = [];
    m.on('progress', (e) => seen.push(e));
    (await m.acquire('a')).release();
    expect(seen).to.deep.equal([
      { id: 'a', fraction: 0, note: 'step 0' },
      { id: 'a', fraction: 0.25, note: 'step 0.25' },
      { id: 'a', fraction: 0.5, note: 'step 0.5' },
      { id: 'a', fraction: 1, note: 'step 1.5' },
    ]);
    const progressLogs = info.getCalls().filter((c) => c.args[1] === 'model loading');
    expect(progressLogs.map((c) => c.args[0].fraction)).to.deep.equal([0, 1]);
  });

  it('emits state events through loading, warming, ready and unloaded', async () => {
    const m = manager();
    m.register(new FakeSpec('a', events));
    const states: unknown[] = [];
    m.on('state', (e) => states.push(e));
    (await m.acquire('a')).release();
    await m.unload('a');
    expect(states).to.deep.equal([
      { id: 'a', state: 'loading' },
      { id: 'a', state: 'warming' },
      { id: 'a', state: 'ready' },
      { id: 'a', state: 'unloaded', reason: 'manual' },
    ]);
  });

  it('treats a second release() as a no-op', async () => {
    const m = manager();
    m.register(new FakeSpec('a', events));
    const l1 = await m.acquire('a');
    const l2 = await m.acquire('a');
    l1.release();
    l1.release();
    expect(m.status()[0].leases).to.equal(1);
    expect(await m.unload('a')).to.equal(false);
    l2.release();
    expect(await m.unload('a')).to.equal(true);
  });

  it('close() unloads idle models now and leased ones on release', async () => {
    const m = manager();
    m.register(new FakeSpec('a', events));
    m.register(new FakeSpec('b', events));
    (await m.acquire('a')).release();
    const b = await m.acquire<Model>('b');
    await m.close();
    expect(m.status().map((s) => s.state)).to.deep.equal(['unloaded', 'ready']);
    expect(b.model.id).to.equal('b');
    b.release();
    await flush();
    expect(stateOf(m, 'b')).to.equal('unloaded');
    expect(events.filter((e) => e.startsWith('unload'))).to.deep.equal(['unload:a', 'unload:b']);
    const err = await m.acquire('a').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('closed').and.include('"a"');
  });

  it('close() aborts a load in flight and rejects its waiters with AbortError', async () => {
    const m = manager();
    const a = new FakeSpec('a', events);
    a.gate = deferred();
    m.register(a);
    const waiter = m.acquire('a');
    await flush();
    const closed = m.close();
    expect(a.lastSignal?.aborted).to.equal(true);
    a.gate.resolve(); // the engine ignored the signal and finished anyway
    const err = await waiter.then(() => null, (e: Error) => e);
    await closed;
    expect(err?.name).to.equal('AbortError');
    expect(events).to.include('unload:a');
    expect(stateOf(m, 'a')).to.equal('unloaded');
  });

  it('reports status per model with load and warm-up times from the clock seam', async () => {
    let t = 0;
    const m = manager({ now: () => t });
    const a = new FakeSpec('a', events);
    a.load = async () => { t += 700; return { id: 'a', n: 1 }; };
    a.warmUp = async () => { t += 300; };
    m.register(a);
    m.register(new FakeSpec('b', events));
    (await m.acquire('a')).release();
    expect(m.status()).to.deep.equal([
      { id: 'a', state: 'ready', leases: 0, waiters: 0, lastUsedMs: 1000, loadMs: 700, warmUpMs: 300, sizeBytes: undefined, error: undefined },
      { id: 'b', state: 'unloaded', leases: 0, waiters: 0, lastUsedMs: undefined, loadMs: undefined, warmUpMs: undefined, sizeBytes: undefined, error: undefined },
    ]);
  });

  it('serializes loads of different models with maxConcurrentLoads = 1', async () => {
    const m = manager({ maxConcurrentLoads: 1, maxResident: 5 });
    const a = new FakeSpec('a', events);
    const b = new FakeSpec('b', events);
    a.gate = deferred();
    m.register(a);
    m.register(b);
    const pa = m.acquire('a');
    const pb = m.acquire('b');
    await flush();
    expect(events).to.deep.equal(['load:a']);
    a.gate.resolve();
    await Promise.all([pa, pb]);
    expect(events.indexOf('warm:a')).to.be.lessThan(events.indexOf('load:b'));
  });

  it('rejects unknown ids and duplicate registrations by name', async () => {
    const m = manager();
    m.register(new FakeSpec('a', events));
    expect(() => m.register(new FakeSpec('a', events))).to.throw('model "a" is already registered');
    const err = await m.acquire('nope').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('unknown model "nope"');
  });

  it('publishes resident count and load time to the given registry', async () => {
    const registry = new Registry();
    const m = manager({ registry, maxResident: 1 });
    m.register(new FakeSpec('a', events, 100));
    m.register(new FakeSpec('b', events, 100));
    (await m.acquire('a')).release();
    (await m.acquire('b')).release();
    const text = await registry.metrics();
    expect(text).to.match(/^vrpg_models_resident 1$/m);
    expect(text).to.match(/^vrpg_models_resident_bytes 100$/m);
    expect(text).to.match(/^vrpg_model_load_ms_count\{model="a"\} 1$/m);
  });
});
