import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import type { MessagePort } from 'node:worker_threads';
import { abortError, clauseText, type DirectAudio, type TtsChunk, type TtsEngine } from '../../server/synthesis/tts-engine.ts';
import type { ChunkRoute } from '../../server/playout/playout.ts';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import { BlockStream } from './block-stream.ts';
import { EspeakThread } from './espeak-thread.ts';
import { DEFAULT_VOICES, ESPEAK_LANGUAGES, autoEspeakWorkers, type EspeakLanguage, type EspeakOptions } from './options.ts';
import type { DoneMessage } from './protocol.ts';
import { buildReport, type SynthesisReport } from './synthesis-report.ts';
import { SpeakingRateEstimator, charsPerSecondForRate } from './speaking-rate.ts';
import { VoiceCatalog, assertEspeakLanguage } from './voice-catalog.ts';

export type { SynthesisReport } from './synthesis-report.ts';

/**
 * Longest chunk text accepted, characters. espeak-ng has no hard limit (it splits text into
 * clauses itself and streams every ~100 ms block). The bound keeps one request's hold on a
 * worker short, which bounds how long another room's chunk waits behind it: measured on a
 * 2-core machine, synthesis takes ~0.15 ms per character warm and up to ~3 ms cold (the first
 * chunks after start-up), so 400 characters (~23 s of audio) hold a worker ≤ ~60 ms warm, ~1 s cold.
 */
export const ESPEAK_MAX_CHARS = 400;

/** espeak-ng's output rate, Hz; the real one is read from the instance at `init()`. */
const ESPEAK_NOMINAL_SAMPLE_RATE = 22_050;

/** Snapshot of the engine for health output and tests. */
export interface EspeakStatus {
  readonly sampleRate: number;
  /** Workers started since construction, respawns included. */
  readonly spawned: number;
  readonly workers: ReadonlyArray<{ readonly threadId: number; readonly alive: boolean; readonly busy: boolean; readonly instantiationMs?: number; readonly warmupMs?: number }>;
  /** Requests waiting for a worker. */
  readonly queued: number;
}

interface Job {
  readonly id: number;
  readonly chunk: TtsChunk;
  readonly voice: string;
  readonly enqueuedAt: number;
  /** Blocks, or for a routed job the lengths of the blocks its worker posted to the assembly thread. */
  readonly stream: BlockStream<Float32Array | number>;
  readonly route?: ChunkRoute;
  thread?: EspeakThread;
  /** The consumer's side is finished (ended, failed or cancelled); later blocks are dropped. */
  settled: boolean;
}

interface Slot {
  thread?: EspeakThread;
  starting?: Promise<void>;
}

/**
 * The embedded espeak-ng engine: warm instances (Emscripten wasm2js) on 1–4 worker threads, one request at a time
 * per worker, blocks streamed to the caller as espeak produces them (mono f32 in [-1, 1] at 22 050 Hz).
 *
 * Abort: the iterator rejects with `abortError(signal)` at once. A queued request is dropped without
 * ever reaching espeak; a running one is stopped cooperatively at espeak's next audio callback
 * (espeak's synth call itself cannot be interrupted, but it calls back every ~100 ms of audio), and
 * its late blocks are dropped by request id. A worker crash fails the request it ran; the next
 * request respawns the worker.
 */
@injectable()
export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak';
  readonly languages: readonly string[] = ESPEAK_LANGUAGES;

  private readonly log: Logger;
  private readonly defaultVoices: Readonly<Record<EspeakLanguage, string>>;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly speakingRate: SpeakingRateEstimator;
  private readonly reportListeners = new Set<(report: SynthesisReport) => void>();
  private initPromise: Promise<void> | undefined;
  private voiceCatalog: VoiceCatalog | undefined;
  private rate = ESPEAK_NOMINAL_SAMPLE_RATE;
  private nextId = 1;
  private spawned = 0;
  private closed = false;
  /** Opens a port to the assembly thread for a worker (DirectAudio.connect); undefined until connected. */
  private openPort: (() => MessagePort) | undefined;

  /**
   * The direct audio path (issue 13): once connected, each worker posts a routed chunk's blocks to
   * the assembly thread on its own port, so espeak's audio never crosses the main thread.
   */
  readonly direct: DirectAudio = this.directAudio();

  /** Cheap: no worker starts before `init()`. */
  constructor(
    @inject(pluginOptionsToken('tts-espeak')) private readonly options: EspeakOptions,
    @inject(TOKENS.Logger) log: Logger,
  ) {
    this.log = log.child({ plugin: 'tts-espeak' });
    this.defaultVoices = { ...DEFAULT_VOICES, ...options.voices };
    this.slots = Array.from({ length: options.workers === 'auto' ? autoEspeakWorkers() : options.workers }, () => ({}));
    this.speakingRate = new SpeakingRateEstimator(charsPerSecondForRate(options.rate));
  }

  /** Requests run at once: one per worker thread (the synthesis scheduler runs this many jobs at once). */
  get parallelism(): number {
    return this.slots.length;
  }

  /** Output rate in Hz: the instance's own once `init()` has run (22 050). */
  get sampleRate(): number {
    return this.rate;
  }

  /** {@link ESPEAK_MAX_CHARS} for every supported language. @throws Error for an unsupported language */
  maxChars(language: string): number {
    assertEspeakLanguage(language);
    return ESPEAK_MAX_CHARS;
  }

  /**
   * Characters per second of audio: `rate × 6 / 60` until the language has a measured chunk, then a
   * moving average of measured chunks (see speaking-rate.ts). @throws Error for an unsupported language
   */
  charsPerSecond(language: string): number {
    assertEspeakLanguage(language);
    return this.speakingRate.charsPerSecond(language);
  }

  /**
   * Starts the workers and warms their espeak instances; later calls return the same promise.
   * @throws Error when a worker cannot start or a configured voice does not exist for its language
   */
  init(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('EspeakEngine is closed'));
    this.initPromise ??= this.startAll().catch(async (err: unknown) => {
      this.initPromise = undefined;
      await Promise.all(this.slots.map((s) => s.thread?.terminate(new Error('espeak init failed'))));
      throw err;
    });
    return this.initPromise;
  }

  /**
   * Streams the audio of one chunk. Validation happens here, before iteration.
   * @param voice espeak voice name (`en-us`, `en-gb-x-rp`, `pt-br+f2`); undefined = the language's configured voice
   * @throws Error for an unsupported language, a voice that does not speak the language, before `init()`, or after `close()`
   */
  synthesize(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array> {
    return this.start(chunk, voice, signal) as AsyncIterable<Float32Array>;
  }

  /** Validates and queues a request; with a route its audio goes to the assembly thread and lengths come back. */
  private start(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal, route?: ChunkRoute): AsyncIterable<Float32Array | number> {
    if (this.closed) throw new Error('EspeakEngine is closed');
    const language = assertEspeakLanguage(chunk.language);
    if (!this.voiceCatalog) throw new Error('EspeakEngine.synthesize() called before init() completed');
    const voiceName = this.voiceCatalog.resolve(language, voice ?? this.defaultVoices[language], this.defaultVoices[language]);
    return this.stream(chunk, voiceName, signal, route);
  }

  /**
   * Checks that espeak has `voice` for `language` (after `init()`).
   * @throws Error for an unsupported language, a voice that does not speak it, or before `init()`
   */
  checkVoice(voice: string, language: string): void {
    const lang = assertEspeakLanguage(language);
    if (!this.voiceCatalog) throw new Error('EspeakEngine.checkVoice() called before init() completed');
    this.voiceCatalog.resolve(lang, voice, this.defaultVoices[lang]);
  }

  /**
   * Subscribes to a report after each request espeak ran (not for those dropped before starting).
   * @returns unsubscribe
   */
  onReport(listener: (report: SynthesisReport) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  /** Current workers and queue. */
  status(): EspeakStatus {
    return {
      sampleRate: this.rate,
      spawned: this.spawned,
      queued: this.queue.length,
      workers: this.slots.map((s) => ({
        threadId: s.thread?.threadId ?? -1,
        alive: s.thread?.isAlive ?? false,
        busy: s.thread?.isBusy ?? false,
        instantiationMs: s.thread?.ready?.instantiationMs,
        warmupMs: s.thread?.ready?.warmupMs,
      })),
    };
  }

  private directAudio(): DirectAudio {
    const isConnected = () => this.openPort !== undefined;
    return {
      connect: (openPort) => {
        this.openPort = openPort;
        for (const slot of this.slots) if (slot.thread?.isAlive) slot.thread.connect(openPort());
      },
      get connected(): boolean {
        return isConnected();
      },
      synthesize: (chunk, voice, signal, route) => {
        if (!this.openPort) throw new Error('EspeakEngine.direct.synthesize() called before connect()');
        return this.start(chunk, voice, signal, route) as AsyncIterable<number>;
      },
    };
  }

  /** Terminates the workers; pending and queued requests reject with an Error saying the engine closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = new Error('EspeakEngine closed while synthesizing');
    for (const job of this.queue.splice(0)) this.settle(job, reason);
    await Promise.all(this.slots.map((s) => s.thread?.terminate(reason)));
  }

  private async *stream(chunk: TtsChunk, voice: string, signal: AbortSignal, route?: ChunkRoute): AsyncGenerator<Float32Array | number> {
    if (signal.aborted) throw abortError(signal);
    const job: Job = { id: this.nextId++, chunk, voice, enqueuedAt: nowMs(), stream: new BlockStream(), route, settled: false };
    const onAbort = (): void => this.cancel(job, abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    this.queue.push(job);
    this.pump();
    try {
      for (;;) {
        const block = await job.stream.next();
        if (block === undefined) return;
        yield block;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.cancel(job); // no-op unless the consumer left early
    }
  }

  /** Settles the job for its consumer and makes sure espeak does not start or go on with it. */
  private cancel(job: Job, reason?: Error): void {
    if (job.settled) return;
    this.settle(job, reason);
    if (job.thread) {
      job.thread.cancel(job.id);
    } else {
      const at = this.queue.indexOf(job);
      if (at >= 0) this.queue.splice(at, 1);
    }
  }

  private settle(job: Job, err?: Error): void {
    if (job.settled) return;
    job.settled = true;
    if (err) job.stream.fail(err);
    else job.stream.end();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0 || this.closed) return;
      if (slot.starting) continue;
      if (!slot.thread?.isAlive) {
        this.respawn(slot);
        continue;
      }
      if (slot.thread.isBusy) continue;
      this.dispatch(slot.thread, this.queue.shift()!);
    }
  }

  private dispatch(thread: EspeakThread, job: Job): void {
    job.thread = thread;
    // A chunk cut mid-sentence reads on to the end of the next clause and is cut where that starts;
    // with the next words unknown yet it ends as a clause (comma) instead of falling like a full stop.
    const { continuation } = job.chunk;
    const text = continuation ? job.chunk.text : clauseText(job.chunk);
    thread.run(job.id, text, job.voice, {
      onBlock: (samples) => {
        if (!job.settled) job.stream.push(samples);
      },
      onDone: (done) => {
        this.report(job, thread, done);
        this.settle(job);
      },
      onError: (err) => this.settle(job, err),
    }, continuation || undefined, job.route);
  }

  private respawn(slot: Slot): void {
    this.startSlot(slot).catch((err: Error) => {
      this.log.error({ err }, 'espeak worker respawn failed');
      // Nothing else would start these; failing them beats leaving their iterators hanging.
      for (const job of this.queue.splice(0)) this.settle(job, err);
    });
  }

  private async startAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startSlot(slot)));
    for (const language of ESPEAK_LANGUAGES) {
      try {
        this.voiceCatalog!.resolve(language, this.defaultVoices[language], DEFAULT_VOICES[language]);
      } catch (err) {
        throw new Error(`tts-espeak option voices.${language}: ${(err as Error).message}`);
      }
    }
  }

  /** Starts a worker into `slot`, marking the slot as starting meanwhile so `pump()` does not start another. */
  private startSlot(slot: Slot): Promise<void> {
    const starting: Promise<void> = this.spawnInto(slot).finally(() => {
      if (slot.starting === starting) slot.starting = undefined;
    });
    slot.starting = starting;
    return starting.then(() => this.pump());
  }

  private async spawnInto(slot: Slot): Promise<void> {
    const thread = new EspeakThread(
      { rate: this.options.rate, pitch: this.options.pitch },
      {
        onIdle: () => this.pump(),
        onCrash: (t, err) => {
          this.log.error({ err, threadId: t.threadId }, 'espeak worker crashed');
          this.pump();
        },
      },
    );
    slot.thread = thread;
    this.spawned++;
    const ready = await thread.start();
    if (this.openPort) thread.connect(this.openPort()); // a respawned worker gets a port of its own
    this.rate = ready.sampleRate;
    this.voiceCatalog ??= new VoiceCatalog(ready.voices);
    this.log.info({ threadId: thread.threadId, instantiationMs: Math.round(ready.instantiationMs), warmupMs: Math.round(ready.warmupMs), sampleRate: ready.sampleRate }, 'espeak worker ready');
  }

  private report(job: Job, thread: EspeakThread, done: DoneMessage): void {
    if (!done.started) return;
    const report = buildReport(job.id, job.chunk, job.voice, thread.threadId, job.enqueuedAt, done, this.rate);
    if (!done.cancelled) this.speakingRate.observe(job.chunk.language, report.chars, report.audioSeconds);
    this.log.debug({ ...report }, 'espeak chunk synthesized');
    for (const listener of this.reportListeners) {
      try {
        listener(report);
      } catch (err) {
        this.log.warn({ err }, 'espeak report listener threw');
      }
    }
  }
}
