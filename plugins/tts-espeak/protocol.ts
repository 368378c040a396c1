import type { MessagePort } from 'node:worker_threads';
import type { ChunkRoute } from '../../server/playout/playout.ts';

/**
 * Messages between the main thread ({@link EspeakThread}) and the espeak worker
 * (espeak-worker.ts). Times are epoch ms from `nowMs()`, comparable across threads.
 */

/** `workerData` the worker starts with. */
export interface EspeakWorkerData {
  /** Speaking rate in words per minute, 80..450. */
  readonly rate: number;
  /** Base pitch 0..100. */
  readonly pitch: number;
  /**
   * Int32Array(1) view target: the main thread stores the id of a request to cancel here;
   * the worker reads it before starting a request and in every audio callback, which lets
   * espeak stop mid-synthesis (the callback returns 1 = abort, per espeak's speak_lib.h).
   */
  readonly cancel: SharedArrayBuffer;
}

/** One espeak-ng voice as listed by the instance. */
export interface EspeakVoiceInfo {
  /** Voice file name, lower-cased: what `set_voice` accepts, e.g. `en-us`. */
  readonly name: string;
  /** Human name, e.g. `English (America)`. */
  readonly title: string;
  /** Language tags the voice declares, lower-cased, e.g. `['en-us', 'en']`. */
  readonly languages: readonly string[];
}

/** Main → worker: synthesize `text` with `voice`. */
export interface SynthMessage {
  readonly type: 'synth';
  /** Request id, unique and increasing per engine (never 0, the cancel slot's idle value). */
  readonly id: number;
  /** Plain text; the worker escapes it for espeak's SSML mode. */
  readonly text: string;
  /** espeak voice name, optionally with `+variant`. */
  readonly voice: string;
  /**
   * Words read after `text` for intonation only (TtsChunk.continuation): the worker synthesizes
   * `text + ' ' + readAhead` and stops at the first word of `readAhead` (espeak's word event gives
   * its audio position), so the chunk's audio is what espeak says for it inside the longer clause.
   */
  readonly readAhead?: string;
  /**
   * Where the audio goes (issue 13): with a connected playout port, blocks go there tagged with the
   * route and the main thread gets {@link RoutedMessage}s; the chunk is ended there when the request
   * finishes in any way.
   */
  readonly route?: ChunkRoute;
}

/** Main → worker: the assembly thread's port (transferred); replaces an earlier one. */
export interface ConnectMessage {
  readonly type: 'connect';
  readonly port: MessagePort;
}

/** Worker → main: a block of routed request `id` went to the assembly thread. */
export interface RoutedMessage {
  readonly type: 'routed';
  readonly id: number;
  /** Its length, samples. */
  readonly samples: number;
}

/** Worker → main: the instance is warm. */
export interface ReadyMessage {
  readonly type: 'ready';
  /** Output sample rate in Hz read from the instance (22 050 for espeak-ng). */
  readonly sampleRate: number;
  readonly voices: readonly EspeakVoiceInfo[];
  /** Time to load the module and create the instance, ms. */
  readonly instantiationMs: number;
  /** Time of the warm-up synthesis that follows instantiation, ms. */
  readonly warmupMs: number;
}

/** Worker → main: instantiation failed; the worker exits. */
export interface InitFailedMessage {
  readonly type: 'init-failed';
  readonly message: string;
}

/** Worker → main: one audio block of request `id`, as espeak produced it. */
export interface BlockMessage {
  readonly type: 'block';
  readonly id: number;
  /** Mono f32 in [-1, 1] at `sampleRate`; its buffer is transferred. */
  readonly samples: Float32Array;
}

/** Worker → main: request `id` finished (completed, cancelled, or never started). */
export interface DoneMessage {
  readonly type: 'done';
  readonly id: number;
  /** False when the cancel slot named this request before it started: espeak was not called. */
  readonly started: boolean;
  /** True when espeak was stopped by the cancel slot. */
  readonly cancelled: boolean;
  /** Samples posted, all blocks together. */
  readonly samples: number;
  /** Non-empty blocks posted. */
  readonly blocks: number;
  /** espeak word events seen. */
  readonly words: number;
  /** Just before espeak's synth call, epoch ms. */
  readonly startedAt: number;
  /** When the first block was posted, epoch ms; undefined if none was. */
  readonly firstBlockAt?: number;
  /** When espeak's synth call returned, epoch ms. */
  readonly endedAt: number;
}

/** Worker → main: request `id` could not run (e.g. espeak rejected the voice). */
export interface FailedMessage {
  readonly type: 'failed';
  readonly id: number;
  readonly message: string;
}

/** Anything the worker posts. */
export type WorkerMessage = ReadyMessage | InitFailedMessage | BlockMessage | RoutedMessage | DoneMessage | FailedMessage;
