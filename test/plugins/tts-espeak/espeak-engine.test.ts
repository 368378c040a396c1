import { expect } from 'chai';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { pino } from 'pino';
import { isAbortError, type TtsChunk } from '../../../server/synthesis/tts-engine.ts';
import { EspeakEngine, type SynthesisReport } from '../../../plugins/tts-espeak/espeak-engine.ts';
import { espeakOptionsSchema } from '../../../plugins/tts-espeak/options.ts';

const SHORT_EN = 'The ancient door creaks open, revealing a dusty hall lit by flickering torches. Water drips slowly.';
const LONG_EN =
  'The ancient door creaks open, revealing a dusty hall lit by flickering torches. Somewhere ahead, water drips ' +
  'slowly onto cold stone. Kaela raises her lantern and spots fresh footprints leading toward a spiral staircase, ' +
  'while the paladin keeps watch.';
const SHORT_PT = 'A porta antiga se abre rangendo, revelando um salão empoeirado iluminado por tochas tremeluzentes.';

/** One worker unless the test says otherwise: these tests follow what one worker does with a queue. */
function newEngine(options: Record<string, unknown> = {}): EspeakEngine {
  return new EspeakEngine(espeakOptionsSchema.parse({ workers: 1, ...options }), pino({ level: 'silent' }));
}

function chunk(narrationId: string, text: string, language = 'en'): TtsChunk {
  return { narrationId, index: 0, text, language };
}

const never = (): AbortSignal => new AbortController().signal;

async function collect(blocks: AsyncIterable<Float32Array>): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for await (const b of blocks) out.push(b);
  return out;
}


function rms(s: Float32Array): number {
  let sum = 0;
  for (const x of s) sum += x * x;
  return Math.sqrt(sum / s.length);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('EspeakEngine', function () {
  this.timeout(30_000);
  let engine: EspeakEngine;
  let reports: SynthesisReport[];

  before(async () => {
    engine = newEngine();
    await engine.init();
    engine.onReport((r) => reports.push(r));
  });
  beforeEach(() => {
    reports = [];
  });
  after(() => engine.close());

  for (const [language, text] of [
    ['en', SHORT_EN],
    ['pt', SHORT_PT],
  ] as const) {
    it(`speaks ${language} as non-silent audio in [-1, 1] whose duration fits chars / charsPerSecond`, async () => {
      const expectedSeconds = text.length / engine.charsPerSecond(language);
      const audio = concatF32(await collect(engine.synthesize(chunk(`say-${language}`, text, language), undefined, never())));
      const seconds = audio.length / engine.sampleRate;
      expect(seconds).to.be.within(expectedSeconds / 2.5, expectedSeconds * 2.5);
      expect(audio.every((x) => x >= -1 && x <= 1)).to.equal(true);
      expect(rms(audio)).to.be.greaterThan(0.01);
    });
  }

  it('reads its sample rate from the espeak instance', () => {
    expect(engine.sampleRate).to.equal(22_050);
    expect(engine.status().sampleRate).to.equal(22_050);
  });

  it('streams a long chunk as several blocks, the first posted before espeak returned', async () => {
    const blocks = await collect(engine.synthesize(chunk('stream', LONG_EN), undefined, never()));
    expect(blocks.length).to.be.greaterThan(1);
    const report = reports.find((r) => r.narrationId === 'stream')!;
    expect(report.blocks).to.equal(blocks.length);
    expect(report.firstBlockAt).to.be.a('number');
    expect(report.firstBlockAt!).to.be.lessThan(report.endedAt);
    expect(report.samples).to.equal(blocks.reduce((n, b) => n + b.length, 0));
  });

  it('refines charsPerSecond from measured audio', async () => {
    const fresh = newEngine({ rate: 175 });
    try {
      const before = fresh.charsPerSecond('en');
      expect(before).to.equal(17.5); // 175 wpm × 6 chars / 60 s
      await fresh.init();
      const audio = concatF32(await collect(fresh.synthesize(chunk('cps', SHORT_EN), undefined, never())));
      const measured = SHORT_EN.length / (audio.length / fresh.sampleRate);
      expect(fresh.charsPerSecond('en')).to.be.closeTo(measured, 1e-9);
      expect(fresh.charsPerSecond('pt')).to.equal(before);
    } finally {
      await fresh.close();
    }
  });

  it('stops at once with AbortError when aborted mid-chunk, and the next chunk still works', async () => {
    const ctrl = new AbortController();
    const it = engine.synthesize(chunk('aborted', LONG_EN), undefined, ctrl.signal)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).to.equal(false);
    ctrl.abort();
    const err = await rejection(it.next());
    expect(isAbortError(err)).to.equal(true);
    expect((await it.next()).done).to.equal(true);
    const after = concatF32(await collect(engine.synthesize(chunk('after-abort', SHORT_EN), undefined, never())));
    expect(rms(after)).to.be.greaterThan(0.01);
  });

  it('rejects a pending next() at once on abort and never starts the aborted queued request', async () => {
    const running = collect(engine.synthesize(chunk('ahead', LONG_EN), undefined, never()));
    const ctrl = new AbortController();
    const queued = engine.synthesize(chunk('queued-aborted', SHORT_EN), undefined, ctrl.signal)[Symbol.asyncIterator]();
    const pending = queued.next();
    expect(engine.status().queued).to.equal(1);
    ctrl.abort();
    expect(isAbortError(await rejection(pending))).to.equal(true);
    expect(engine.status().queued).to.equal(0);
    await running;
    await collect(engine.synthesize(chunk('behind', SHORT_EN), undefined, never()));
    expect(reports.map((r) => r.narrationId)).to.deep.equal(['ahead', 'behind']);
  });

  it('never starts a request whose signal is already aborted', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    const err = await rejection(collect(engine.synthesize(chunk('pre-aborted', SHORT_EN), undefined, ctrl.signal)));
    expect(isAbortError(err)).to.equal(true);
    await collect(engine.synthesize(chunk('next', 'Next.'), undefined, never()));
    expect(reports.map((r) => r.narrationId)).to.deep.equal(['next']);
  });

  it('stops espeak mid-synthesis when the consumer leaves early', async () => {
    // ~60 s of audio takes espeak hundreds of ms, far longer than the main thread needs to react.
    const text = LONG_EN.repeat(16);
    for await (const _ of engine.synthesize(chunk('left-early', text), undefined, never())) break;
    await collect(engine.synthesize(chunk('after-break', 'Go on.'), undefined, never()));
    const [left, after] = reports;
    expect(left.narrationId).to.equal('left-early');
    expect(left.cancelled).to.equal(true);
    expect(left.audioSeconds).to.be.lessThan(text.length / engine.charsPerSecond('en') / 2);
    expect(after.narrationId).to.equal('after-break');
    expect(after.cancelled).to.equal(false);
  });

  it('rejects an unsupported language naming it and the supported ones', () => {
    expect(() => engine.synthesize(chunk('x', 'Qapla', 'tlh'), undefined, never())).to.throw(/"tlh".*en, pt/);
    expect(() => engine.maxChars('tlh')).to.throw(/"tlh"/);
    expect(() => engine.charsPerSecond('tlh')).to.throw(/"tlh"/);
  });

  it('rejects a voice that does not speak the language naming it and the allowed voices', () => {
    expect(() => engine.synthesize(chunk('x', SHORT_EN), 'pt-br', never())).to.throw(/"pt-br".*"en".*en-us/);
    expect(() => engine.synthesize(chunk('x', SHORT_EN), 'nobody', never())).to.throw(/"nobody"/);
  });

  it('accepts another voice of the language and a voice variant, case-insensitively', async () => {
    const gb = concatF32(await collect(engine.synthesize(chunk('rp', SHORT_EN), 'en-GB-x-rp', never())));
    expect(rms(gb)).to.be.greaterThan(0.01);
    const f3 = concatF32(await collect(engine.synthesize(chunk('f3', SHORT_EN), 'en-us+f3', never())));
    expect(rms(f3)).to.be.greaterThan(0.01);
    expect(reports.map((r) => r.voice)).to.deep.equal(['en-gb-x-rp', 'en-us+f3']);
  });

  it('reuses the warm instance when init() is called again', async () => {
    const threadId = engine.status().workers[0].threadId;
    await engine.init();
    await engine.init();
    expect(engine.status().spawned).to.equal(1);
    expect(engine.status().workers[0].threadId).to.equal(threadId);
  });

  it('completes concurrent requests from two rooms, one after the other on one worker', async () => {
    const [a, b] = await Promise.all([
      collect(engine.synthesize(chunk('room-a', SHORT_EN), undefined, never())),
      collect(engine.synthesize(chunk('room-b', SHORT_PT, 'pt'), undefined, never())),
    ]);
    expect(rms(concatF32(a))).to.be.greaterThan(0.01);
    expect(rms(concatF32(b))).to.be.greaterThan(0.01);
    const ra = reports.find((r) => r.narrationId === 'room-a')!;
    const rb = reports.find((r) => r.narrationId === 'room-b')!;
    expect(rb.startedAt).to.be.at.least(ra.endedAt);
  });

  it('declares a generous maxChars for every language', () => {
    for (const lang of engine.languages) expect(engine.maxChars(lang)).to.equal(400);
    expect(engine.languages).to.include.members(['en', 'pt']);
  });

  it('refuses synthesize before init() with an error saying so', () => {
    const cold = newEngine();
    expect(() => cold.synthesize(chunk('x', SHORT_EN), undefined, never())).to.throw(/before init/);
    expect(cold.status().spawned).to.equal(0);
  });
});

describe('EspeakEngine with a pool and failures', function () {
  this.timeout(30_000);

  it('fails init when a configured voice does not speak its language, naming the option', async () => {
    const engine = newEngine({ voices: { pt: 'en-us' } });
    const err = await rejection(engine.init());
    expect(err.message).to.match(/voices\.pt.*"en-us".*pt-br/);
    expect(engine.status().workers[0].alive).to.equal(false);
    await engine.close();
  });

  it('runs concurrent requests on different workers of a two-worker pool', async () => {
    const engine = newEngine({ workers: 2 });
    const reports: SynthesisReport[] = [];
    engine.onReport((r) => reports.push(r));
    try {
      await engine.init();
      await Promise.all([
        collect(engine.synthesize(chunk('a', LONG_EN), undefined, never())),
        collect(engine.synthesize(chunk('b', LONG_EN), undefined, never())),
      ]);
      expect(engine.status().spawned).to.equal(2);
      expect(new Set(reports.map((r) => r.threadId)).size).to.equal(2);
    } finally {
      await engine.close();
    }
  });

  it('fails the pending request when its worker dies, and respawns the worker for the next call', async () => {
    const engine = newEngine();
    try {
      await engine.init();
      const pending = collect(engine.synthesize(chunk('doomed', LONG_EN.repeat(2)), undefined, never()));
      // Kill the real worker while it holds the request (same tick as the request was posted).
      void engine['slots'][0].thread!['worker']!.terminate();
      const err = await rejection(pending);
      expect(err.message).to.match(/espeak worker .*died/);
      const audio = concatF32(await collect(engine.synthesize(chunk('revived', SHORT_EN), undefined, never())));
      expect(rms(audio)).to.be.greaterThan(0.01);
      expect(engine.status().spawned).to.equal(2);
    } finally {
      await engine.close();
    }
  });

  it('rejects requests still queued or running when closed', async () => {
    const engine = newEngine();
    await engine.init();
    const running = collect(engine.synthesize(chunk('r', LONG_EN), undefined, never()));
    const queued = collect(engine.synthesize(chunk('q', LONG_EN), undefined, never()));
    const queuedErr = rejection(queued);
    const runningErr = rejection(running);
    await engine.close();
    expect((await queuedErr).message).to.match(/closed/);
    expect((await runningErr).message).to.match(/closed/);
    expect(() => engine.synthesize(chunk('x', SHORT_EN), undefined, never())).to.throw(/closed/);
  });
});
