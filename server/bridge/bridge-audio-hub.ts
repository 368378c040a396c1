import type { BroadcastChannel } from 'node:worker_threads';
import { LatencyWindow, type LatencySummary } from '../observability/latency-window.ts';
import { openBridgeChannel, type FromBridgeSink, type ToBridgeSink } from './bridge-channel.ts';

/** Frames whose clock → main-thread delay {@link BridgeAudioHub.stats} summarizes (the last ~40 s of one room). */
const DELAY_WINDOW = 2048;

/** Figures of the main thread's side of the bridge audio. */
export interface BridgeAudioStats {
  /** Frames received from playout threads (one per room, rate and 20 ms frame with listeners). */
  readonly framesReceived: number;
  /** Frames handed to sockets (frames × listeners). */
  readonly deliveries: number;
  /** Main-thread time per delivery (backlog check + `ws.send`), µs. */
  readonly meanDeliverUs: number;
  /** The frame clock handing a frame to the sink → the main thread starting to send it, ms, over the last 2 048 frames. */
  readonly clockToMainMs: LatencySummary;
}

/** A socket that hears a room's stream at one rate. */
export interface AudioListener {
  readonly roomId: string;
  /** Hz. */
  readonly rate: number;
  /** One encoded frame (game-bridge/PROTOCOL.md); `timeMs` = when the clock handed it to the sink, epoch ms. Must not throw. */
  deliver(bytes: Uint8Array, timeMs: number): void;
}

/**
 * The main thread's end of the bridge channel: keeps who listens to which room at which rate,
 * tells the room's `bridge` sink (playout thread) how many listen per rate, and hands each frame
 * to the room's listeners at that rate (the same bytes to all). Opened with the first listener,
 * closed after the last, unref'd so it never keeps the process alive.
 */
export class BridgeAudioHub {
  private channel: BroadcastChannel | null = null;
  private readonly rooms = new Map<string, Map<number, Set<AudioListener>>>();
  private framesIn = 0;
  private deliveries = 0;
  private deliverMs = 0;
  /** Clock → main-thread delays of the last {@link DELAY_WINDOW} frames, ms. */
  private readonly delays = new LatencyWindow(DELAY_WINDOW);

  /** Starts delivering the room's frames at `listener.rate` to `listener`. */
  add(listener: AudioListener): void {
    let rates = this.rooms.get(listener.roomId);
    if (!rates) this.rooms.set(listener.roomId, (rates = new Map()));
    let set = rates.get(listener.rate);
    if (!set) rates.set(listener.rate, (set = new Set()));
    set.add(listener);
    this.announce(listener.roomId, listener.rate, set.size);
  }

  /** Stops delivering to `listener`; idempotent. */
  remove(listener: AudioListener): void {
    const rates = this.rooms.get(listener.roomId);
    const set = rates?.get(listener.rate);
    if (!rates || !set?.delete(listener)) return;
    if (set.size === 0) rates.delete(listener.rate);
    if (rates.size === 0) this.rooms.delete(listener.roomId);
    this.announce(listener.roomId, listener.rate, set.size);
    if (this.rooms.size === 0 && this.channel) {
      this.channel.close();
      this.channel = null;
    }
  }

  /** Figures since start: frames in, deliveries to sockets and their cost, the clock → main-thread delay. */
  stats(): BridgeAudioStats {
    return {
      framesReceived: this.framesIn,
      deliveries: this.deliveries,
      meanDeliverUs: this.deliveries ? (this.deliverMs * 1000) / this.deliveries : 0,
      clockToMainMs: this.delays.summary(),
    };
  }

  private announce(roomId: string, rate: number, listeners: number): void {
    const msg: ToBridgeSink = { kind: 'listen', roomId, rate, listeners };
    this.open().postMessage(msg);
  }

  private open(): BroadcastChannel {
    this.channel ??= openBridgeChannel<FromBridgeSink | ToBridgeSink>((msg) => this.dispatch(msg));
    return this.channel;
  }

  private dispatch(msg: FromBridgeSink | ToBridgeSink): void {
    if (!msg || typeof msg !== 'object') return;
    if (msg.kind === 'frame') {
      const set = this.rooms.get(msg.roomId)?.get(msg.rate);
      if (!set) return;
      this.framesIn++;
      const start = performance.now();
      this.delays.note(performance.timeOrigin + start - msg.timeMs);
      for (const listener of set) listener.deliver(msg.bytes, msg.timeMs);
      this.deliverMs += performance.now() - start;
      this.deliveries += set.size;
    } else if (msg.kind === 'sink-ready') {
      // `listen`s posted before the room's sink existed went nowhere: say them again.
      for (const [rate, set] of this.rooms.get(msg.roomId) ?? []) this.announce(msg.roomId, rate, set.size);
    }
  }
}
