import type { MessagePort, Worker } from 'node:worker_threads';
import { AssemblyThread } from './assembly-thread.ts';
import type { AppConfig } from '../config/schema.ts';
import { abortError } from '../synthesis/tts-engine.ts';
import { nowMs, siblingModule, spawnWorker } from '../threads/spawn-worker.ts';
import type { ChunkRoute, OpenRoomOptions, Playout, PlayoutEvent, ShapingParams } from './playout.ts';
import {
  createShared, sharedViews, type FromWorker, type PlayoutShared, type PlayoutThreadStats,
  type PlayoutWorkerData, type ReplyMessage, type ToWorker,
} from './playout-protocol.ts';

/** Options of {@link ThreadedPlayout.start}. */
export interface ThreadedPlayoutOptions {
  /** The validated app config (plain JSON): the worker builds its own plugin-host container from it. */
  readonly config: AppConfig;
  /** Rooms open at once at most (shared-memory slots); default 256. */
  readonly maxRooms?: number;
}

interface RoomHandle {
  readonly slot: number;
  readonly sampleRate: number;
  readonly maxBufferedMs: number;
  closed: boolean;
}

/** `Atomics.waitAsync` (ES2024, in Node ≥ 16); the project's lib is ES2023. */
interface AtomicsWaitAsync {
  waitAsync(
    typedArray: Int32Array, index: number, value: number, timeoutMs?: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

/** How long one `Atomics.waitAsync` of `waitForSpace` sleeps before re-checking, ms. */
const SPACE_RECHECK_MS = 200;

/**
 * The main thread's handle on the playout worker (server/playout/playout-worker.ts):
 * one worker per process runs every room's playout under one frame clock.
 * Commands are messages; audio goes to the worker straight from engine workers ({@link openSource})
 * or, for engines without a port of their own, through {@link pushBlock} (the buffer is transferred).
 * `bufferedMs` reads shared memory, so it needs no round trip.
 */
export class ThreadedPlayout implements Playout {
  private readonly rooms = new Map<string, RoomHandle>();
  private readonly freeSlots: number[];
  private readonly listeners = new Set<(event: PlayoutEvent) => void>();
  private readonly pending = new Map<number, { resolve(r: ReplyMessage): void; reject(err: Error): void }>();
  private nextId = 1;
  private exited: Error | null = null;

  private assembly!: AssemblyThread;

  private constructor(
    private readonly worker: Worker,
    private readonly shared: PlayoutShared,
    maxRooms: number,
  ) {
    this.freeSlots = Array.from({ length: maxRooms }, (_, i) => maxRooms - 1 - i);
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.fail(new Error(`playout worker crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.fail(new Error(`playout worker exited (code ${code})`)));
  }

  /**
   * Starts the playout worker and waits until its sinks' container is built and its clock runs.
   * @throws Error with the worker's message when it cannot start (bad plugin config, …)
   */
  static async start(options: ThreadedPlayoutOptions): Promise<ThreadedPlayout> {
    const maxRooms = options.maxRooms ?? 256;
    const buffers = createShared(maxRooms);
    const data: PlayoutWorkerData = { config: options.config, ...buffers };
    const worker = spawnWorker(siblingModule('./playout-worker', import.meta.url), data as unknown as Record<string, unknown>);
    await new Promise<void>((resolve, reject) => {
      const onMsg = (msg: FromWorker) => {
        if (msg.type === 'ready') done(null);
        else if (msg.type === 'init-error') done(new Error(`playout worker failed to start: ${msg.error}`));
      };
      const onErr = (err: Error) => done(new Error(`playout worker failed to start: ${err.message}`, { cause: err }));
      const done = (err: Error | null) => {
        worker.off('message', onMsg);
        worker.off('error', onErr);
        if (err) void worker.terminate().finally(() => reject(err));
        else resolve();
      };
      worker.on('message', onMsg);
      worker.on('error', onErr);
    });
    const playout = new ThreadedPlayout(worker, sharedViews(buffers), maxRooms);
    try {
      playout.assembly = await AssemblyThread.start(
        options.config.log.level,
        (port) => worker.postMessage({ type: 'assembly', port } satisfies ToWorker, [port]),
        (event) => playout.deliver(event),
      );
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return playout;
  }

  /**
   * Takes a slot and asks the worker to open the room. The room takes commands as soon as this
   * returns; the worker applies them once its sinks run.
   * @throws Error at once when the room is open already or no slot is free
   * @returns rejects when the worker cannot open it (unknown sink, bad rate, no wavPath); the slot is free again then
   */
  openRoom(roomId: string, options: OpenRoomOptions): Promise<void> {
    if (this.rooms.has(roomId)) throw new Error(`room ${roomId} is already open`);
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new Error(`cannot open room ${roomId}: all ${this.shared.ticks.length} playout slots are in use`);
    const handle: RoomHandle = { slot, sampleRate: options.sampleRate, maxBufferedMs: options.maxBufferedMs, closed: false };
    this.rooms.set(roomId, handle);
    // The slot's last room left its counts behind; until the worker opens this one, nothing is buffered.
    Atomics.store(this.shared.pushed, slot, 0n);
    Atomics.store(this.shared.consumed, slot, 0n);
    this.assembly.send({ type: 'open', roomId, sampleRate: options.sampleRate });
    return this.request({ type: 'open', id: 0, roomId, slot, options: { ...options, sinks: [...options.sinks] } }).then(
      () => undefined,
      (err: unknown) => {
        this.release(roomId, handle);
        throw err;
      },
    );
  }

  async closeRoom(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.closed = true;
    try {
      await this.request({ type: 'close', id: 0, roomId });
    } finally {
      this.assembly.send({ type: 'close', roomId });
      this.release(roomId, room);
    }
  }

  beginNarration(roomId: string, narrationId: string): void {
    this.send(roomId, { type: 'begin', roomId, narrationId });
    this.assembly.send({ type: 'begin', roomId, narrationId });
  }

  shapeNarration(roomId: string, narrationId: string, params: ShapingParams): void {
    this.room(roomId);
    this.assembly.send({ type: 'shape', roomId, narrationId, params });
  }

  pushBlock(route: ChunkRoute, samples: Float32Array): void {
    this.room(route.roomId);
    const transfer = samples.buffer instanceof ArrayBuffer ? [samples.buffer] : [];
    this.assembly.send({ type: 'block', route, samples, postedAtMs: nowMs(), relayed: true }, transfer);
  }

  endChunk(route: ChunkRoute): void {
    this.room(route.roomId);
    this.assembly.send({ type: 'chunk-end', route });
  }

  endNarration(roomId: string, narrationId: string, chunks: number): void {
    this.room(roomId);
    this.assembly.send({ type: 'end', roomId, narrationId, chunks });
  }

  /**
   * A direct channel from an engine worker to the assembly thread, then on to the playout thread
   * (issue 13): hand the returned port to the worker (transfer it), which posts `SourceMessage`s on
   * it; no main thread on the way, so a stalled game loop does not delay audio on its way to the FIFO.
   * @throws Error after the playout closed
   */
  openSource(): MessagePort {
    if (this.exited) throw this.exited;
    return this.assembly.openSource();
  }

  cancel(roomId: string, narrationIds: readonly string[] | null, requestedAtMs: number, breath = false): void {
    const ids = narrationIds ? [...narrationIds] : null;
    this.send(roomId, { type: 'cancel', roomId, narrationIds: ids, requestedAtMs, breath });
    this.assembly.send({ type: 'cancel', roomId, narrationIds: ids });
  }

  pause(roomId: string): void {
    this.send(roomId, { type: 'pause', roomId });
  }

  resume(roomId: string): void {
    this.send(roomId, { type: 'resume', roomId });
  }

  setRtf(roomId: string, rtf: number): void {
    if (!(rtf >= 0) || !Number.isFinite(rtf)) throw new RangeError(`RTF must be a finite number ≥ 0, got ${rtf}`);
    this.send(roomId, { type: 'rtf', roomId, rtf });
  }

  /** Pushed minus consumed on the worker (shared memory), ms; 0 for a room that is not open. */
  bufferedMs(roomId: string): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    const pushed = Atomics.load(this.shared.pushed, room.slot);
    const consumed = Atomics.load(this.shared.consumed, room.slot);
    return (Math.max(0, Number(pushed - consumed)) * 1000) / room.sampleRate;
  }

  /**
   * Audio that reached the room's FIFO on the playout thread since the room opened, ms (shared memory,
   * no round trip): it grows while synthesis delivers, whether or not this thread is free to run.
   */
  receivedMs(roomId: string): number {
    const room = this.rooms.get(roomId);
    return room ? (Number(Atomics.load(this.shared.pushed, room.slot)) * 1000) / room.sampleRate : 0;
  }

  /** @throws AbortError when `signal` aborts; Error when the room is closed meanwhile */
  async waitForSpace(roomId: string, signal: AbortSignal): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      for (;;) {
        if (signal.aborted) throw abortError(signal);
        const room = this.rooms.get(roomId);
        if (!room || room.closed) throw new Error(`waitForSpace: room ${roomId} is not open`);
        if (this.bufferedMs(roomId) < room.maxBufferedMs) return;
        const seen = Atomics.load(this.shared.ticks, room.slot);
        const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.shared.ticks, room.slot, seen, SPACE_RECHECK_MS);
        if (waited.async) await Promise.race([waited.value, aborted]);
      }
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  onEvent(listener: (event: PlayoutEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The worker's clock jitter, per-room-frame cost and block arrivals (for the benchmark).
   * @param blocksSince block arrival latency over the blocks after this count only (an earlier `blocks.direct + blocks.relayed`)
   */
  async stats(blocksSince?: number): Promise<PlayoutThreadStats> {
    const [reply, blocks] = await Promise.all([this.request({ type: 'stats', id: 0 }), this.assembly.stats(blocksSince)]);
    return { ...reply.stats!, blocks };
  }

  /** Closes every room (WAV files finalized), stops the clock and ends the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.exited) return;
    await this.request({ type: 'shutdown', id: 0 });
    this.rooms.clear();
    this.exited = new Error('playout is closed');
    await Promise.all([this.worker.terminate(), this.assembly.close()]);
  }

  /** Forgets a room and frees its slot, once (a failed open and the close behind it both end here). */
  private release(roomId: string, handle: RoomHandle): void {
    if (this.rooms.get(roomId) !== handle) return;
    this.rooms.delete(roomId);
    this.freeSlots.push(handle.slot);
  }

  private room(roomId: string): RoomHandle {
    const room = this.rooms.get(roomId);
    if (!room || room.closed) throw new Error(`playout room ${roomId} is not open`);
    if (this.exited) throw this.exited;
    return room;
  }

  private send(roomId: string, msg: ToWorker): void {
    this.room(roomId);
    this.worker.postMessage(msg);
  }

  private request(msg: ToWorker & { id: number }): Promise<ReplyMessage> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<ReplyMessage>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(r.error ?? 'playout request failed'))),
        reject,
      });
      this.worker.postMessage({ ...msg, id });
    });
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'reply') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg);
    } else if (msg.type === 'event') {
      this.deliver(msg.event);
    }
  }

  /** Hands an event (from the playout or the assembly thread) to every listener. */
  private deliver(event: PlayoutEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not stop event delivery to the others.
      }
    }
  }

  private fail(err: Error): void {
    this.exited ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
