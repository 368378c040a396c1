import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { concatF32 } from '../../../server/audio/pcm.ts';
import type { TtsChunk } from '../../../server/synthesis/tts-engine.ts';
import { XttsEngine } from '../../../plugins/tts-xtts/xtts-engine.ts';
import { XttsHttpBackend } from '../../../plugins/tts-xtts/xtts-http-backend.ts';
import { xttsOptionsSchema } from '../../../plugins/tts-xtts/options.ts';
import { probeBackoffMs } from '../../../plugins/tts-xtts/probe-backoff.ts';
import type { XttsServerStats } from '../../../plugins/tts-xtts/xtts-server.ts';
import { XttsStandInServer } from '../../fixtures/xtts/stand-in-server.ts';
import { writeToneWav } from '../../fixtures/xtts/tone-wav.ts';

const log = pino({ level: 'silent' });
/** Generous bound for "at once" / "eventually" on a loaded 2-core machine; far below the 60 s request timeout set below. */
const PROMPTLY_MS = 5_000;

let chunks = 0;
function chunk(): TtsChunk {
  return { narrationId: 'pool', index: chunks++, text: 'The door creaks open.', language: 'en' };
}

async function collect(iter: AsyncIterable<Float32Array>): Promise<Float32Array> {
  const blocks: Float32Array[] = [];
  for await (const b of iter) blocks.push(b);
  return concatF32(blocks);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(cond: () => boolean, what: string, ms = PROMPTLY_MS): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function expectStandInPcm(got: Float32Array, server: XttsStandInServer): void {
  const pcm = server.behaviour.pcm;
  expect(got.length, 'sample count').to.equal(pcm.length);
  for (let i = 0; i < pcm.length; i++) if (Math.abs(got[i] - pcm[i] / 32768) > 1e-6) expect.fail(`sample ${i}: got ${got[i]}, sent ${pcm[i]}`);
}

describe('XTTS server pool against two or three stand-in XTTS servers (loopback, real HTTP)', () => {
  let servers: XttsStandInServer[];
  let dir: string;
  let registry: Registry;
  const engines: XttsEngine[] = [];
  let backend: XttsHttpBackend | undefined;

  /** An initialized engine over `servers`, its backend's pool metrics on `registry`. */
  async function pool(options: Record<string, unknown> = {}): Promise<XttsEngine> {
    const opts = xttsOptionsSchema.parse({
      urls: servers.map((s) => s.url), voicesDir: dir, voices: { dm: { wav: 'ref.wav' } },
      timeoutMs: 60_000, retries: { count: 2, baseDelayMs: 1 },
      // Long back-off by default: a server marked down stays down for the test's assertions.
      health: { backoffBaseMs: 60_000, backoffMaxMs: 60_000 },
      ...options,
    });
    const e = new XttsEngine(opts, log, undefined, undefined, (o, l) => (backend = new XttsHttpBackend(o, l, registry)));
    engines.push(e);
    await e.init();
    return e;
  }

  const tts = (s: XttsStandInServer): number => s.requestsTo('/tts_stream').length;
  const stats = (s: XttsStandInServer): XttsServerStats => backend!.pool.stats().find((x) => x.server === s.url)!;
  const signal = (): AbortSignal => new AbortController().signal;

  /**
   * Holds one chunk in flight (first block received, rest withheld) and returns where it landed and
   * its release; the next chunk then goes to a server with nothing in flight.
   */
  async function occupy(e: XttsEngine): Promise<{ busy: XttsStandInServer; release: () => Promise<void> }> {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const before = servers.map(tts);
    for (const s of servers) s.behaviour.holdAfterFirstWrite = gate;
    const it = e.synthesize(chunk(), undefined, signal())[Symbol.asyncIterator]();
    await within(it.next(), PROMPTLY_MS, 'first block of the held chunk');
    for (const s of servers) s.behaviour.holdAfterFirstWrite = undefined;
    const busy = servers.find((s, i) => tts(s) > before[i])!;
    return { busy, release: async () => { open(); for (let r = await it.next(); !r.done; r = await it.next()); } };
  }

  beforeEach(async () => {
    servers = await Promise.all([XttsStandInServer.start(), XttsStandInServer.start(), XttsStandInServer.start()]);
    dir = mkdtempSync(join(tmpdir(), 'xtts-pool-'));
    writeToneWav(dir, 'ref.wav', 4);
    registry = new Registry();
    backend = undefined;
  });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads concurrent chunks by least outstanding requests: 6 chunks in flight over 3 servers → 2 each', async () => {
    const e = await pool();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    for (const s of servers) s.behaviour.holdAfterFirstWrite = gate;
    const its = Array.from({ length: 6 }, () => e.synthesize(chunk(), undefined, signal())[Symbol.asyncIterator]());
    const firsts = await within(Promise.all(its.map((it) => it.next())), PROMPTLY_MS, 'first blocks');
    expect(servers.map(tts)).to.deep.equal([2, 2, 2]);
    expect(backend!.pool.stats().map((s) => s.inFlight)).to.deep.equal([2, 2, 2]);
    open();
    for (const [i, it] of its.entries()) {
      const blocks = [firsts[i].value as Float32Array];
      for (let r = await it.next(); !r.done; r = await it.next()) blocks.push(r.value);
      expectStandInPcm(concatF32(blocks), servers[0]);
    }
    expect(backend!.pool.stats().map((s) => s.inFlight)).to.deep.equal([0, 0, 0]);
  });

  it('sends each next chunk to the server with fewer requests in flight, not merely in turn', async () => {
    servers.pop()!.close();
    const e = await pool();
    const { busy, release } = await occupy(e);
    const idle = servers.find((s) => s !== busy)!;
    for (let i = 0; i < 3; i++) await collect(e.synthesize(chunk(), undefined, signal()));
    expect(tts(idle), 'all three to the idle server (round robin would alternate)').to.equal(3);
    expect(tts(busy)).to.equal(1);
    await release();
  });

  it('retries a chunk whose server answers 500 before the first byte on another server: the chunk succeeds, the server is marked down', async () => {
    servers.pop()!.close();
    const e = await pool();
    const { busy, release } = await occupy(e);
    const failing = servers.find((s) => s !== busy)!;
    failing.behaviour.failures.push({ path: '/tts_stream', status: 500, body: '{"detail":"CUDA out of memory"}' });
    expectStandInPcm(await collect(e.synthesize(chunk(), undefined, signal())), busy);
    expect(tts(failing)).to.equal(1);
    expect(tts(busy), 'the held chunk and the retry').to.equal(2);
    expect(stats(failing)).to.include({ up: false, errors: 1 });
    expect(stats(failing).lastError).to.contain('500').and.to.contain('CUDA out of memory');
    // Marked down: the next chunk goes to the busy server although it has a request in flight.
    await collect(e.synthesize(chunk(), undefined, signal()));
    expect([tts(failing), tts(busy)]).to.deep.equal([1, 3]);
    const text = await registry.metrics();
    expect(text).to.contain(`vrpg_xtts_server_errors_total{server="${failing.url}",kind="status_5xx"} 1`);
    expect(text).to.contain(`vrpg_xtts_server_up{server="${failing.url}"} 0`);
    expect(text).to.contain(`vrpg_xtts_server_up{server="${busy.url}"} 1`);
    expect(text).to.contain(`vrpg_xtts_server_requests_total{server="${busy.url}"} 3`);
    expect(text).to.contain(`vrpg_xtts_server_in_flight{server="${busy.url}"} 1`);
    expect(text).to.match(new RegExp(`vrpg_xtts_server_ttfb_ms_count\\{server="${busy.url.replace(/[.]/g, '\\.')}"\\} 3`));
    await release();
  });

  it('skips a server whose port closed, probes it with back-off, and routes to it again once it is back', async () => {
    servers.pop()!.close();
    const e = await pool({ health: { backoffBaseMs: 50, backoffMaxMs: 200 } });
    const [live, dead] = servers;
    const port = Number(new URL(dead.url).port);
    await dead.close();
    for (let i = 0; i < 4; i++) expectStandInPcm(await collect(e.synthesize(chunk(), undefined, signal())), live);
    expect(tts(live)).to.equal(4);
    // Round robin sent one of the first two chunks to the dead server: refused once, retried, then skipped.
    expect(stats(dead)).to.include({ up: false, errors: 1 });
    expect(stats(dead).lastError).to.match(/fetch failed \(E[A-Z]+\)/); // ECONNREFUSED, or EPIPE on a socket kept alive from start-up
    await until(() => stats(dead).failedProbes >= 2, 'probes of the dead server repeating');
    const back = await XttsStandInServer.start(port);
    servers[1] = back;
    await until(() => stats(back).up, 'the server back up after a probe');
    expect(back.requestsTo('/languages').length, 'it was probed').to.be.greaterThanOrEqual(1);
    const { release } = await occupy(e);
    await collect(e.synthesize(chunk(), undefined, signal()));
    expect(tts(back), 'back in the rotation').to.be.greaterThanOrEqual(1);
    await release();
  });

  it('fails a chunk whose server dies mid-stream after some audio was yielded, naming the server; no retry', async () => {
    servers.pop()!.close();
    const e = await pool();
    const { busy, release } = await occupy(e);
    const dying = servers.find((s) => s !== busy)!;
    dying.behaviour.disconnectAfterBytes = 1001;
    dying.behaviour.writeSizes = [500];
    const blocks: Float32Array[] = [];
    const err = await rejection((async () => {
      for await (const b of e.synthesize(chunk(), undefined, signal())) blocks.push(b);
    })());
    expect(concatF32(blocks).length, 'audio was yielded before the failure').to.be.greaterThan(0);
    expect(err.message).to.match(/XTTS chunk pool#\d+ failed after \d+ samples/).and.to.contain(`XTTS server ${dying.url}: stream broke after`);
    expect(tts(busy), 'not retried elsewhere').to.equal(1);
    expect(stats(dying)).to.include({ up: false, errors: 1 });
    await release();
  });

  it('retries a chunk whose server dies mid-stream before a whole sample was yielded, on another server', async () => {
    servers.pop()!.close();
    const e = await pool();
    const { busy, release } = await occupy(e);
    const dying = servers.find((s) => s !== busy)!;
    dying.behaviour.disconnectAfterBytes = 1; // half a sample: nothing can be yielded
    expectStandInPcm(await collect(e.synthesize(chunk(), undefined, signal())), busy);
    expect(tts(dying)).to.equal(1);
    expect(tts(busy)).to.equal(2);
    await release();
  });

  it('fails at once with an error naming every server when all are down, instead of waiting', async () => {
    const e = await pool();
    await Promise.all(servers.map((s) => s.close()));
    const first = await within(rejection(collect(e.synthesize(chunk(), undefined, signal()))), PROMPTLY_MS, 'the first chunk failing');
    const second = await within(rejection(collect(e.synthesize(chunk(), undefined, signal()))), PROMPTLY_MS, 'the next chunk failing');
    // The first chunk tried all three (2 retries): the error names the last and, after it, the earlier two.
    for (const srv of servers) expect(first.message).to.contain(srv.url);
    // (ECONNREFUSED, or EPIPE/ECONNRESET on a kept-alive socket from start-up that the closed server dropped)
    expect(first.message).to.match(/XTTS server \S+: fetch failed \(E[A-Z]+\) \(after \S+: fetch failed \(E[A-Z]+\); \S+: fetch failed \(E[A-Z]+\)\)$/);
    // The next one is not sent anywhere: every server is marked down.
    expect(second.message).to.contain('every XTTS server is down').and.to.contain('next probe in');
    for (const srv of servers) expect(second.message).to.contain(`${srv.url} (fetch failed (E`);
    expect(backend!.pool.stats().map((s) => s.errors), 'the second chunk sent nothing').to.deep.equal([1, 1, 1]);
  });

  it('starts with a server down, but refuses to start when none answers', async () => {
    const dead = servers.pop()!;
    await dead.close();
    servers.push(dead);
    await pool();
    expect(backend!.pool.stats().map((s) => s.up)).to.deep.equal([true, true, false]);
    await Promise.all(servers.map((s) => s.close()));
    const err = await rejection(pool());
    expect(err.message).to.contain('no XTTS server is reachable');
    for (const s of servers) expect(err.message).to.contain(`XTTS server at ${s.url} is not reachable`);
    expect(backend!.pool.stats().map((s) => s.up), 'a failed start leaves no server marked down and probed').to.deep.equal([true, true, true]);
  });

  it('refuses to start when one server answers the probe with a 404 (a wrong URL is a config error, not a server down)', async () => {
    const wrong = `${servers[1].url}/wrong/prefix`;
    const err = await rejection(pool({ urls: [servers[0].url, wrong] }));
    expect(err.message).to.contain(`XTTS server at ${wrong} answered GET ${wrong}/languages with 404`).and.to.contain('not a xtts-streaming-server API there');
  });

  it('cancel aborts the request in flight at once (the stand-in sees it close) and counts as no error', async () => {
    const e = await pool();
    for (const s of servers) s.behaviour.firstByteDelayMs = 30_000;
    const ctl = new AbortController();
    const pending = collect(e.synthesize(chunk(), undefined, ctl.signal));
    await until(() => servers.some((s) => tts(s) === 1), 'the request reaching a server');
    ctl.abort();
    const err = await within(rejection(pending), PROMPTLY_MS, 'the cancelled chunk ending');
    expect(err.name).to.equal('AbortError');
    const rec = servers.flatMap((s) => s.requestsTo('/tts_stream'))[0];
    await within(rec.closed, PROMPTLY_MS, 'the stand-in seeing the connection close');
    expect(rec.closedEarly).to.equal(true);
    expect(servers.map(tts).reduce((a, b) => a + b), 'not retried').to.equal(1);
    expect(backend!.pool.stats().map((s) => [s.up, s.errors, s.inFlight])).to.deep.equal([[true, 0, 0], [true, 0, 0], [true, 0, 0]]);
  });

  it('keeps one server in rotation whatever it answers (a pool of one is never marked down), retrying it with back-off', async () => {
    servers.splice(1).forEach((s) => void s.close());
    const e = await pool({ retries: { count: 2, baseDelayMs: 1 } });
    servers[0].behaviour.failures.push({ path: '/tts_stream', status: 503 }, { path: '/tts_stream', reset: true });
    expectStandInPcm(await collect(e.synthesize(chunk(), undefined, signal())), servers[0]);
    expect(tts(servers[0])).to.equal(3);
    expect(stats(servers[0])).to.include({ up: true, errors: 2 });
  });
});

describe('probeBackoffMs (gRPC connection back-off)', () => {
  it('grows ×1.6 per failed probe up to the cap, within ±20 % jitter', () => {
    expect(probeBackoffMs(0, 1000, 30_000, () => 0.5)).to.equal(1000);
    expect(probeBackoffMs(1, 1000, 30_000, () => 0.5)).to.be.closeTo(1600, 1e-9);
    expect(probeBackoffMs(3, 1000, 30_000, () => 0.5)).to.be.closeTo(4096, 1e-9);
    expect(probeBackoffMs(50, 1000, 30_000, () => 0.5)).to.equal(30_000);
    expect(probeBackoffMs(0, 1000, 30_000, () => 0)).to.be.closeTo(800, 1e-9);
    expect(probeBackoffMs(50, 1000, 30_000, () => 0.999_999)).to.be.closeTo(36_000, 0.1);
  });
});
