import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.ts';
import { siblingModule, spawnWorker } from '../threads/spawn-worker.ts';
import type { AudioSink, AudioSinkFactory } from './audio-sink.ts';
import { FrameRing } from './frame-ring.ts';
import { RemoteSinks } from './remote-sinks.ts';
import type { FromSinkWorker, SinkReply, SinkWorkerData, ToSinkWorker } from './sink-worker-protocol.ts';

/**
 * Default number of sink workers: half the logical cores, at least 1, at most 4.
 * Why: on the 2-core reference machine the main thread, the clock thread and the synthesis workers
 * share the cores, so one sink worker takes what the clock thread used to spend on encoding;
 * beyond 4 the Opus encodes of a few hundred rooms already fit, and each worker holds its own
 * plugin container (~30 MB RSS).
 * @param cores logical cores, default `os.availableParallelism()`
 */
export function defaultSinkWorkers(cores: number = availableParallelism()): number {
  return Math.min(4, Math.max(1, Math.floor(cores / 2)));
}

/** What a room's sinks need, the parts of `SinkContext` that cross threads. */
export interface RemoteRoomContext {
  readonly roomId: string;
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly wavPath?: string;
}

interface WorkerHandle {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly rooms: Set<string>;
  readonly pending: Map<number, { resolve(r: SinkReply): void; reject(err: Error): void }>;
  dead: Error | null;
}

/**
 * The playout thread's sink workers (server/sinks/sink-worker.ts): sinks of factories marked
 * `networkThread` run there, each room on the least-loaded worker, fed through the room's
 * {@link FrameRing}. The clock thread's part per tick is a memcpy per room plus ONE
 * `Atomics.notify` on a doorbell every worker waits on ({@link ring}), whatever the sinks cost.
 *
 * Workers start at the first room that needs one (all `size` at once) and are unref'd: they end
 * with the playout thread. A worker that dies reports every sink of its rooms through `onSinkError`.
 */
export class SinkWorkerPool {
  private readonly doorbell = new Int32Array(new SharedArrayBuffer(4));
  private workers: WorkerHandle[] | null = null;
  private nextId = 1;

  /**
   * @param size sink workers, ≥ 1 (config `playout.sinkWorkers`, default {@link defaultSinkWorkers})
   * @param onSinkError a remote sink failed (write threw, close failed, its worker died); the room goes on
   * @throws RangeError for a size that is not a positive integer
   */
  constructor(
    private readonly config: AppConfig,
    readonly size: number,
    private readonly onSinkError: (roomId: string, sink: string, message: string) => void,
    private readonly log: Logger,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`SinkWorkerPool size must be a positive integer, got ${size}`);
  }

  /** The sinks of `names` that run on a sink worker (their factory is marked `networkThread`). */
  static remoteNames(names: readonly string[], factories: readonly AudioSinkFactory[]): string[] {
    return names.filter((n) => factories.find((f) => f.name === n)?.networkThread === true);
  }

  /** Wakes every sink worker; call once per tick, after the rooms' frames are written. */
  ring(): void {
    Atomics.add(this.doorbell, 0, 1);
    Atomics.notify(this.doorbell, 0);
  }

  /**
   * Creates the room's `names` sinks on the least-loaded sink worker.
   * @returns the clock thread's stand-in for them, or null when every factory declined the room
   * @throws Error with the worker's message when a factory failed (nothing stays open), or the worker could not start
   */
  async open(ctx: RemoteRoomContext, names: readonly string[]): Promise<AudioSink | null> {
    const workers = (this.workers ??= Array.from({ length: this.size }, (_, i) => this.spawn(i)));
    const w = workers.filter((h) => !h.dead).sort((a, b) => a.rooms.size - b.rooms.size)[0];
    if (!w) throw new Error('every sink worker has exited');
    w.rooms.add(ctx.roomId); // counted now, so rooms opening together spread over the workers
    try {
      await w.ready;
      const ring = FrameRing.create(ctx.roomId, ctx.sampleRate, ctx.frameSamples);
      const reply = await this.request(w, { type: 'open', id: this.nextId++, ring: ring.shape, sinks: names, ...(ctx.wavPath ? { wavPath: ctx.wavPath } : {}) });
      const created = reply.created ?? [];
      if (created.length === 0) {
        w.rooms.delete(ctx.roomId);
        await this.request(w, { type: 'close', id: this.nextId++, roomId: ctx.roomId });
        return null;
      }
      const onDrop = (dropped: number) => this.log.warn({ roomId: ctx.roomId, dropped }, 'sink worker a whole ring behind; frames dropped');
      return new RemoteSinks(created, ring, () => this.closeRoom(ctx.roomId, w), onDrop);
    } catch (err) {
      w.rooms.delete(ctx.roomId);
      throw err;
    }
  }

  /** Terminates every sink worker (rooms closed first by their owner). */
  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = null;
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private async closeRoom(roomId: string, w: WorkerHandle): Promise<void> {
    try {
      const reply = await this.request(w, { type: 'close', id: this.nextId++, roomId });
      for (const e of reply.closeErrors ?? []) this.onSinkError(roomId, e.sink, e.message);
    } finally {
      w.rooms.delete(roomId);
    }
  }

  private async request(w: WorkerHandle, msg: ToSinkWorker): Promise<SinkReply> {
    if (w.dead) throw w.dead;
    const reply = await new Promise<SinkReply>((resolve, reject) => {
      w.pending.set(msg.id, { resolve, reject });
      w.worker.postMessage(msg);
    });
    if (!reply.ok) throw new Error(reply.error ?? 'sink worker request failed');
    return reply;
  }

  private spawn(index: number): WorkerHandle {
    const data: SinkWorkerData = { config: this.config, doorbellSab: this.doorbell.buffer as SharedArrayBuffer, index };
    const worker = spawnWorker(siblingModule('./sink-worker', import.meta.url), data as unknown as Record<string, unknown>);
    worker.unref();
    let started: (err: Error | null) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      started = (err) => (err ? reject(err) : resolve());
    });
    ready.catch(() => undefined); // observed by open(); a worker no room waits on must not crash the thread
    const h: WorkerHandle = { worker, ready, rooms: new Set(), pending: new Map(), dead: null };
    worker.on('message', (msg: FromSinkWorker) => {
      if (msg.type === 'ready') started(null);
      else if (msg.type === 'init-error') this.die(h, new Error(`sink worker ${index} failed to start: ${msg.error}`), started);
      else if (msg.type === 'sink-error') this.onSinkError(msg.roomId, msg.sink, msg.message);
      else {
        const p = h.pending.get(msg.id);
        h.pending.delete(msg.id);
        p?.resolve(msg);
      }
    });
    worker.on('error', (err) => this.die(h, new Error(`sink worker ${index} crashed: ${err.message}`, { cause: err }), started));
    worker.on('exit', (code) => this.die(h, new Error(`sink worker ${index} exited (code ${code})`), started));
    return h;
  }

  private die(h: WorkerHandle, err: Error, started: (err: Error | null) => void): void {
    if (h.dead) return;
    h.dead = err;
    started(err);
    for (const p of h.pending.values()) p.reject(err);
    h.pending.clear();
    if (this.workers === null) return; // closing: the exit is ours
    this.log.error({ err }, 'sink worker lost; its rooms go on without their network sinks');
    for (const roomId of h.rooms) this.onSinkError(roomId, 'sink-worker', err.message);
  }
}
