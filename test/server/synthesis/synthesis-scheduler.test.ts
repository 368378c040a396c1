import { expect } from 'chai';
import sinon from 'sinon';
import { SynthesisScheduler, type SynthesisJobRequest } from '../../../server/synthesis/synthesis-scheduler.ts';
import { abortError, isAbortError, type TtsChunk, type TtsEngine } from '../../../server/synthesis/tts-engine.ts';
import { fixedPolicySource, type SynthesisPolicy, type SynthesisPolicySource } from '../../../server/synthesis/synthesis-policy.ts';

/** One synthesize call the test finishes by hand. */
interface Call {
  readonly chunk: TtsChunk;
  readonly signal: AbortSignal;
  /** Yields one block of `n` samples. */
  block(n: number): void;
  /** Ends the chunk. */
  finish(): void;
  fail(err: Error): void;
}

/** An engine whose chunks end only when the test says so; counts calls in flight. */
class ManualEngine implements TtsEngine {
  readonly name = 'manual';
  readonly sampleRate = 24_000;
  readonly languages = ['en'];
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  maxChars(): number {
    return 250;
  }
  charsPerSecond(): number {
    return 15;
  }
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async *synthesize(chunk: TtsChunk, _voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array> {
    const events: Array<{ kind: 'block'; n: number } | { kind: 'end' } | { kind: 'fail'; err: Error }> = [];
    let wake: (() => void) | null = null;
    const post = (e: (typeof events)[number]) => {
      events.push(e);
      wake?.();
    };
    signal.addEventListener('abort', () => post({ kind: 'fail', err: abortError(signal) }), { once: true });
    this.calls.push({ chunk, signal, block: (n) => post({ kind: 'block', n }), finish: () => post({ kind: 'end' }), fail: (err) => post({ kind: 'fail', err }) });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      for (;;) {
        while (events.length === 0) await new Promise<void>((r) => (wake = r));
        const e = events.shift()!;
        if (e.kind === 'end') return;
        if (e.kind === 'fail') throw e.err;
        yield new Float32Array(e.n);
      }
    } finally {
      this.inFlight--;
    }
  }
  /** `room/narration#index` of every call, in start order. */
  order(): string[] {
    return this.calls.map((c) => `${c.chunk.narrationId}#${c.chunk.index}`);
  }
}

/** A policy source the test changes. */
function mutablePolicy(initial: SynthesisPolicy): SynthesisPolicySource & { set(p: SynthesisPolicy): void } {
  let current = initial;
  const listeners = new Set<(p: SynthesisPolicy) => void>();
  return {
    current: () => current,
    onChange: (l) => (listeners.add(l), () => listeners.delete(l)),
    set: (p) => {
      current = p;
      for (const l of listeners) l(p);
    },
  };
}

const policy = (streams: number, yieldMs = 0): SynthesisPolicy => ({ tier: 'test', streams, yieldMs, prebufferMs: 500 });

/** Lets pending promise callbacks and async generator steps run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function job(roomId: string, narrationId: string, index: number, leadMs: number, signal = new AbortController().signal, onBlock = (_b: Float32Array | null, _samples: number) => {}): SynthesisJobRequest {
  return { roomId, narrationId, chunk: { narrationId, index, text: 'words', language: 'en' }, leadMs, signal, onBlock };
}

/** Finishes calls one by one (oldest running first) until `count` have run. */
async function drain(engine: ManualEngine, count: number): Promise<void> {
  for (let done = 0; done < count; done++) {
    await settle();
    const running = engine.calls.filter((c) => !c.signal.aborted)[done];
    expect(running, `call ${done} started`).to.not.equal(undefined);
    running.finish();
  }
  await settle();
}

describe('SynthesisScheduler', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => clock.restore());

  it('runs the chunk a room needs next (N+1) before the one after it (N+2), and first chunks before both', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const blocker = s.submit(job('z', 'busy', 0, 0));
    await settle();
    const done = [
      s.submit(job('a', 'a', 2, 4000)), // N+2: behind 2 s of FIFO and N+1's 2 s
      s.submit(job('a', 'a', 1, 2000)), // N+1: behind 2 s of FIFO
      s.submit(job('b', 'b', 0, 0)), // first chunk of a narration in an idle room
    ];
    await drain(engine, 4);
    await Promise.all([blocker, ...done]);
    expect(engine.order()).to.deep.equal(['busy#0', 'b#0', 'a#1', 'a#2']);
  });

  it('serves 8 rooms at equal priority round-robin: no room gets a second chunk before every room got one', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const rooms = Array.from({ length: 8 }, (_, i) => `r${i}`);
    const done: Promise<unknown>[] = [];
    // Room r0 floods its jobs first; the others follow, all at the same lead.
    for (const r of rooms) for (let k = 0; k < 3; k++) done.push(s.submit(job(r, r, k, 1000)));
    await drain(engine, 24);
    await Promise.all(done);
    const order = engine.calls.map((c) => c.chunk.narrationId);
    for (let round = 0; round < 3; round++) {
      expect(new Set(order.slice(round * 8, round * 8 + 8)).size, `round ${round}`).to.equal(8);
    }
  });

  it('never runs more jobs at once than the policy streams (0 = CPU counts as 1)', async () => {
    for (const streams of [0, 1, 2, 3]) {
      const engine = new ManualEngine();
      const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(streams)) });
      const done = Array.from({ length: 10 }, (_, i) => s.submit(job(`r${i % 4}`, `n${i}`, 0, i * 10)));
      await settle();
      expect(engine.inFlight, `streams ${streams} at start`).to.equal(Math.max(1, streams));
      await drain(engine, 10);
      await Promise.all(done);
      expect(engine.maxInFlight, `streams ${streams}`).to.equal(Math.max(1, streams));
      expect(s.stats().maxInFlight).to.equal(Math.max(1, streams));
    }
  });

  it('lowers the bound on a policy change: running jobs finish, new ones respect the lower bound', async () => {
    const engine = new ManualEngine();
    const source = mutablePolicy(policy(3));
    const s = new SynthesisScheduler({ engine, policy: source });
    const done = Array.from({ length: 8 }, (_, i) => s.submit(job(`r${i}`, `n${i}`, 0, i)));
    await settle();
    expect(engine.inFlight).to.equal(3);
    source.set(policy(1)); // VRAM pressure
    await settle();
    expect(engine.calls.every((c) => !c.signal.aborted), 'running jobs are not aborted').to.equal(true);
    engine.calls[0].finish();
    engine.calls[1].finish();
    await settle();
    expect(engine.calls.length, 'no new job while 1 still runs').to.equal(3);
    engine.calls[2].finish();
    await settle();
    expect(engine.calls.length).to.equal(4);
    expect(engine.inFlight).to.equal(1);
    source.set(policy(2)); // recovery raises it again
    await settle();
    expect(engine.inFlight).to.equal(2);
    for (let i = 3; i < 8; i++) {
      await settle();
      engine.calls[i].finish();
    }
    await Promise.all(done);
    expect(engine.calls.length).to.equal(8);
  });

  it('cancels per narration: its queued jobs never start, its running one is aborted, other narrations go on', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const ac = new AbortController();
    const running = s.submit(job('a', 'x', 0, 0, ac.signal));
    const queued = s.submit(job('a', 'x', 1, 2000, ac.signal));
    const other = s.submit(job('a', 'y', 0, 3000));
    await settle();
    ac.abort();
    const results = await Promise.allSettled([running, queued]);
    expect(results.every((r) => r.status === 'rejected' && isAbortError(r.reason))).to.equal(true);
    expect(engine.calls[0].signal.aborted, 'in-flight engine call aborted').to.equal(true);
    await settle();
    expect(engine.order()).to.deep.equal(['x#0', 'y#0']);
    engine.calls[1].finish();
    expect((await other).samples).to.equal(0);
  });

  it('cancels per room: every queued and running job of that room ends with AbortError, other rooms are untouched', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(2)) });
    const a = [s.submit(job('a', 'a1', 0, 0)), s.submit(job('a', 'a2', 0, 100)), s.submit(job('a', 'a1', 1, 2000))];
    const b = s.submit(job('b', 'b1', 0, 50));
    await settle();
    s.cancelRoom('a');
    const results = await Promise.allSettled(a);
    expect(results.map((r) => r.status === 'rejected' && isAbortError(r.reason))).to.deep.equal([true, true, true]);
    await settle();
    expect(engine.order(), "a1#1 never started; b took a freed slot").to.deep.equal(['a1#0', 'a2#0', 'b1#0']);
    engine.calls[2].block(480);
    engine.calls[2].finish();
    expect((await b).samples).to.equal(480);
    expect(s.stats().queued).to.equal(0);
  });

  it('streams blocks to the callback as the engine yields them, before the job ends', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const got: number[] = [];
    const done = s.submit(job('a', 'a', 0, 0, undefined, (_b, samples) => got.push(samples)));
    await settle();
    clock.tick(150);
    engine.calls[0].block(240);
    await settle();
    expect(got, 'first block delivered while the chunk is still running').to.deep.equal([240]);
    clock.tick(100);
    engine.calls[0].block(0); // empty blocks are not forwarded
    engine.calls[0].block(480);
    engine.calls[0].finish();
    const r = await done;
    expect(got).to.deep.equal([240, 480]);
    expect(r).to.deep.include({ samples: 720, firstBlockMs: 150, synthesisMs: 250, waitedMs: 0 });
  });

  it('rejects with the engine error for a failing chunk and keeps serving', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const bad = s.submit(job('a', 'a', 0, 0));
    const good = s.submit(job('a', 'a', 1, 10));
    await settle();
    engine.calls[0].fail(new Error('voice "x" is not installed'));
    await settle();
    engine.calls[1].finish();
    const [r1, r2] = await Promise.allSettled([bad, good]);
    expect(r1.status === 'rejected' && (r1.reason as Error).message).to.equal('voice "x" is not installed');
    expect(r2.status).to.equal('fulfilled');
  });

  it('pauses yieldMs between jobs on a modest policy before starting the next one', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1, 50)) });
    const done = [s.submit(job('a', 'a', 0, 0)), s.submit(job('b', 'b', 0, 0))];
    await settle();
    engine.calls[0].finish();
    await settle();
    expect(engine.calls.length, 'second job waits for the yield').to.equal(1);
    await clock.tickAsync(49);
    expect(engine.calls.length).to.equal(1);
    await clock.tickAsync(1);
    await settle();
    expect(engine.calls.length).to.equal(2);
    engine.calls[1].finish();
    await Promise.all(done);
  });

  it('rejects new jobs with AbortError once closed, and aborts those it held', async () => {
    const engine = new ManualEngine();
    const s = new SynthesisScheduler({ engine, policy: fixedPolicySource(policy(1)) });
    const held = [s.submit(job('a', 'a', 0, 0)), s.submit(job('b', 'b', 0, 0))];
    await settle();
    s.close();
    const results = await Promise.allSettled([...held, s.submit(job('c', 'c', 0, 0))]);
    expect(results.map((r) => r.status === 'rejected' && isAbortError(r.reason))).to.deep.equal([true, true, true]);
    await settle();
    expect(engine.calls.length).to.equal(1);
  });
});
