import type { MessagePort, Worker } from 'node:worker_threads';
import type { ChunkRoute } from '../../server/playout/playout.ts';
import { siblingModule, spawnWorker } from '../../server/threads/spawn-worker.ts';
import type { ConnectMessage, DoneMessage, EspeakWorkerData, ReadyMessage, SynthMessage, WorkerMessage } from './protocol.ts';

/** Receives the outcome of one request run on an {@link EspeakThread}. */
export interface RequestHandler {
  /**
   * One block: mono f32 in [-1, 1] at the thread's sample rate, or for a routed request the length
   * (samples) of a block the worker posted to the assembly thread.
   */
  onBlock(samples: Float32Array | number): void;
  /** The worker finished the request (completed, cancelled or never started). */
  onDone(done: DoneMessage): void;
  /** The request failed: espeak rejected it, the worker died, or the thread was terminated. */
  onError(err: Error): void;
}

/** What the owner of a thread hears about it. */
export interface ThreadEvents {
  /** The thread finished its request and can take another. */
  onIdle(thread: EspeakThread): void;
  /** The worker ended without `terminate()`; the thread is dead for good. */
  onCrash(thread: EspeakThread, err: Error): void;
}

/**
 * Main-thread handle of one espeak worker (espeak-worker.ts): starts it, runs one request at a
 * time on it, routes its blocks by request id, and turns an unexpected exit into errors.
 * The worker is ref'd only while it has a request, so an idle engine does not keep Node alive.
 */
export class EspeakThread {
  private worker: Worker | undefined;
  private readonly cancelSlot = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private current: { readonly id: number; readonly handler: RequestHandler } | undefined;
  private terminating = false;
  private dead = false;
  private lastError: Error | undefined;
  private readyInfo: ReadyMessage | undefined;

  /**
   * @param settings speaking rate (wpm, 80..450) and pitch (0..100) applied in the worker
   */
  constructor(
    private readonly settings: { readonly rate: number; readonly pitch: number },
    private readonly events: ThreadEvents,
  ) {}

  /** The worker's thread id; -1 before `start()`. */
  get threadId(): number {
    return this.worker?.threadId ?? -1;
  }

  /** What the worker reported once warm; undefined before. */
  get ready(): ReadyMessage | undefined {
    return this.readyInfo;
  }

  /** Started, warm, and neither crashed nor terminated. */
  get isAlive(): boolean {
    return this.readyInfo !== undefined && !this.dead;
  }

  /** Running a request (including one cancelled whose synth call has not returned yet). */
  get isBusy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Spawns the worker and waits until its espeak instance is warm.
   * @throws Error when the worker fails to instantiate espeak or exits during start-up
   */
  start(): Promise<ReadyMessage> {
    if (this.worker) throw new Error('EspeakThread.start() called twice');
    const data: EspeakWorkerData = { ...this.settings, cancel: this.cancelSlot.buffer as SharedArrayBuffer };
    const worker = spawnWorker(siblingModule('./espeak-worker', import.meta.url), { ...data });
    this.worker = worker;
    return new Promise<ReadyMessage>((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') {
          this.readyInfo = msg;
          worker.unref();
          resolve(msg);
        } else if (msg.type === 'init-failed') {
          reject(new Error(`espeak worker failed to instantiate espeak-ng: ${msg.message}`));
        } else {
          this.route(msg);
        }
      });
      worker.on('error', (err) => {
        this.lastError = err;
      });
      worker.on('exit', (code) => {
        this.dead = true;
        if (!this.readyInfo) {
          reject(new Error(`espeak worker exited with code ${code} before it was ready${this.lastError ? `: ${this.lastError.message}` : ''}`));
          return;
        }
        if (this.terminating) return;
        const err = new Error(
          `espeak worker (thread ${worker.threadId}) died with exit code ${code}${this.lastError ? `: ${this.lastError.message}` : ''}`,
          { cause: this.lastError },
        );
        const current = this.current;
        this.current = undefined;
        current?.handler.onError(err);
        this.events.onCrash(this, err);
      });
    });
  }

  /**
   * Starts request `id` on the worker.
   * @param id unique, > 0
   * @param route with a connected port, the audio goes to the assembly thread tagged with it
   * @param text plain text to speak
   * @param readAhead words read after `text` for intonation and cut off (SynthMessage.readAhead)
   * @param voice espeak voice name (`en-us`, `pt-br+f2`)
   * @throws Error when the thread is not alive or already runs a request
   */
  run(id: number, text: string, voice: string, handler: RequestHandler, readAhead?: string, route?: ChunkRoute): void {
    if (!this.isAlive || !this.worker) throw new Error(`espeak thread ${this.threadId} is not running`);
    if (this.current) throw new Error(`espeak thread ${this.threadId} is busy with request ${this.current.id}`);
    this.current = { id, handler };
    this.worker.ref();
    this.worker.postMessage({ type: 'synth', id, text, voice, readAhead, route } satisfies SynthMessage);
  }

  /**
   * Hands the worker a port to the assembly thread (transferred): routed requests' blocks go there.
   * @throws Error when the thread is not running
   */
  connect(port: MessagePort): void {
    if (!this.worker || this.dead) throw new Error(`espeak thread ${this.threadId} is not running`);
    this.worker.postMessage({ type: 'connect', port } satisfies ConnectMessage, [port]);
  }

  /**
   * Asks the worker to stop request `id`: it will not start if it has not yet, and otherwise
   * espeak stops at its next audio callback (≤ ~100 ms of audio later). The handler still
   * gets `onDone` when the worker is free again.
   */
  cancel(id: number): void {
    if (this.current?.id === id) Atomics.store(this.cancelSlot, 0, id);
  }

  /** Stops the worker; a running request's handler gets `onError(reason)`. */
  async terminate(reason: Error): Promise<void> {
    this.terminating = true;
    this.dead = true;
    const current = this.current;
    this.current = undefined;
    current?.handler.onError(reason);
    await this.worker?.terminate();
  }

  private route(msg: Exclude<WorkerMessage, ReadyMessage | { type: 'init-failed' }>): void {
    const current = this.current;
    if (!current || current.id !== msg.id) return;
    if (msg.type === 'block' || msg.type === 'routed') {
      current.handler.onBlock(msg.samples);
      return;
    }
    this.current = undefined;
    this.worker?.unref();
    if (msg.type === 'done') current.handler.onDone(msg);
    else current.handler.onError(new Error(msg.message));
    this.events.onIdle(this);
  }
}
