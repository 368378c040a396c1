import type { BroadcastChannel } from 'node:worker_threads';
import { openBridgeChannel, type FromBridgeSink, type ToBridgeSink } from './bridge-channel.ts';

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

  /** Frames received from playout threads since start (diagnostics). */
  get framesReceived(): number {
    return this.framesIn;
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
      for (const listener of set) listener.deliver(msg.bytes, msg.timeMs);
    } else if (msg.kind === 'sink-ready') {
      // `listen`s posted before the room's sink existed went nowhere: say them again.
      for (const [rate, set] of this.rooms.get(msg.roomId) ?? []) this.announce(msg.roomId, rate, set.size);
    }
  }
}
