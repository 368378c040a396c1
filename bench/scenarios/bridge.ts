import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { loadConfig } from '../../server/config/load-config.ts';
import { createLogger } from '../../server/observability/log.ts';
import { startTableServer } from '../../server/app.ts';
import { siblingModule, spawnWorker } from '../../server/threads/spawn-worker.ts';
import { passageOf } from '../texts.ts';
import { busyLoop, sleep } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';
import { frameTiming, type FrameTiming } from './jitter.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/plugins', import.meta.url));

/** Options of {@link measureBridge}. */
export interface BridgeBenchOptions {
  /** Narrations measured for TTFA and cancel (each gives one of each); at least 20 for a p95. */
  readonly narrations: number;
  /** Seconds of frames recorded for jitter, without and with stalls. */
  readonly jitterSeconds: number;
  /** Main-thread stall, ms (one per 500 ms while recording). */
  readonly stallMs: number;
  /** Bridge listeners added to measure the main thread's cost per client. */
  readonly cpuClients: number;
  /** `espeak` (real synthesis, default) or `instant` (the fixture tone: pipeline + bridge cost only). */
  readonly engine?: 'espeak' | 'instant';
}

/** Result of {@link measureBridge}; times in ms. */
export interface BridgeBenchResult {
  readonly engine: string;
  /** The DM's `narration:narrate` sent → first frame above −34 dBFS received by a bridge listener. */
  readonly ttfaMs: Summary;
  /** The DM's `narration:cancel` sent → the last frame of the cancelled generation received (0: none came after). */
  readonly cancelToLastStaleMs: Summary;
  /** Frame inter-arrival at a bridge listener, |Δt − 20 ms|, and lateness, with the main thread free. */
  readonly calm: Arrival;
  /** The same while the server's main thread stalls `stallMs` every 500 ms. */
  readonly stalled: Arrival & { readonly stallMs: number; readonly stalls: number };
  /** Main-thread time per bridge listener per 20 ms frame (backlog check + ws.send, measured in the hub), µs. */
  readonly mainThreadUsPerClientFrame: number;
  /** Listeners in the room while that cost was measured. */
  readonly cpuClients: number;
  /** Frame clock → main thread starting the sends, over the run's last 2 048 frames, ms. */
  readonly clockToMainMs: { readonly p50: number; readonly p95: number; readonly max: number };
}

/** Arrival figures of a listener's frames. */
export interface Arrival extends FrameTiming {
  /**
   * How late each frame arrived against a steady 50 frames/s schedule anchored on the earliest
   * frame, ms: what a client's jitter buffer must hold to play without an underrun.
   */
  readonly latenessMs: Summary;
  /** Frames later than 100 ms (the recommended jitter buffer): each would be an underrun. */
  readonly lateOver100: number;
}

/** Inter-arrival and lateness of frames in seq order. */
function arrival(frames: ReadonlyArray<{ seq: number; timeMs: number }>): Arrival {
  const timing = frameTiming(frames as never);
  if (frames.length === 0) return { ...timing, latenessMs: summarize([]), lateOver100: 0 };
  const seq0 = frames[0]!.seq;
  const anchor = Math.min(...frames.map((f) => f.timeMs - (f.seq - seq0) * 20));
  const late = frames.map((f) => f.timeMs - (f.seq - seq0) * 20 - anchor);
  return { ...timing, latenessMs: summarize(late), lateOver100: late.filter((l) => l > 100).length };
}

/**
 * The game bridge where an engine hears it (game-bridge/PROTOCOL.md): a table server in this
 * process with espeak-ng (or the instant fixture) and the `bridge` sink; a DM and a listener (Node bridge clients) on a
 * worker thread, so stalls of the server's main thread do not stall the clients' clocks.
 * @throws Error when the server or a client fails mid-run
 */
export async function measureBridge(options: BridgeBenchOptions): Promise<BridgeBenchResult> {
  const engine = options.engine ?? 'espeak';
  const { config } = loadConfig({
    env: {},
    overrides: {
      port: 0, host: '127.0.0.1', engine, pluginDirs: [FIXTURES], plugins: { [engine === 'espeak' ? 'tts-espeak' : 'instant-engine']: {} },
      sinks: ['bridge'], recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-bench-bridge-')),
    },
  });
  const app = await startTableServer(config, createLogger('silent'));
  const worker = spawnWorker(siblingModule('bridge-clients', import.meta.url), { url: `ws://127.0.0.1:${app.port}/bridge` });
  try {
    await call(worker, { cmd: 'seat' });
    const texts = Array.from({ length: options.narrations }, (_, i) => passageOf(4, 15, i));
    const { ttfa, cancel } = (await call(worker, { cmd: 'narrations', texts })) as { ttfa: number[]; cancel: number[] };

    // Jitter: a long narration playing, frames recorded on the worker; then the same with stalls here.
    const long = passageOf(options.jitterSeconds * 2 + 4, 15, 3);
    await call(worker, { cmd: 'narrate', text: long });
    await sleep(1000);
    const calm = arrival((await call(worker, { cmd: 'record', seconds: options.jitterSeconds })) as never);
    let stalls = 0;
    const recording = call(worker, { cmd: 'record', seconds: options.jitterSeconds });
    const until = performance.now() + options.jitterSeconds * 1000 - options.stallMs;
    while (performance.now() < until) {
      busyLoop(options.stallMs);
      stalls++;
      await sleep(500 - options.stallMs);
    }
    const stalled = arrival((await recording) as never);

    // Main-thread cost per listener: the hub's own timing of its sends, with 1 + cpuClients listeners and a narration playing.
    await call(worker, { cmd: 'narrate', text: passageOf(12, 15, 5) });
    await call(worker, { cmd: 'listeners', count: options.cpuClients });
    const before = app.narrator.bridgeStats()!.audio;
    await sleep(4000);
    const after = app.narrator.bridgeStats()!.audio;
    const deliveries = after.deliveries - before.deliveries;
    const perClientFrameUs = (after.meanDeliverUs * after.deliveries - before.meanDeliverUs * before.deliveries) / deliveries;
    await call(worker, { cmd: 'close' });
    return {
      engine,
      ttfaMs: summarize(ttfa),
      cancelToLastStaleMs: summarize(cancel),
      calm,
      stalled: { ...stalled, stallMs: options.stallMs, stalls },
      mainThreadUsPerClientFrame: perClientFrameUs,
      cpuClients: options.cpuClients + 1,
      clockToMainMs: app.narrator.bridgeStats()!.audio.clockToMainMs,
    };
  } finally {
    await worker.terminate();
    await app.close();
  }
}

/** Sends a command to the worker and waits for its answer. @throws Error the worker reported */
function call(worker: Worker, command: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { ok: boolean; result?: unknown; error?: string }) => {
      worker.off('error', reject);
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(command);
  });
}
