import type { Logger } from 'pino';
import { abortError, type TtsChunk, type TtsEngine } from './tts-engine.ts';
import type { ChunkRoute } from '../playout/playout.ts';
import type { SynthesisPolicy, SynthesisPolicySource } from './synthesis-policy.ts';
import { MinHeap } from './min-heap.ts';

/** One chunk a room asks the process's engine to synthesize. */
export interface SynthesisJobRequest {
  readonly roomId: string;
  readonly narrationId: string;
  readonly chunk: TtsChunk;
  /** Engine voice; undefined = the engine's default for the language. */
  readonly voice?: string;
  /**
   * Audio the room will play before it needs this chunk, ms (its FIFO plus the expected
   * audio of its own chunks still being synthesized ahead of this one). Lower = more urgent;
   * 0 for the first chunk of a narration in an idle room.
   */
  readonly leadMs: number;
  /** Aborting it cancels the job: queued → never starts; in flight → the engine is aborted. */
  readonly signal: AbortSignal;
  /**
   * Where the chunk's audio goes. With an engine that delivers audio straight to the assembly thread
   * (`engine.direct`, connected), it goes there and `onBlock` gets only its length.
   */
  readonly route?: ChunkRoute;
  /**
   * Receives each non-empty block as the engine yields it, in order: the samples (mono f32 in [-1, 1]
   * at the engine rate), or null when the engine posted them to the assembly thread itself; `samples`
   * is the block's length either way.
   */
  readonly onBlock: (block: Float32Array | null, samples: number) => void;
}

/** What a finished job measured. */
export interface SynthesisJobResult {
  /** Samples handed to `onBlock`, at the engine rate. */
  readonly samples: number;
  /** Engine time: start of the job to its last block, ms (queue wait excluded). */
  readonly synthesisMs: number;
  /** Time spent queued before the engine started, ms. */
  readonly waitedMs: number;
  /** Start of the job to its first block, ms (time to first byte); null when it yielded none. */
  readonly firstBlockMs: number | null;
  /** The engine delivered the audio to the assembly thread itself (and ended the chunk there). */
  readonly direct: boolean;
}

/** Options of {@link SynthesisScheduler}. */
export interface SynthesisSchedulerOptions {
  readonly engine: TtsEngine;
  readonly policy: SynthesisPolicySource;
  readonly log?: Logger;
  /** Monotonic clock, ms; default `performance.now` (faked by sinon fake timers in tests). */
  readonly now?: () => number;
}

/** Counters for tests, metrics and the benchmark. */
export interface SchedulerStats {
  readonly queued: number;
  readonly inFlight: number;
  /** Highest `inFlight` seen. */
  readonly maxInFlight: number;
  readonly started: number;
  readonly completed: number;
  readonly cancelled: number;
  readonly failed: number;
}

interface Job {
  readonly req: SynthesisJobRequest;
  /** Epoch of need on the scheduler clock: submit time + lead, ms (earliest deadline first). */
  readonly deadlineMs: number;
  /** Start-time fair-queueing tag of its room: ties on deadline go to the room served least. */
  readonly tag: number;
  readonly seq: number;
  readonly submittedAtMs: number;
  readonly engineAbort: AbortController;
  state: 'queued' | 'running' | 'done';
  resolve(r: SynthesisJobResult): void;
  reject(err: unknown): void;
  detach(): void;
}

interface RoomEntry {
  lastTag: number;
  readonly jobs: Set<Job>;
}

/**
 * The synthesis stage of the whole process: ONE scheduler shared by every room,
 * putting chunk jobs on the engine in order of need.
 *
 * Order: earliest deadline first, deadline = submit time + `leadMs` (the moment the
 * room runs out of audio if the chunk is not there), so a room's next chunk (N+1)
 * outranks the one after it (N+2, whose lead includes N+1's audio) and a first chunk
 * (lead 0) outranks chunks of rooms that are still playing. Equal deadlines are broken by
 * start-time fair queueing (Goyal et al., "Start-time Fair Queueing", SIGCOMM 1996): each
 * room's job gets tag = max(room's previous tag + 1, tag of the last job started), so rooms
 * at equal priority are served round-robin and a newcomer cannot starve an old room.
 *
 * Bound: at most `engine.parallelism` jobs run at once when the engine declares it (a CPU engine's
 * worker threads), else `max(1, policy.streams)` (streams 0 = CPU inference, one at a time), per the seed tier table (shared/seeds 002: 2–3 streams high-end, 1–2 mid,
 * 1 sequential on modest cards). After each job its slot stays taken for `policy.yieldMs`
 * (the seed's "yield between chunks" on modest cards, so the game gets the GPU). A policy
 * change (VRAM pressure) applies to jobs not yet started; running ones finish.
 *
 * Cancel is O(1) for a room: abort the job's signal (lazy deletion: a queued job is marked
 * dead and skipped when it reaches the heap top) or call {@link cancelRoom}.
 */
export class SynthesisScheduler {
  private readonly heap = new MinHeap<Job>((a, b) =>
    a.deadlineMs !== b.deadlineMs ? a.deadlineMs < b.deadlineMs : a.tag !== b.tag ? a.tag < b.tag : a.seq < b.seq,
  );
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly now: () => number;
  private policyValue: SynthesisPolicy;
  private readonly unsubscribe: () => void;
  /** Slots taken: running jobs plus jobs in their yield pause. */
  private busy = 0;
  private running = 0;
  private queuedCount = 0;
  private virtualTag = 0;
  private seq = 0;
  private closed = false;
  private counters = { maxInFlight: 0, started: 0, completed: 0, cancelled: 0, failed: 0 };

  constructor(private readonly options: SynthesisSchedulerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.policyValue = options.policy.current();
    this.unsubscribe = options.policy.onChange((p) => {
      this.policyValue = p;
      options.log?.info({ tier: p.tier, streams: p.streams, yieldMs: p.yieldMs }, 'synthesis policy changed');
      this.pump();
    });
  }

  /** The policy in force. */
  get policy(): SynthesisPolicy {
    return this.policyValue;
  }

  /**
   * Jobs allowed to run at once: the engine's own parallelism when it declares one (a CPU engine's
   * workers: the GPU tier does not bound them), else the policy's streams (0 = CPU inference → 1).
   */
  get concurrency(): number {
    const own = this.options.engine.parallelism;
    return Math.max(1, Math.floor(own ?? this.policyValue.streams));
  }

  /** Rooms with a job queued or running: how many share the engine's streams right now. */
  get activeRooms(): number {
    return this.rooms.size;
  }

  stats(): SchedulerStats {
    return { queued: this.queuedCount, inFlight: this.running, ...this.counters };
  }

  /**
   * Queues a chunk job.
   * @returns resolves when the engine yielded the chunk's last block
   * @throws (rejects) AbortError when `req.signal` aborts, the room is cancelled or the scheduler closes;
   *   the engine's Error when synthesis fails
   */
  submit(req: SynthesisJobRequest): Promise<SynthesisJobResult> {
    if (this.closed) return Promise.reject(abortError());
    if (req.signal.aborted) return Promise.reject(abortError(req.signal));
    let room = this.rooms.get(req.roomId);
    if (!room) this.rooms.set(req.roomId, (room = { lastTag: 0, jobs: new Set() }));
    const tag = Math.max(room.lastTag + 1, this.virtualTag);
    room.lastTag = tag;
    const submittedAtMs = this.now();
    return new Promise<SynthesisJobResult>((resolve, reject) => {
      const onAbort = () => this.cancelJob(job, abortError(req.signal));
      const job: Job = {
        req,
        deadlineMs: submittedAtMs + Math.max(0, req.leadMs),
        tag,
        seq: this.seq++,
        submittedAtMs,
        engineAbort: new AbortController(),
        state: 'queued',
        resolve,
        reject,
        detach: () => req.signal.removeEventListener('abort', onAbort),
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      room.jobs.add(job);
      this.queuedCount++;
      this.heap.push(job);
      this.pump();
    });
  }

  /** Cancels every queued and running job of a room (AbortError to each). */
  cancelRoom(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    for (const job of [...room.jobs]) this.cancelJob(job, abortError());
  }

  /** Cancels all jobs and stops following the policy. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const roomId of [...this.rooms.keys()]) this.cancelRoom(roomId);
  }

  private cancelJob(job: Job, err: Error): void {
    if (job.state === 'done') return;
    if (job.state === 'queued') this.queuedCount--; // stays in the heap, skipped when popped
    else job.engineAbort.abort(err);
    this.counters.cancelled++;
    this.settle(job);
    job.reject(err);
  }

  /** Detaches a job from its room and its signal; the first settle wins. */
  private settle(job: Job): void {
    job.state = 'done';
    job.detach();
    const room = this.rooms.get(job.req.roomId);
    if (room) {
      room.jobs.delete(job);
      if (room.jobs.size === 0) this.rooms.delete(job.req.roomId);
    }
  }

  private pump(): void {
    while (!this.closed && this.busy < this.concurrency) {
      const job = this.heap.pop();
      if (!job) return;
      if (job.state !== 'queued') continue;
      this.queuedCount--;
      job.state = 'running';
      this.virtualTag = Math.max(this.virtualTag, job.tag);
      this.busy++;
      this.running++;
      this.counters.started++;
      this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.running);
      void this.run(job);
    }
  }

  private async run(job: Job): Promise<void> {
    const { engine } = this.options;
    const { req } = job;
    const signal = job.engineAbort.signal;
    const startedAt = this.now();
    let samples = 0;
    let firstBlockMs: number | null = null;
    const direct = req.route && engine.direct?.connected ? engine.direct : undefined;
    try {
      const blocks: AsyncIterable<Float32Array | number> = direct
        ? direct.synthesize(req.chunk, req.voice, signal, req.route!)
        : engine.synthesize(req.chunk, req.voice, signal);
      for await (const block of blocks) {
        if (signal.aborted || job.state !== 'running') break;
        const length = typeof block === 'number' ? block : block.length;
        if (length === 0) continue;
        if (firstBlockMs === null) firstBlockMs = this.now() - startedAt;
        samples += length;
        req.onBlock(typeof block === 'number' ? null : block, length);
      }
      if (job.state === 'running') {
        this.counters.completed++;
        this.settle(job);
        job.resolve({ samples, synthesisMs: this.now() - startedAt, waitedMs: startedAt - job.submittedAtMs, firstBlockMs, direct: direct !== undefined });
      }
    } catch (err) {
      if (job.state === 'running') {
        // A failing engine or a throwing onBlock ends this job only.
        this.counters.failed++;
        this.settle(job);
        job.reject(err);
      }
    } finally {
      this.running--;
      this.release();
    }
  }

  /** Frees a slot, after the policy's yield when it asks for one. */
  private release(): void {
    const yieldMs = this.policyValue.yieldMs;
    const free = () => {
      this.busy--;
      this.pump();
    };
    if (yieldMs > 0 && !this.closed) setTimeout(free, yieldMs);
    else free();
  }
}
