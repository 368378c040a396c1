import { inject, injectable, optional } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import { clauseText, abortError, isAbortError, type DirectAudio, type TtsChunk, type TtsEngine } from '../../server/synthesis/tts-engine.ts';
import type { MessagePort } from 'node:worker_threads';
import type { ChunkRoute } from '../../server/playout/playout.ts';
import type { XttsBackend, XttsSynthesisRequest } from './backend.ts';
import { describe } from '../../server/util/http-stream.ts';
import { XTTS_CHAR_LIMITS, XTTS_LANGUAGES, XTTS_SAMPLE_RATE, assertXttsLanguage } from './languages.ts';
import type { XttsOptions } from './options.ts';
import { XttsSpeakingRate } from './speaking-rate.ts';
import { XttsHttpBackend } from './xtts-http-backend.ts';
import type { XttsSessionOptions } from './onnx/xtts-onnx-model.ts';
import { ModelManager } from '../../server/models/model-manager.ts';
import type { SessionOptionsSource } from '../../server/synthesis/session-options-source.ts';

/** What a backend may use from the host: the model manager and onnxruntime session options. */
export interface XttsBackendDeps {
  readonly models: ModelManager;
  readonly sessionOptions?: XttsSessionOptions;
  /** The onnx backend calls this once when its GPU provider cannot load and it runs on the CPU. */
  readonly onCpuFallback?: (reason: string) => void;
  /** The registry /metrics serves, when the host binds one: the http backend's per-server metrics. */
  readonly registry?: Registry;
}

/** Creates the backend the options select. */
export type XttsBackendFactory = (options: XttsOptions, log: Logger, deps: XttsBackendDeps) => XttsBackend | Promise<XttsBackend>;

/**
 * The backends: `http` (an XTTS server) and `onnx` (in process). The onnx backend is imported on demand
 * so users of a server never load onnxruntime's native library.
 */
export const defaultBackendFactory: XttsBackendFactory = async (options, log, deps) => {
  if (options.backend !== 'onnx') return new XttsHttpBackend(options, log, deps.registry);
  const { XttsOnnxBackend } = await import('./onnx/xtts-onnx-backend.ts');
  return new XttsOnnxBackend(options, log, deps);
};


/**
 * The XTTS-v2 engine (engine name `xtts`): mono f32 blocks in [-1, 1] at 24 000 Hz, streamed as the
 * backend produces them. Per-language text limits are XTTS's own `char_limits`.
 *
 * Failures: an unsupported language, an unknown voice, or a call before `init()` throw from
 * `synthesize()` at once. A request that fails (after the backend's retries and failover, or once
 * some of its audio was yielded) ends its chunk with an Error naming the chunk (`narrationId#index`)
 * and the cause (http: naming the server), for the narrator to report in the narration's `error`
 * and move on. Abort rejects with `abortError(signal)`.
 */
@injectable()
export class XttsEngine implements TtsEngine {
  readonly name = 'xtts';
  readonly sampleRate = XTTS_SAMPLE_RATE;
  readonly languages: readonly string[] = XTTS_LANGUAGES;

  private readonly log: Logger;
  private readonly rate = new XttsSpeakingRate();
  private backend: XttsBackend | undefined;
  private initPromise: Promise<void> | undefined;
  private ready = false;
  private closed = false;

  private readonly models: ModelManager;
  private ownsModels = false;
  private openPort: (() => MessagePort) | undefined;
  /**
   * With backend `onnx` (issue 13): the worker that runs the model posts each block straight to the playout
   * thread. Connected only if the backend has a direct path (one from a custom factory may not): the
   * scheduler then relays blocks as for `http`, whose fetch streams run on the main thread.
   */
  readonly direct?: DirectAudio;
  /** The /metrics registry, property-injected so the constructor's positional parameters stay as they are. */
  @inject(TOKENS.MetricsRegistry) @optional() private readonly registry?: Registry;

  /**
   * Cheap: nothing is contacted or loaded before `init()`.
   * @param models the container's model manager; absent (direct construction) = a private one, closed with the engine
   * @param gpuTier the GPU-tier service when that plugin is mounted: the onnx backend's execution providers and threads
   */
  constructor(
    @inject(pluginOptionsToken('tts-xtts')) private readonly options: XttsOptions,
    @inject(TOKENS.Logger) log: Logger,
    @inject(TOKENS.ModelManager) @optional() models?: ModelManager,
    @inject(TOKENS.SessionOptionsSource) @optional() private readonly gpuTier?: SessionOptionsSource,
    private readonly createBackend: XttsBackendFactory = defaultBackendFactory,
  ) {
    this.log = log.child({ plugin: 'tts-xtts' });
    this.ownsModels = models === undefined;
    this.models = models ?? new ModelManager({ log: this.log });
    if (options.backend === 'onnx') this.direct = this.directAudio();
  }

  /** XTTS-v2's `char_limits` entry for the language. @throws Error for an unsupported language */
  maxChars(language: string): number {
    return XTTS_CHAR_LIMITS[assertXttsLanguage(language)];
  }

  /** Estimate, then a moving average of measured chunks (speaking-rate.ts). @throws Error for an unsupported language */
  charsPerSecond(language: string): number {
    return this.rate.charsPerSecond(assertXttsLanguage(language));
  }

  /**
   * Checks the server is reachable and resolves every configured voice (cloning references once).
   * Later calls return the same promise; a failed init can be retried.
   * @throws Error naming the URL and cause, or the voice and what is wrong with it
   */
  init(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('XttsEngine is closed'));
    this.initPromise ??= (async () => {
      this.backend ??= await this.createBackend(this.options, this.log, {
        models: this.models,
        sessionOptions: await this.sessionOptions(),
        onCpuFallback: (reason) => this.gpuTier?.cpuFallback?.(reason),
        ...(this.registry ? { registry: this.registry } : {}),
      });
      await this.backend.init();
      if (this.openPort) this.backend.direct?.connect(this.openPort);
      this.ready = true;
    })().catch((err: unknown) => {
      this.initPromise = undefined;
      throw err;
    });
    return this.initPromise;
  }

  /**
   * Streams one chunk's audio. A chunk that continues a sentence is read ending in a comma
   * (`clauseText`): XTTS gives no word timing to cut a read-ahead at, and a comma keeps it from
   * ending the chunk on a full stop's falling intonation.
   * @param voice a configured voice name (`xtts-streaming-server`) or the server's voice (`openai`); undefined = `defaultVoice`
   * @throws Error at once for an unsupported language, an unknown voice, before `init()` or after `close()`
   */
  synthesize(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array> {
    return this.start(chunk, voice, signal) as AsyncIterable<Float32Array>;
  }

  /** Validates a chunk and starts it: relayed blocks, or with `route` block lengths while the audio goes to the playout thread. */
  private start(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal, route?: ChunkRoute): AsyncIterable<Float32Array | number> {
    if (this.closed) throw new Error('XttsEngine is closed');
    const language = assertXttsLanguage(chunk.language);
    if (!this.ready || !this.backend) throw new Error('XttsEngine.synthesize() called before init() completed');
    const resolved = this.backend.resolveVoice(voice);
    const request = { text: clauseText(chunk), language, voice: resolved };
    const direct = this.backend.direct;
    if (route && !direct?.connected()) throw new Error('XttsEngine.direct.synthesize() called before direct.connect()');
    const blocks = route ? direct!.stream(request, signal, route) : this.backend.stream(request, signal);
    return this.stream(chunk, request, blocks, signal);
  }

  private directAudio(): DirectAudio {
    const connected = () => this.openPort !== undefined && (!this.backend || this.backend.direct?.connected() === true);
    return {
      connect: (openPort) => {
        this.openPort = openPort;
        this.backend?.direct?.connect(openPort);
      },
      get connected(): boolean {
        return connected();
      },
      synthesize: (chunk, voice, signal, route) => this.start(chunk, voice, signal, route) as AsyncIterable<number>,
    };
  }

  /**
   * Checks that `voice` is configured (or, for `openai`, passed through) after `init()`.
   * @throws Error naming the voice and the configured ones, or before `init()`
   */
  checkVoice(voice: string, language: string): void {
    assertXttsLanguage(language);
    if (!this.ready || !this.backend) throw new Error('XttsEngine.checkVoice() called before init() completed');
    this.backend.resolveVoice(voice);
  }

  /** Aborts requests in flight and releases the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend?.close();
    if (this.ownsModels) await this.models.close();
  }

  /** CUDA then CPU from the GPU tier when mounted (detection awaited); onnxruntime's CPU defaults otherwise. */
  private async sessionOptions(): Promise<XttsSessionOptions | undefined> {
    if (this.options.backend !== 'onnx' || !this.gpuTier) return undefined;
    await this.gpuTier.init();
    const { executionProviders, sessionThreads } = this.gpuTier.config;
    return { executionProviders: executionProviders as XttsSessionOptions['executionProviders'], ...sessionThreads };
  }

  /** Names the chunk in a failure and measures the speaking rate; `blocks` are f32 blocks or routed lengths, samples. */
  private async *stream(chunk: TtsChunk, request: XttsSynthesisRequest, blocks: AsyncIterable<Float32Array | number>, signal: AbortSignal): AsyncGenerator<Float32Array | number> {
    if (signal.aborted) throw abortError(signal);
    let samples = 0;
    try {
      for await (const block of blocks) {
        samples += typeof block === 'number' ? block : block.length;
        yield block;
      }
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw abortError(signal);
      throw new Error(`XTTS chunk ${chunk.narrationId}#${chunk.index} failed after ${samples} samples: ${describe(err)}`, { cause: err });
    }
    this.rate.observe(request.language, request.text.length, samples / this.sampleRate);
  }
}
