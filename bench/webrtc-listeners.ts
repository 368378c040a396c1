import { fork, type ChildProcess } from 'node:child_process';
import type { BroadcastChannel } from 'node:worker_threads';
import { openSignalChannel, type FromSink } from '../plugins/audio-webrtc/signaling.ts';
import type { FromListeners, ListenerCounts, ToListeners } from './webrtc-listener-process.ts';

/**
 * The bench's WebRTC players: real werift peers in a child process (bench/webrtc-listener-process.ts),
 * signaled straight over the `webrtc` sinks' BroadcastChannel (plugins/audio-webrtc/signaling.ts)
 * instead of through a Colyseus room: the bench drives rooms with `createNarrator`, and what it
 * measures is the sinks, not the room plugin's relay. This thread relays the signaling both ways.
 */
export class BenchListeners {
  private readonly connected = new Map<string, () => void>();
  private readonly failed = new Map<string, (err: Error) => void>();
  private readonly stats = new Map<number, (l: ListenerCounts[]) => void>();
  private nextId = 1;
  private session = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly channel: BroadcastChannel,
  ) {
    child.on('message', (m: FromListeners) => {
      if (m.type === 'signal') this.channel.postMessage(m.msg);
      else {
        this.stats.get(m.id)?.(m.listeners);
        this.stats.delete(m.id);
      }
    });
  }

  /** Forks the listener process and opens this thread's end of the signaling channel. */
  static start(): BenchListeners {
    const child = fork(new URL('./webrtc-listener-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let self: BenchListeners | null = null;
    const channel = openSignalChannel<FromSink>((msg) => self?.onSink(msg));
    self = new BenchListeners(child, channel);
    return self;
  }

  /**
   * Adds `count` listeners to the room's `webrtc` sink and resolves when every one is connected.
   * @throws Error when a listener fails or is not connected within `timeoutMs`
   */
  async listen(roomId: string, count: number, timeoutMs = 60_000): Promise<void> {
    const waits: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const sessionId = `bench-${++this.session}`;
      waits.push(new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench listener ${sessionId} of ${roomId} not connected within ${timeoutMs} ms`)), timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          this.connected.delete(sessionId);
          this.failed.delete(sessionId);
        };
        this.connected.set(sessionId, () => (settle(), resolve()));
        this.failed.set(sessionId, (err) => (settle(), reject(err)));
      }));
      this.send({ type: 'listen', roomId, sessionId });
      this.channel.postMessage({ roomId, sessionId, kind: 'join' });
    }
    await Promise.all(waits);
  }

  /** Packets and sequence gaps of every listener now. */
  counts(): Promise<ListenerCounts[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.stats.set(id, resolve);
      this.send({ type: 'stats', id });
    });
  }

  /** Closes the room's listeners (the room is closing). */
  forget(roomId: string): void {
    this.send({ type: 'forget', roomId });
  }

  /** Ends the listener process and closes the channel. */
  close(): void {
    this.channel.close();
    this.child.disconnect();
  }

  private send(m: ToListeners): void {
    this.child.send(m);
  }

  private onSink(msg: FromSink): void {
    if (!msg || typeof msg !== 'object' || !('sessionId' in msg)) return;
    if (msg.kind === 'state' && msg.state === 'connected') this.connected.get(msg.sessionId)?.();
    else if (msg.kind === 'state' && msg.state === 'failed') this.failed.get(msg.sessionId)?.(new Error(`bench listener ${msg.sessionId}: ${msg.reason ?? 'failed'}`));
    else if (msg.kind === 'error') this.failed.get(msg.sessionId)?.(new Error(`bench listener ${msg.sessionId}: ${msg.message}`));
    if (msg.kind === 'offer' || msg.kind === 'candidate') this.send({ type: 'signal', msg });
  }
}
