import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ModelHandle, ModelLease, ModelProgress } from '../../../server/models/model-spec.ts';
import type { ModelManager } from '../../../server/models/model-manager.ts';
import type { ChunkRoute } from '../../../server/playout/playout.ts';
import type { CudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';
import type { XttsBackend, XttsDirectBackend, XttsSynthesisRequest } from '../backend.ts';
import type { XttsOptions } from '../options.ts';
import type { ReferenceUpload } from '../reference-wav.ts';
import { parseSpeakerLatents, type SpeakerLatents } from '../speaker-latents.ts';
import { XttsVoiceStore } from '../voice-store.ts';
import { toConditioning } from './speaker-conditioning.ts';
import type { SpeakerConditioning, XttsStage } from './xtts-inference.ts';
import { XTTS_ONNX_FILES, type XttsSessionOptions } from './xtts-onnx-model.ts';
import { XttsOnnxThread } from './xtts-onnx-thread.ts';
import type { NoticeMessage, XttsModelInfo, XttsWorkerSettings } from './worker-protocol.ts';

/** What the backend needs from its host beyond the options. */
export interface XttsOnnxDeps {
  /** The container's model manager: the model loads once, stays resident while leased, evicts when idle. */
  readonly models: ModelManager;
  /** Execution providers and threads (from the GPU tier when mounted; CPU otherwise). */
  readonly sessionOptions?: XttsSessionOptions;
  /** Stage timings for metrics and the benchmark, ms (posted by the worker per step only when set). */
  readonly onStage?: (stage: XttsStage, ms: number) => void;
  /** Told once when the GPU provider cannot load and sessions run on the CPU (the GPU tier's `cpuFallback`). */
  readonly onCpuFallback?: (reason: string) => void;
  /** A fixed answer for the CUDA provider's library check, handed to the worker (tests: a GPU box stand-in). */
  readonly sessions?: { readonly cudaLibraries?: CudaProviderLibraries };
}

/**
 * The main thread's stand-in for the model the worker holds: what the {@link ModelManager} loads, leases
 * and unloads. Its `load`, `warmUp` and `unload` run in the worker; this records on which worker and what
 * it reported (GPT shape, file bytes).
 */
export interface XttsWorkerModel {
  readonly thread: XttsOnnxThread;
  readonly info: XttsModelInfo;
}

/**
 * The `onnx` backend: XTTS-v2 in this process on onnxruntime-node (./README.md), its sessions and whole
 * inference loop on a worker thread (xtts-onnx-worker.ts; issue 13: no GPT step on the game loop, and with
 * `direct` the audio goes from the worker to the playout thread). The model directory is registered with
 * the {@link ModelManager} (id `xtts-onnx:<dir>`) on the main thread as before: the manager's load, warm-up
 * and unload post to the worker, so single-flight loading, TTL/LRU eviction, leases and the `/models` view
 * keep their meaning; a chunk holds a lease until the worker has finished (or stopped) it. Voices are cloned
 * with the model's own encoders in the worker and cached next to the references, tagged with the model.
 *
 * Each load starts a worker and each unload ends it, so a worker lives as long as the model is resident.
 * A worker that dies fails its requests with an Error naming the exit code; the next chunk (once no other
 * holds the dead copy) unloads it from the manager and loads the model again on a new worker.
 */
export class XttsOnnxBackend implements XttsBackend {
  private readonly modelDir: string;
  private handle: ModelHandle<XttsWorkerModel> | undefined;
  private voices: XttsVoiceStore | undefined;
  private readonly conditioning = new Map<string, SpeakerConditioning>();
  private readonly closing = new AbortController();
  private seedCounter = 0;
  private running = 0;
  private cpuReason: string | null = null;
  private openPort: (() => MessagePort) | undefined;
  readonly direct: XttsDirectBackend;

  constructor(private readonly options: XttsOptions, private readonly log: Logger, private readonly deps: XttsOnnxDeps) {
    if (!options.modelDir) throw new Error('plugins.tts-xtts.modelDir is required for backend "onnx"');
    this.modelDir = resolve(options.modelDir);
    this.direct = {
      connect: (openPort) => {
        this.openPort = openPort;
      },
      connected: () => this.openPort !== undefined,
      stream: (request, signal, route) => this.run(request, signal, route) as AsyncIterable<number>,
    };
  }

  /** Why the sessions run on the CPU provider instead of the GPU one they were given; null when they do not. */
  get cpuFallbackReason(): string | null {
    return this.cpuReason;
  }

  /** The model manager's id for this model directory. */
  get modelId(): string {
    return `xtts-onnx:${this.modelDir}`;
  }

  /** Where each voice's latents came from (tests, health output). */
  get voiceSources(): XttsVoiceStore['loadedFrom'] {
    return this.voices?.loadedFrom ?? new Map();
  }

  /** Chunks this backend has on the worker and not finished. */
  get requestsInFlight(): number {
    return this.running;
  }

  /**
   * Loads and warms the model (in the worker), then resolves every configured voice (cloning references
   * once). Sessions whose GPU provider cannot load open on the CPU provider, with one warning
   * (./cpu-fallback-sessions.ts).
   * @throws Error naming the model file or the voice at fault
   */
  async init(): Promise<void> {
    this.handle ??= this.deps.models.registerOnce<XttsWorkerModel>({
      id: this.modelId,
      load: (signal, progress) => this.load(signal, progress),
      warmUp: async (model, signal) => void (await model.thread.request({ type: 'warm-up' }, signal)),
      unload: (model) => unloadModel(model),
    });
    const lease = await this.lease(this.closing.signal);
    try {
      const { info } = lease.model;
      this.log.info({ modelDir: this.modelDir, ...info.shape, bytes: info.sizeBytes, threadId: lease.model.thread.threadId }, 'XTTS ONNX model ready');
      const tag = await modelTag(this.modelDir);
      this.voices ??= new XttsVoiceStore(this.options.voicesDir, this.options.voices, (upload) => this.clone(upload), this.log, info.shape.width, tag);
      await this.voices.load();
      for (const name of this.voices.names) this.conditioning.set(name, toConditioning(this.voices.get(name)));
    } finally {
      lease.release();
    }
  }

  resolveVoice(voice: string | undefined): string {
    const names = this.voices?.names ?? Object.keys(this.options.voices);
    const name = voice ?? this.options.defaultVoice ?? names[0];
    if (name === undefined) throw new Error('no XTTS voice configured: set plugins.tts-xtts.voices (reference WAVs or latents files)');
    if (!this.conditioning.has(name)) throw new Error(`unknown XTTS voice "${name}"; configured: ${names.join(', ') || '(none)'}`);
    return name;
  }

  stream(request: XttsSynthesisRequest, signal: AbortSignal): AsyncGenerator<Float32Array> {
    return this.run(request, signal) as AsyncGenerator<Float32Array>;
  }

  /**
   * Aborts chunks in flight. The model, and the worker that holds it, stay with the model manager (another
   * engine may share them); the manager's TTL, LRU or close unloads the model and ends the worker.
   */
  async close(): Promise<void> {
    this.closing.abort();
  }

  /** One chunk on the worker: blocks, or with a route (and a connected port) block lengths while the audio goes to the playout thread. */
  private async *run(request: XttsSynthesisRequest, signal: AbortSignal, route?: ChunkRoute): AsyncGenerator<Float32Array | number> {
    if (!this.handle) throw new Error('XttsOnnxBackend.stream() called before init()');
    if (route && !this.openPort) throw new Error('XttsOnnxBackend: direct stream before direct.connect()');
    const voice = this.conditioning.get(request.voice);
    if (!voice) throw new Error(`unknown XTTS voice "${request.voice}"`);
    const aborted = AbortSignal.any([signal, this.closing.signal]);
    const lease = await this.lease(aborted);
    this.running++;
    try {
      const { thread } = lease.model;
      // A worker is connected by the first routed chunk of a connected engine (also one sharing the model).
      if (route && !thread.connected) thread.connect(this.openPort!());
      const o = this.options;
      const settings: XttsWorkerSettings = {
        streamChunkSize: o.streamChunkSize,
        speed: o.speed,
        decoding: o.decoding === 'greedy' ? 'greedy' : o.sampling,
        // One sequence per chunk: seed, seed + 1, … so a narration replays identically from a fresh start.
        ...(o.seed === undefined ? {} : { seed: o.seed + this.seedCounter++ }),
      };
      const msg = { type: 'synth' as const, text: request.text, language: request.language, voice, settings, stages: this.deps.onStage !== undefined, ...(route ? { route } : {}) };
      yield* thread.synthesize(msg, aborted, this.deps.onStage);
    } finally {
      this.running--;
      lease.release();
    }
  }

  /**
   * A lease on a model whose worker is alive: a copy whose worker died is unloaded from the manager and
   * loaded again on a new worker (once nobody else holds it).
   * @throws Error when the dead copy is still leased by other chunks; as ModelManager.acquire otherwise
   */
  private async lease(signal: AbortSignal): Promise<ModelLease<XttsWorkerModel>> {
    const lease = await this.handle!.acquire(signal);
    if (lease.model.thread.alive) return lease;
    lease.release();
    if (!(await this.deps.models.unload(this.modelId))) {
      throw new Error('the XTTS onnx worker died; the model loads again once the chunks that were using it have ended');
    }
    return this.handle!.acquire(signal);
  }

  /**
   * The model manager's load: a new worker per load (the worker lives as long as the model is resident),
   * which opens the sessions and reports progress.
   */
  private async load(signal: AbortSignal, progress: ModelProgress): Promise<XttsWorkerModel> {
    const thread = new XttsOnnxThread(
      this.deps.sessions?.cudaLibraries ? { cudaLibraries: this.deps.sessions.cudaLibraries } : {},
      (notice) => this.notice(notice),
      (err) => this.log.error({ err, threadId: thread.threadId }, 'XTTS onnx worker died'),
    );
    try {
      const reply = await thread.request({ type: 'load', dir: this.modelDir, ...(this.deps.sessionOptions ? { sessionOptions: this.deps.sessionOptions } : {}) }, signal, (e) => {
        if (e.type === 'progress') progress(e.fraction, e.note);
      });
      if (reply.type !== 'loaded') throw new Error(`XTTS onnx worker answered a load with "${reply.type}"`);
      return { thread, info: reply.info };
    } catch (err) {
      await thread.terminate(err as Error);
      throw err;
    }
  }

  private notice(notice: NoticeMessage): void {
    if (notice.type === 'warn') {
      this.log.warn(notice.fields, notice.message);
      return;
    }
    // Once per backend, as CpuFallbackSessions did in process (a respawned worker may report it again).
    if (this.cpuReason !== null) return;
    this.cpuReason = notice.reason;
    this.deps.onCpuFallback?.(notice.reason);
  }

  /** Clones a voice in the worker; the latents are checked against the model's width on the way back. */
  private async clone(upload: ReferenceUpload): Promise<SpeakerLatents> {
    const lease = await this.lease(this.closing.signal);
    try {
      const reply = await lease.model.thread.request({ type: 'clone', references: upload.references.map((r) => r.path) }, this.closing.signal);
      if (reply.type !== 'cloned') throw new Error(`XTTS onnx worker answered a clone with "${reply.type}"`);
      return parseSpeakerLatents(reply.latents, `voice cloned from ${upload.references.map((r) => r.path).join(', ')}`, lease.model.info.shape.width);
    } finally {
      lease.release();
    }
  }
}

/** The model manager's unload: the worker releases its sessions (GPU memory with CUDA), then ends. */
async function unloadModel(model: XttsWorkerModel): Promise<void> {
  try {
    if (model.thread.alive) await model.thread.request({ type: 'unload' });
  } finally {
    await model.thread.terminate(new Error('XTTS onnx model unloaded'));
  }
}

/**
 * A short tag naming the model for the latents cache: sha256 of the encoders' and mel stats' path, size and
 * mtime (not their bytes, which can be large); a re-exported model gets new cache files.
 */
async function modelTag(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const real = await realpath(dir);
  for (const name of [XTTS_ONNX_FILES.conditioningEncoder, XTTS_ONNX_FILES.speakerEncoder, XTTS_ONNX_FILES.melStats]) {
    const s = await stat(join(real, name));
    hash.update(`${join(real, name)}:${s.size}:${s.mtimeMs};`);
  }
  return `onnx-${hash.digest('hex').slice(0, 8)}`;
}
