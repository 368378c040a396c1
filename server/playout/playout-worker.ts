/**
 * Playout thread entry (start it with `spawnWorker`, see ThreadedPlayout): hosts every
 * room's {@link RoomPlayout} under ONE {@link FrameClock} and hands each frame to the
 * room's sinks, off the game loop, so a stalled main thread never stalls audio.
 *
 * Sinks are built here, from this thread's own plugin-host container
 * (`buildContainer(config)`), because sinks hold devices and files that must live on
 * the thread that writes to them. Network sinks (`AudioSinkFactory.networkThread`) are built
 * and written on sink workers instead ({@link SinkWorkerPool}), fed through shared memory, so
 * their encoding and sends never lengthen a tick (`playout.sinkWorkers: 0` keeps them here).
 */
import 'reflect-metadata';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { TOKENS } from '../tokens.ts';
import { buildContainer } from '../host/plugin-host.ts';
import { createLogger } from '../observability/log.ts';
import type { AudioFrame, AudioSink, AudioSinkFactory } from '../sinks/audio-sink.ts';
import { FrameClock } from '../clock/frame-clock.ts';
import { SinkWorkerPool, defaultSinkWorkers } from '../sinks/sink-worker-pool.ts';
import { nowMs } from '../threads/spawn-worker.ts';
import { RoomPlayout } from './room-playout.ts';
import { LatencyWindow } from '../observability/latency-window.ts';
import type { AssembledMessage } from './assembly-protocol.ts';
import { EarlyMessages } from './early-messages.ts';
import type { OpenRoomOptions, PlayoutEvent } from './playout.ts';
import { sharedViews, type FromWorker, type PlayoutWorkerData, type ToWorker } from './playout-protocol.ts';

interface Room {
  readonly playout: RoomPlayout;
  readonly sinks: AudioSink[];
  readonly slot: number;
}

const port = parentPort!;
const data = workerData as PlayoutWorkerData;
const shared = sharedViews(data);
/** The assembly thread's port: shaped audio in chunk order (assembly-protocol.ts), not through the main thread. */
let assembly: MessagePort | null = null;
/** Assembly thread posting a block → the block in the room's FIFO, ms. */
const hops = new LatencyWindow(4096);
/** Shaped audio for a room whose `open` (from the main thread) has not arrived yet. */
const early = new EarlyMessages<ToWorker>();
setInterval(() => early.expire(nowMs()), 1000).unref();
const log = createLogger(data.config.log.level, 'playout');
const rooms = new Map<string, Room>();
/**
 * Rooms whose sinks are being created → the commands that arrived for them meanwhile, and the open
 * itself (never rejects). The main thread may narrate into a room the moment it asked to open it
 * (a room opens on its first narration or join): those commands apply, in order, once it is open.
 */
const opening = new Map<string, { readonly held: ToWorker[]; readonly done: Promise<unknown> }>();
let roomFrames = 0;
let tickMs = 0;

const post = (msg: FromWorker): void => port.postMessage(msg);
const emit = (event: PlayoutEvent): void => post({ type: 'event', event });
/** Sink workers for network sinks (`AudioSinkFactory.networkThread`); null with `playout.sinkWorkers: 0`: they run on this thread. */
const sinkWorkers = data.config.playout.sinkWorkers ?? defaultSinkWorkers();
const sinkPool = sinkWorkers > 0
  ? new SinkWorkerPool(data.config, sinkWorkers, (roomId, sink, message) => emit({ type: 'sink-error', roomId, sink, message }), log)
  : null;

function publish(room: Room): void {
  Atomics.store(shared.pushed, room.slot, BigInt(room.playout.pushedSamples));
  Atomics.store(shared.consumed, room.slot, BigInt(room.playout.consumedSamples));
  Atomics.add(shared.ticks, room.slot, 1);
  Atomics.notify(shared.ticks, room.slot);
}

function writeSinks(room: Room, frame: AudioFrame): void {
  for (const sink of [...room.sinks]) {
    try {
      sink.write(frame);
    } catch (err) {
      // A failing sink must not take the room down: report it, close it, go on with the others.
      const message = err instanceof Error ? err.message : String(err);
      log.error({ roomId: frame.roomId, sink: sink.name, err }, 'sink write failed; sink closed');
      emit({ type: 'sink-error', roomId: frame.roomId, sink: sink.name, message });
      room.sinks.splice(room.sinks.indexOf(sink), 1);
      sink.close().catch((e: unknown) => log.warn({ sink: sink.name, err: e }, 'closing a failed sink failed'));
    }
  }
}

/** Handles a message from the main thread; set once the sinks' container is built. */
let handleMessage: ((msg: ToWorker) => void) | null = null;

function onTick(_slot: number, dueMs: number): void {
  // The clock's precise wait before a slot blocks this thread's event loop for ~2 ms;
  // audio or a cancel posted in that window would otherwise miss this slot by a whole
  // frame (20 ms of TTFA). Take what is already queued before making the frame.
  if (handleMessage) {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) handleMessage(m.message as ToWorker);
    if (assembly) for (let m = receiveMessageOnPort(assembly); m; m = receiveMessageOnPort(assembly)) handleMessage(m.message as ToWorker);
  }
  const start = performance.now();
  for (const room of rooms.values()) {
    const frame = room.playout.nextFrame(nowMs(), dueMs);
    if (frame) {
      writeSinks(room, frame);
      roomFrames++;
    }
    publish(room);
  }
  sinkPool?.ring(); // one wake-up for every sink worker, whatever the number of rooms
  tickMs += performance.now() - start;
}

async function openRoom(roomId: string, slot: number, options: OpenRoomOptions, factories: AudioSinkFactory[]): Promise<void> {
  if (rooms.has(roomId)) throw new Error(`room ${roomId} is already open`);
  const allowed = factories.map((f) => f.name);
  for (const name of options.sinks) {
    if (!allowed.includes(name)) throw new Error(`room ${roomId}: unknown sink "${name}"; allowed: ${allowed.join(', ')}`);
  }
  const { sampleRate, prebufferMs, maxBufferedMs, gapMs, interruptGapMs } = options;
  const playout = new RoomPlayout({ roomId, sampleRate, prebufferMs, maxBufferedMs, gapMs, interruptGapMs }, emit);
  const sinks: AudioSink[] = [];
  const roomLog = log.child({ roomId });
  const remote = sinkPool ? SinkWorkerPool.remoteNames(options.sinks, factories) : [];
  try {
    for (const name of options.sinks) {
      if (remote.includes(name)) continue;
      const factory = factories.find((f) => f.name === name)!;
      const sink = await factory.create({
        roomId, sampleRate: playout.sampleRate, frameSamples: playout.frameSamples, wavPath: options.wavPath, log: roomLog.child({ sink: name }),
      });
      if (sink) sinks.push(sink);
    }
    if (remote.length > 0) {
      const ctx = { roomId, sampleRate: playout.sampleRate, frameSamples: playout.frameSamples, wavPath: options.wavPath };
      const proxy = await sinkPool!.open(ctx, remote);
      if (proxy) sinks.push(proxy);
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  Atomics.store(shared.consumed, slot, 0n);
  Atomics.store(shared.pushed, slot, 0n);
  rooms.set(roomId, { playout, sinks, slot });
}

async function closeRoom(roomId: string): Promise<void> {
  await opening.get(roomId)?.done; // a close sent behind the open closes what it opened
  early.take(roomId);
  const room = rooms.get(roomId);
  if (!room) return;
  rooms.delete(roomId);
  room.playout.dispose(nowMs());
  publish(room);
  const results = await Promise.allSettled(room.sinks.map((s) => s.close()));
  results.forEach((r, i) => {
    if (r.status === 'rejected') {
      const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
      emit({ type: 'sink-error', roomId, sink: room.sinks[i]!.name, message });
    }
  });
}

function handle(msg: ToWorker, factories: AudioSinkFactory[], clock: FrameClock): void {
  const reply = (id: number, p: Promise<unknown>) =>
    p.then(
      (stats) => post({ type: 'reply', id, ok: true, ...(stats ? { stats: stats as never } : {}) }),
      (err: unknown) => post({ type: 'reply', id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  if (msg.type === 'open') {
    if (opening.has(msg.roomId)) return void reply(msg.id, Promise.reject(new Error(`room ${msg.roomId} is already opening`)));
    // Shaped audio that overtook this open (it comes over the assembly thread's port) goes first.
    const held: ToWorker[] = early.take(msg.roomId);
    const opened = openRoom(msg.roomId, msg.slot, msg.options, factories);
    const done = opened.then(
      () => {
        opening.delete(msg.roomId);
        for (const m of held) handle(m, factories, clock);
      },
      () => void opening.delete(msg.roomId), // never opened: what was sent for it goes with it
    );
    opening.set(msg.roomId, { held, done });
    return void reply(msg.id, done.then(() => opened));
  }
  if (msg.type === 'close') return void reply(msg.id, closeRoom(msg.roomId));
  if (msg.type === 'assembly') {
    assembly = msg.port;
    assembly.on('message', (m: AssembledMessage) => handle(m, factories, clock));
    return;
  }
  if (msg.type === 'stats') {
    const stats = { clock: clock.stats(), roomFrames, msPerRoomFrame: roomFrames ? tickMs / roomFrames : 0, rooms: rooms.size, fifoHopMs: hops.summary() };
    return void reply(msg.id, Promise.resolve(stats));
  }
  if (msg.type === 'shutdown') {
    return void reply(msg.id, (async () => {
      await Promise.all([...opening.values()].map((o) => o.done));
      await Promise.all([...rooms.keys()].map(closeRoom));
      await sinkPool?.close();
      clock.stop();
    })());
  }
  const { roomId } = msg;
  const held = opening.get(roomId)?.held;
  if (held) return void held.push(msg);
  const room = rooms.get(roomId);
  if (!room) {
    // Audio may overtake its room's open (another port); late audio of a closed room expires unheard.
    if (msg.type === 'push' || msg.type === 'end-narration') early.hold(roomId, msg, msg.type === 'push' ? msg.samples.length : 0, nowMs());
    else log.warn({ roomId, type: msg.type }, 'playout message for a room that is not open; ignored');
    return;
  }
  const now = nowMs();
  const p = room.playout;
  try {
    switch (msg.type) {
      case 'begin': p.beginNarration(msg.narrationId, now); break;
      case 'push': hops.note(now - msg.postedAtMs); p.push(msg.narrationId, msg.chunkIndex, msg.samples, now); break;
      case 'end-narration': p.endNarration(msg.narrationId, now); break;
      case 'pause': p.pause(now); break;
      case 'resume': p.resume(now); break;
      case 'rtf': p.setRtf(msg.rtf); break;
      case 'cancel': {
        // Interruption skips queues: the fade-out frame goes to the sinks now, not at the next tick.
        const frame = p.cancel(msg.narrationIds, msg.requestedAtMs, nowMs(), msg.breath);
        if (frame) {
          writeSinks(room, frame);
          sinkPool?.ring();
          roomFrames++;
        }
        break;
      }
    }
  } catch (err) {
    log.error({ roomId, type: msg.type, err }, 'playout message failed');
  }
  publish(room);
}

try {
  const container = await buildContainer(data.config, { log });
  const factories = container.getAll<AudioSinkFactory>(TOKENS.AudioSinkFactory);
  const clock = new FrameClock({ onTick, onError: (err) => log.error({ err }, 'frame tick failed') });
  handleMessage = (msg: ToWorker) => handle(msg, factories, clock);
  port.on('message', handleMessage);
  clock.start();
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'init-error', error: err instanceof Error ? err.message : String(err) });
}
