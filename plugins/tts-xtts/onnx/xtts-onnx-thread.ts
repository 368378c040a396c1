import type { MessagePort, Worker } from 'node:worker_threads';
import { abortError } from '../../../server/synthesis/tts-engine.ts';
import { siblingModule, spawnWorker } from '../../../server/threads/spawn-worker.ts';
import { BlockStream } from '../../../server/util/block-stream.ts';
import type { XttsStage } from './xtts-inference.ts';
import type {
  EventMessage, NoticeMessage, ResultMessage, XttsWorkerControl, XttsWorkerData, XttsWorkerMessage, XttsWorkerRequest,
} from './worker-protocol.ts';

/** Distributes `Omit` over a union, so each request type keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  readonly resolve: (reply: ResultMessage) => void;
  readonly reject: (err: Error) => void;
  readonly onEvent?: (event: EventMessage) => void;
}

/**
 * Main-thread handle of one XTTS onnx worker (xtts-onnx-worker.ts): spawns it, numbers requests and routes
 * the worker's replies and events back to them. Every request ends only with the worker's final reply
 * (also when cancelled: the caller's `signal` sends `cancel`, and the request rejects with AbortError once
 * the worker stopped), so a model lease held around a request is released only when the worker is done
 * with the sessions. The worker is ref'd only while requests are pending, so an idle engine does not keep
 * Node alive.
 *
 * A worker that exits unexpectedly fails every pending request with an Error naming the exit code; the
 * thread is then dead for good (`alive` false) and the owner starts another.
 */
export class XttsOnnxThread {
  private readonly worker: Worker;
  /** Kept: `worker.threadId` reads -1 once the worker exited, and messages name it after that. */
  readonly threadId: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead = false;
  private terminating = false;
  private hasPort = false;
  private lastError: Error | undefined;

  /**
   * Spawns the worker (it loads nothing until asked).
   * @param onNotice warnings to log and the CPU fallback, from the worker
   * @param onExit the worker ended without `terminate()`, with the Error pending requests got
   */
  constructor(data: XttsWorkerData, private readonly onNotice: (notice: NoticeMessage) => void, onExit: (err: Error) => void = () => undefined) {
    this.worker = spawnWorker(siblingModule('./xtts-onnx-worker', import.meta.url), { ...data });
    this.threadId = this.worker.threadId;
    this.worker.unref();
    this.worker.on('message', (msg: XttsWorkerMessage) => this.route(msg));
    this.worker.on('error', (err) => {
      this.lastError = err;
    });
    this.worker.on('exit', (code) => {
      this.dead = true;
      if (this.terminating) return;
      const err = new Error(`XTTS onnx worker (thread ${this.threadId}) died with exit code ${code}${this.lastError ? `: ${this.lastError.message}` : ''}`, { cause: this.lastError });
      this.failAll(err);
      onExit(err);
    });
  }

  /** Neither exited nor terminated. */
  get alive(): boolean {
    return !this.dead;
  }

  /** True once the worker was given a port to the playout thread. */
  get connected(): boolean {
    return this.hasPort;
  }

  /** Requests posted and not answered yet. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Posts a request and resolves with its final reply.
   * @param onEvent the request's progress, blocks and stage timings, in order, before the reply
   * @throws AbortError when `signal` aborted (after the worker stopped); Error with the worker's message
   *   when the request failed, or naming the exit code when the worker died
   */
  request(msg: WithoutId<XttsWorkerRequest>, signal?: AbortSignal, onEvent?: (event: EventMessage) => void): Promise<ResultMessage> {
    if (this.dead) return Promise.reject(new Error(`XTTS onnx worker (thread ${this.threadId}) is not running`));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    return new Promise<ResultMessage>((resolve, reject) => {
      // Once the caller aborted, the final reply means only "the worker stopped": AbortError whatever it says.
      let aborted: AbortSignal | undefined;
      const onAbort = (): void => {
        aborted = signal;
        this.control({ type: 'cancel', id });
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker.unref();
      };
      this.pending.set(id, {
        resolve: (reply) => { done(); if (aborted) reject(abortError(aborted)); else resolve(reply); },
        reject: (err) => { done(); reject(aborted ? abortError(aborted) : err); },
        ...(onEvent ? { onEvent } : {}),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.ref();
      this.worker.postMessage({ ...msg, id } as XttsWorkerRequest);
    });
  }

  /**
   * A synth request as a stream: each block (mono f32 in [-1, 1], 24 kHz) or, for a routed request, each
   * block's length in samples. Ends once the worker replied `done`; rejects as {@link request}. A consumer
   * that leaves early cancels the request, and the generator returns only once the worker stopped.
   * @param onStage each stage's duration, ms (only when the request asked for `stages`)
   */
  async *synthesize(msg: WithoutId<Extract<XttsWorkerRequest, { type: 'synth' }>>, signal: AbortSignal, onStage?: (stage: XttsStage, ms: number) => void): AsyncGenerator<Float32Array | number> {
    const stream = new BlockStream<Float32Array | number>();
    const leave = new AbortController();
    const reply = this.request(msg, AbortSignal.any([signal, leave.signal]), (e) => {
      if (e.type === 'block' || e.type === 'routed') stream.push(e.samples);
      else if (e.type === 'stage') onStage?.(e.stage, e.ms);
    });
    reply.then(() => stream.end(), (err: Error) => stream.fail(err));
    try {
      for (;;) {
        const block = await stream.next();
        if (block === undefined) return;
        yield block;
      }
    } finally {
      // A consumer that leaves early stops the worker too; wait so the caller's lease outlives the run.
      leave.abort();
      await reply.catch(() => undefined);
    }
  }

  /** Hands the worker a port to the playout thread (transferred). @throws Error when the worker is not running */
  connect(port: MessagePort): void {
    if (this.dead) throw new Error(`XTTS onnx worker (thread ${this.threadId}) is not running`);
    this.worker.postMessage({ type: 'connect', port } satisfies XttsWorkerControl, [port]);
    this.hasPort = true;
  }

  /** Stops the worker; pending requests reject with `reason`. */
  async terminate(reason: Error): Promise<void> {
    this.terminating = true;
    this.dead = true;
    this.failAll(reason);
    await this.worker.terminate();
  }

  private control(msg: XttsWorkerControl): void {
    if (!this.dead) this.worker.postMessage(msg);
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  private route(msg: XttsWorkerMessage): void {
    if (msg.type === 'warn' || msg.type === 'cpu-fallback') {
      this.onNotice(msg);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress' || msg.type === 'block' || msg.type === 'routed' || msg.type === 'stage') p.onEvent?.(msg);
    else if (msg.type === 'failed') p.reject(new Error(msg.message));
    else p.resolve(msg);
  }
}
