import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ModelHandle } from '../../../server/models/model-spec.ts';
import type { ModelManager } from '../../../server/models/model-manager.ts';
import { seededRandom } from '../../../server/util/seeded-random.ts';
import type { XttsBackend, XttsSynthesisRequest } from '../backend.ts';
import type { XttsOptions } from '../options.ts';
import type { ReferenceUpload } from '../reference-wav.ts';
import type { SpeakerLatents } from '../speaker-latents.ts';
import { XttsVoiceStore } from '../voice-store.ts';
import { computeSpeakerLatents, readMonoWav, toConditioning } from './speaker-conditioning.ts';
import { xttsInferenceStream, type SpeakerConditioning, type XttsStage, type XttsStreamSettings } from './xtts-inference.ts';
import { XTTS_ONNX_FILES, XttsOnnxModel, type XttsSessionOptions } from './xtts-onnx-model.ts';
import { warmUpXtts } from './warm-up.ts';
import { CpuFallbackSessions, type CpuFallbackSessionsDeps } from './cpu-fallback-sessions.ts';

/** What the backend needs from its host beyond the options. */
export interface XttsOnnxDeps {
  /** The container's model manager: the model loads once, stays resident while leased, evicts when idle. */
  readonly models: ModelManager;
  /** Execution providers and threads (from the GPU tier when mounted; CPU otherwise). */
  readonly sessionOptions?: XttsSessionOptions;
  /** Stage timings for metrics and the benchmark, ms. */
  readonly onStage?: (stage: XttsStage, ms: number) => void;
  /** Told once when the GPU provider cannot load and sessions run on the CPU (the GPU tier's `cpuFallback`). */
  readonly onCpuFallback?: (reason: string) => void;
  /** Replaces onnxruntime-node's session factory and the CUDA library check (tests: a GPU box stand-in). */
  readonly sessions?: Pick<CpuFallbackSessionsDeps, 'create' | 'cudaLibraries'>;
}

/**
 * The `onnx` backend: XTTS-v2 in this process on onnxruntime-node (./README.md). The model directory is
 * registered with the {@link ModelManager} (id `xtts-onnx:<dir>`), loaded and warmed at `init()`, and leased
 * for every chunk so it is never evicted mid-narration. Voices are cloned with the model's own encoders and
 * cached next to the references, tagged with the model so another model's latents are never reused.
 */
export class XttsOnnxBackend implements XttsBackend {
  private readonly modelDir: string;
  private handle: ModelHandle<XttsOnnxModel> | undefined;
  private voices: XttsVoiceStore | undefined;
  private readonly conditioning = new Map<string, SpeakerConditioning>();
  private readonly closing = new AbortController();
  private seedCounter = 0;
  /** One per backend, so a reload after eviction neither retries a GPU provider that failed nor warns again. */
  private readonly sessions: CpuFallbackSessions;

  constructor(private readonly options: XttsOptions, private readonly log: Logger, private readonly deps: XttsOnnxDeps) {
    if (!options.modelDir) throw new Error('plugins.tts-xtts.modelDir is required for backend "onnx"');
    this.modelDir = resolve(options.modelDir);
    this.sessions = new CpuFallbackSessions({ ...deps.sessions, log, ...(deps.onCpuFallback ? { onFallback: deps.onCpuFallback } : {}) });
  }

  /** Why the sessions run on the CPU provider instead of the GPU one they were given; null when they do not. */
  get cpuFallbackReason(): string | null {
    return this.sessions.fallbackReason;
  }

  /** The model manager's id for this model directory. */
  get modelId(): string {
    return `xtts-onnx:${this.modelDir}`;
  }

  /** Where each voice's latents came from (tests, health output). */
  get voiceSources(): XttsVoiceStore['loadedFrom'] {
    return this.voices?.loadedFrom ?? new Map();
  }

  /**
   * Loads and warms the model, then resolves every configured voice (cloning references once). Sessions
   * whose GPU provider cannot load open on the CPU provider, with one warning (./cpu-fallback-sessions.ts).
   * @throws Error naming the model file or the voice at fault
   */
  async init(): Promise<void> {
    this.handle ??= this.deps.models.registerOnce<XttsOnnxModel>({
      id: this.modelId,
      load: (signal, progress) => XttsOnnxModel.load(this.modelDir, this.deps.sessionOptions, progress, signal, this.sessions.open),
      warmUp: (model, signal) => warmUpXtts(model, signal),
      unload: (model) => model.release(),
    });
    const lease = await this.handle.acquire(this.closing.signal);
    try {
      const model = lease.model;
      this.log.info({ modelDir: this.modelDir, ...model.gpt.shape, bytes: model.sizeBytes }, 'XTTS ONNX model ready');
      const tag = await modelTag(this.modelDir);
      this.voices ??= new XttsVoiceStore(this.options.voicesDir, this.options.voices, (upload) => this.clone(model, upload), this.log, model.width, tag);
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

  async *stream(request: XttsSynthesisRequest, signal: AbortSignal): AsyncGenerator<Float32Array> {
    if (!this.handle) throw new Error('XttsOnnxBackend.stream() called before init()');
    const voice = this.conditioning.get(request.voice);
    if (!voice) throw new Error(`unknown XTTS voice "${request.voice}"`);
    const aborted = AbortSignal.any([signal, this.closing.signal]);
    const lease = await this.handle.acquire(aborted);
    try {
      const model = lease.model;
      const ids = model.tokenizer.encode(request.text, request.language);
      const o = this.options;
      const settings: XttsStreamSettings = {
        streamChunkSize: o.streamChunkSize,
        speed: o.speed,
        decoding: o.decoding === 'greedy' ? 'greedy' : o.sampling,
        // One sequence per chunk: seed, seed + 1, … so a narration replays identically from a fresh start.
        random: o.seed === undefined ? Math.random : seededRandom(o.seed + this.seedCounter++),
      };
      yield* xttsInferenceStream(model, ids, voice, settings, aborted, this.deps.onStage);
    } finally {
      lease.release();
    }
  }

  /**
   * Aborts chunks in flight. The model stays with the model manager (another engine may share it); the
   * manager's TTL, or its own close, unloads it.
   */
  async close(): Promise<void> {
    this.closing.abort();
  }

  private async clone(model: XttsOnnxModel, upload: ReferenceUpload): Promise<SpeakerLatents> {
    const refs = await Promise.all(upload.references.map((r) => readMonoWav(r.path)));
    return computeSpeakerLatents(model, refs);
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
