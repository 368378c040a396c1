/**
 * Sink worker thread entry (started by {@link SinkWorkerPool} from the playout thread): runs the
 * real sinks of network-bound factories (`AudioSinkFactory.networkThread`: the `webrtc` sink's
 * resample + Opus encode + RTP/SRTP sends, the LiveKit feed) for the rooms the pool gives it.
 *
 * Frames arrive through each room's {@link FrameRing}; the clock bumps a shared doorbell once per
 * tick and this thread wakes in `Atomics.waitAsync` (its event loop stays free for werift's
 * sockets and timers), drains every room's ring oldest first and calls each sink's `write`.
 * Sinks are built from this thread's own plugin-host container (`buildContainer(config)`, as the
 * playout thread does), so a plugin's process-wide channels (the webrtc signaling BroadcastChannel)
 * reach them unchanged.
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { TOKENS } from '../tokens.ts';
import { buildContainer } from '../host/plugin-host.ts';
import { createLogger } from '../observability/log.ts';
import type { AudioSink, AudioSinkFactory } from './audio-sink.ts';
import { FrameRing } from './frame-ring.ts';
import type { FromSinkWorker, SinkReply, SinkWorkerData, ToSinkWorker } from './sink-worker-protocol.ts';

/** `Atomics.waitAsync` (ES2024, in Node ≥ 16); the project's lib is ES2023. */
interface AtomicsWaitAsync {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeoutMs?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

interface Room {
  readonly ring: FrameRing;
  readonly sinks: AudioSink[];
}

const port = parentPort!;
const data = workerData as SinkWorkerData;
const log = createLogger(data.config.log.level, `sink-worker-${data.index}`);
const doorbell = new Int32Array(data.doorbellSab);
const rooms = new Map<string, Room>();
const post = (msg: FromSinkWorker): void => port.postMessage(msg);

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Hands every pending frame of the room to its sinks, oldest first; a sink whose write throws is closed and reported. */
function drain(roomId: string, room: Room): void {
  for (let next = room.ring.pop(); next; next = room.ring.pop()) {
    for (const sink of [...room.sinks]) {
      try {
        sink.write(next.frame);
      } catch (err) {
        log.error({ roomId, sink: sink.name, err }, 'sink write failed; sink closed');
        post({ type: 'sink-error', roomId, sink: sink.name, message: message(err) });
        room.sinks.splice(room.sinks.indexOf(sink), 1);
        sink.close().catch((e: unknown) => log.warn({ roomId, sink: sink.name, err: e }, 'closing a failed sink failed'));
      }
    }
  }
}

/** Sleeps until the clock rings, then drains every room; forever (the pool terminates the thread). */
async function serve(): Promise<void> {
  const atomics = Atomics as unknown as AtomicsWaitAsync;
  let seen = Atomics.load(doorbell, 0);
  for (;;) {
    const wait = atomics.waitAsync(doorbell, 0, seen);
    // Rung while we drained: go again, but through the event loop, so werift's sockets and timers
    // run even when this thread is behind (a bare loop would starve them).
    if (wait.async) await wait.value;
    else await new Promise<void>((resolve) => setImmediate(resolve));
    seen = Atomics.load(doorbell, 0);
    for (const [roomId, room] of rooms) drain(roomId, room);
  }
}

async function open(msg: Extract<ToSinkWorker, { type: 'open' }>, factories: AudioSinkFactory[]): Promise<SinkReply> {
  const { roomId, sampleRate, frameSamples } = msg.ring;
  if (rooms.has(roomId)) throw new Error(`room ${roomId} already has sinks on this sink worker`);
  const sinks: AudioSink[] = [];
  const roomLog = log.child({ roomId });
  try {
    for (const name of msg.sinks) {
      const factory = factories.find((f) => f.name === name);
      if (!factory) throw new Error(`room ${roomId}: unknown sink "${name}" on the sink worker`);
      const sink = await factory.create({ roomId, sampleRate, frameSamples, wavPath: msg.wavPath, log: roomLog.child({ sink: name }) });
      if (sink) sinks.push(sink);
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  rooms.set(roomId, { ring: new FrameRing(msg.ring), sinks });
  return { type: 'reply', id: msg.id, ok: true, created: sinks.map((s) => s.name) };
}

async function close(msg: Extract<ToSinkWorker, { type: 'close' }>): Promise<SinkReply> {
  const room = rooms.get(msg.roomId);
  if (!room) return { type: 'reply', id: msg.id, ok: true };
  // The producer closed the ring before asking: every frame it pushed is visible now; play them out first.
  drain(msg.roomId, room);
  rooms.delete(msg.roomId);
  const results = await Promise.allSettled(room.sinks.map((s) => s.close()));
  const closeErrors = results.flatMap((r, i) => (r.status === 'rejected' ? [{ sink: room.sinks[i]!.name, message: message(r.reason) }] : []));
  return { type: 'reply', id: msg.id, ok: true, closeErrors };
}

try {
  const container = await buildContainer(data.config, { log });
  const factories = container.getAll<AudioSinkFactory>(TOKENS.AudioSinkFactory);
  port.on('message', (msg: ToSinkWorker) => {
    const p = msg.type === 'open' ? open(msg, factories) : close(msg);
    p.then(post, (err: unknown) => post({ type: 'reply', id: msg.id, ok: false, error: message(err) }));
  });
  void serve();
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'init-error', error: message(err) });
}
