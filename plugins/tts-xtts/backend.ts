import type { XttsLanguage } from './languages.ts';

/** One synthesis request as a backend receives it (language checked, voice resolved). */
export interface XttsSynthesisRequest {
  readonly text: string;
  readonly language: XttsLanguage;
  /** A voice name the backend accepted in {@link XttsBackend.resolveVoice}. */
  readonly voice: string;
}

/**
 * What `XttsEngine` needs from a backend: `http` (an XTTS server, xtts-http-backend.ts) today;
 * `onnx` (in-process) later, behind the same `backend` option.
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
  /** Releases connections and sessions. */
  close(): Promise<void>;
}
