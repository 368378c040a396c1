import type { MessagePort } from 'node:worker_threads';
import type { ChunkRoute } from '../../server/playout/playout.ts';
import type { XttsLanguage } from './languages.ts';

/** One synthesis request as a backend receives it (language checked, voice resolved). */
export interface XttsSynthesisRequest {
  readonly text: string;
  readonly language: XttsLanguage;
  /** A voice name the backend accepted in {@link XttsBackend.resolveVoice}. */
  readonly voice: string;
}

/**
 * What `XttsEngine` needs from a backend: `http` (XTTS servers, xtts-http-backend.ts) or `onnx`
 * (in process, on a worker thread: onnx/xtts-onnx-backend.ts), chosen by the `backend` option.
 */
export interface XttsBackend {
  /** Checks the backend can run and prepares every configured voice. @throws Error naming what failed */
  init(): Promise<void>;
  /**
   * The voice a request will use; called before streaming so a bad voice fails at once.
   * @param voice name from the narration; undefined = the configured default
   * @throws Error naming the voice and the available ones
   */
  resolveVoice(voice: string | undefined): string;
  /**
   * Streams mono f32 blocks in [-1, 1] at 24 000 Hz as they are produced.
   * @throws AbortError when `signal` aborts; Error naming the cause otherwise
   */
  stream(request: XttsSynthesisRequest, signal: AbortSignal): AsyncIterable<Float32Array>;
  /**
   * Present on a backend whose audio is produced on a worker thread (`onnx`): it can post it straight to
   * the playout thread (issue 13; the engine's `direct`). The `http` backend's fetch streams run on the
   * main thread and have none.
   */
  readonly direct?: XttsDirectBackend;
  /** Releases connections and sessions. */
  close(): Promise<void>;
}

/** A backend's direct audio path (see `DirectAudio` in server/synthesis/tts-engine.ts). */
export interface XttsDirectBackend {
  /** Gives the backend a factory of ports to the playout thread: one per worker, again for a new worker. */
  connect(openPort: () => MessagePort): void;
  /** True once `connect` was called. */
  connected(): boolean;
  /**
   * Like {@link XttsBackend.stream}, but each block goes to the playout thread tagged with `route`, and the
   * chunk is ended there (`chunk-end`) before this ends or rejects; yields each block's length, samples.
   * @throws as `stream`; Error before `connect`
   */
  stream(request: XttsSynthesisRequest, signal: AbortSignal, route: ChunkRoute): AsyncIterable<number>;
}
