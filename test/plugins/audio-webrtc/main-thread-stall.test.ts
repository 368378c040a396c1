import 'reflect-metadata';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { loadConfig } from '../../../server/config/load-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import { nowMs, siblingModule, spawnWorker } from '../../../server/threads/spawn-worker.ts';
import { requestWebRtcSinkStats } from '../../../plugins/audio-webrtc/main-hub.ts';
import { DUE_TO_SEND_BUCKETS_MS } from '../../../plugins/audio-webrtc/signaling.ts';
import { expectContinuousTimestamps, type ReceivedPacket } from './webrtc-listener.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url));
/** ≈ 9.7 s at the instant engine's 15 chars/s: long enough to stall through. */
const TEXT = 'The lanterns gutter in the hall. A cold wind rises from the stairs below. Somewhere beneath, a bell tolls once, then again, slower.';
/** Decoded RMS (s16) above which a packet counts as narration; the fixture's tone is ≈ 5 000. */
const LOUD_RMS = 1000;
/** One main-thread stall, ms (issue 13: "a 100 ms main-thread stall"). */
const STALL_MS = 100;
const STALLS = 15;

type Report = { packets: Omit<ReceivedPacket, 'payload'>[]; rms: number[] };

/** A werift listener with its own SDK client on a worker thread (listener-thread.ts): it is not stalled with the main thread. */
class ThreadListener {
  private constructor(private readonly worker: Worker) {}

  static async start(endpoint: string, roomId: string, name: string): Promise<ThreadListener> {
    const worker = spawnWorker(siblingModule('./listener-thread', import.meta.url), { endpoint, roomId, name });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: { type: string; message?: string }) => (m.type === 'listening' ? resolve() : reject(new Error(`listener ${name}: ${m.message}`))));
    });
    return new ThreadListener(worker);
  }

  report(): Promise<Report> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: Report & { type: string }) => resolve(m));
      this.worker.postMessage('report');
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Blocks this thread (the Colyseus server's and the narrator's) for `ms`: a game loop that hangs. */
function stallMainThread(ms: number): { startMs: number; endMs: number } {
  const startMs = nowMs();
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
  return { startMs, endMs: nowMs() };
}

describe('audio-webrtc direct mode under main-thread stalls (real Colyseus server, werift peers on their own threads, sink worker)', function () {
  this.timeout(90_000);
  let app: TableServer;
  let dm: TableClient | undefined;
  const listeners: ThreadListener[] = [];

  before(async () => {
    const { config } = loadConfig({
      env: {},
      overrides: {
        port: 0,
        host: '127.0.0.1',
        sinks: ['webrtc'],
        engine: 'instant',
        pluginDirs: [FIXTURES],
        plugins: { 'instant-engine': {}, 'audio-webrtc': {} },
        playout: { sinkWorkers: 1 },
      },
    });
    app = await startTableServer(config, createLogger('silent'));
  });

  after(async () => {
    for (const l of listeners) await l.close();
    await dm?.leave();
    await app?.close();
  });

  it('keeps RTP packets coming to both listeners during every stall of the main thread, in sequence, with no gap', async () => {
    const endpoint = `ws://127.0.0.1:${app.port}`;
    dm = await TableClient.create(endpoint, { name: 'Mira' });
    const roomId = dm.room.roomId;
    listeners.push(...(await Promise.all(['Ana', 'Bo'].map((name) => ThreadListener.start(endpoint, roomId, name)))));

    const reply = await dm.request('narrate', { text: TEXT });
    expect(reply.ok, JSON.stringify(reply)).to.equal(true);
    const id = (reply as { narrationId: string }).narrationId;
    await new Promise((r) => setTimeout(r, 1000)); // into the narration (pre-buffer 250 ms)
    const stalls: { startMs: number; endMs: number }[] = [];
    for (let i = 0; i < STALLS; i++) {
      stalls.push(stallMainThread(STALL_MS));
      await new Promise((r) => setTimeout(r, STALL_MS)); // let the thread breathe: sockets, Colyseus
    }
    const { audioMs } = await dm.waitForEnd(id);
    const frames = audioMs / 20;
    await new Promise((r) => setTimeout(r, 500)); // the last packets in flight

    const stats = await requestWebRtcSinkStats(roomId);
    expect(stats, 'webrtc sink stats').to.not.equal(null);
    console.log(`      due→send over ${stats!.framesTimed} frames: p50 ${stats!.dueToSendP50Ms.toFixed(2)} ms, p99 ${stats!.dueToSendP99Ms.toFixed(2)} ms, ` +
      `max ${stats!.dueToSendMaxMs.toFixed(2)} ms, late (> 5 ms) ${stats!.lateSends}; histogram ≤${DUE_TO_SEND_BUCKETS_MS.join('/')} ms: ${stats!.dueToSendBuckets.join(' ')}`);

    for (const [i, l] of listeners.entries()) {
      const { packets, rms } = await l.report();
      // Zero gaps: one packet per 20 ms frame, sequence and timestamps continuous through the stalls.
      expectContinuousTimestamps(packets as ReceivedPacket[]);
      expect(rms.filter((r) => r > LOUD_RMS).length, `listener ${i}: narration packets`).to.be.within(frames - 10, frames + 5);
      // Packets arriving while the main thread spun: a sender on the stalled thread would deliver none inside
      // a stall (its packets would all come in a burst after it). Each 100 ms stall holds 5 frame slots; ask for
      // half of them over all stalls, so a loaded machine that delays some sends by a frame or two still passes.
      const inside = packets.filter((p) => stalls.some((s) => p.atMs > s.startMs + 10 && p.atMs < s.endMs)).length;
      const stallsWithPackets = stalls.filter((s) => packets.some((p) => p.atMs > s.startMs + 10 && p.atMs < s.endMs)).length;
      console.log(`      listener ${i}: ${packets.length} packets, ${inside} arrived inside the ${STALLS} stalls (${stallsWithPackets} stalls with any)`);
      expect(inside, `listener ${i}: packets that arrived during the stalls`).to.be.at.least((STALLS * (STALL_MS - 10)) / 20 / 2);
    }
    expect(stats!.framesTimed).to.be.at.least(frames);
  });
});
