import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { siblingModule, spawnWorker } from '../threads/spawn-worker.ts';
import type { BlockArrivalStats } from './block-arrivals.ts';
import type { PlayoutEvent } from './playout.ts';
import type { FromAssembly, ToAssembly } from './assembly-protocol.ts';

/**
 * The main thread's handle on the assembly thread (assembly-worker.ts, issue 13), started with the
 * playout thread and linked to it by a port of their own: chunk order and shaping run there, so
 * synthesized audio goes engine worker → assembly thread → playout thread without the main thread.
 */
export class AssemblyThread {
  private readonly pending = new Map<number, { resolve(blocks: BlockArrivalStats): void; reject(err: Error): void }>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    onEvent: (event: PlayoutEvent) => void,
  ) {
    worker.on('message', (msg: FromAssembly) => {
      if (msg.type === 'event') onEvent(msg.event);
      else if (msg.type === 'reply') {
        this.pending.get(msg.id)?.resolve(msg.blocks);
        this.pending.delete(msg.id);
      }
    });
    worker.on('error', (err) => this.fail(new Error(`assembly thread crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.fail(new Error(`assembly thread exited (code ${code})`)));
  }

  /**
   * Starts the thread and links it to the playout thread: `linkPlayout` receives the playout's end of
   * their channel (to transfer to the playout worker).
   * @param logLevel pino level for the thread's own log lines
   * @throws Error when the thread cannot start
   */
  static async start(logLevel: string, linkPlayout: (port: MessagePort) => void, onEvent: (event: PlayoutEvent) => void): Promise<AssemblyThread> {
    const worker = spawnWorker(siblingModule('./assembly-worker', import.meta.url), { logLevel });
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromAssembly) => m.type === 'ready' && done(null);
      const onErr = (err: Error) => done(new Error(`assembly thread failed to start: ${err.message}`, { cause: err }));
      const onExit = (code: number) => done(new Error(`assembly thread exited during start (code ${code})`));
      const done = (err: Error | null) => {
        worker.off('message', onMsg).off('error', onErr).off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      worker.on('message', onMsg).on('error', onErr).on('exit', onExit);
    });
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ type: 'link', port: port1 } satisfies ToAssembly, [port1]);
    linkPlayout(port2);
    return new AssemblyThread(worker, onEvent);
  }

  /** Posts a message; `transfer` moves buffers and ports. @throws Error after the thread failed or closed */
  send(msg: ToAssembly, transfer: Array<ArrayBuffer | MessagePort> = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(msg, transfer);
  }

  /** A new port for an engine worker: what it posts reaches this thread directly. @throws Error after the thread failed */
  openSource(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.send({ type: 'source', port: port2 }, [port2]);
    return port1;
  }

  /** Block arrivals (over the blocks after `blocksSince`, when given). @throws Error after the thread failed */
  stats(blocksSince?: number): Promise<BlockArrivalStats> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'stats', id, blocksSince });
    });
  }

  /** Ends the thread; idempotent. */
  async close(): Promise<void> {
    if (this.failure) return;
    this.failure = new Error('the assembly thread is closed');
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err; // from now on every send throws it: narrations fail with it, not in silence
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
