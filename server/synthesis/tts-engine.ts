/**
 * The engine contract: every TTS plugin (embedded espeak-ng, XTTS in-process or
 * remote) implements it, and nothing in server/ knows more about an engine.
 */

import type { MessagePort } from 'node:worker_threads';
import type { ChunkRoute } from '../playout/playout.ts';

/** One chunk of narration as the engine receives it. */
export interface TtsChunk {
  /** Narration this chunk belongs to. */
  readonly narrationId: string;
  /** 0-based position of the chunk in its narration. */
  readonly index: number;
  /** Normalized text to speak (the chunker's `spoken`), at most `maxChars(language)` characters. */
  readonly text: string;
  /** ISO 639-1 language code, one of the engine's `languages`. */
  readonly language: string;
  /**
   * Set when the sentence goes on after this chunk (it was cut at a clause mark, before a
   * conjunction or at a word boundary): the words that follow, up to the end of their clause
   * (server/text/continuation.ts), or `''` when they are not known yet. Engines that can read it
   * for intonation and cut their audio where it starts; others end an unpunctuated chunk as a
   * clause (a comma) so it does not fall like a sentence's end. Undefined: the chunk ends a
   * sentence or the narration.
   */
  readonly continuation?: string;
}

/**
 * The text an engine without word timing reads for a chunk: an unpunctuated chunk that continues a
 * sentence ends with a comma (clause intonation, not a final fall); see {@link TtsChunk.continuation}.
 */
export function clauseText(chunk: TtsChunk): string {
  // A chunk with its own mark (`,` `;` or `"Run!" he` cut after the `!`) keeps it.
  if (chunk.continuation === undefined || /[.!?…,;:—–]["'”’»)\]]*$/u.test(chunk.text)) return chunk.text;
  return `${chunk.text},`;
}

/**
 * A text-to-speech engine.
 *
 * `synthesize` streams mono f32 PCM blocks in [-1, 1] at `sampleRate` Hz as soon
 * as the engine produces them (block length is the engine's choice; 0-length
 * blocks are allowed and ignored). It must stop promptly when `signal` aborts
 * and then reject with an `AbortError` (a normal ending, not a failure).
 */
export interface TtsEngine {
  /** Name that config `engine` selects, e.g. `espeak`. */
  readonly name: string;
  /** Output sample rate in Hz (espeak-ng 22 050, XTTS 24 000). */
  readonly sampleRate: number;
  /** ISO 639-1 codes the engine can speak. */
  readonly languages: readonly string[];
  /** Longest `spoken` text the engine accepts for a language, in characters (XTTS en: 250). */
  maxChars(language: string): number;
  /** Speaking-rate estimate in characters of spoken text per second, for chunk duration estimates. */
  charsPerSecond(language: string): number;
  /**
   * Chunk jobs the engine runs at once on resources of its own (a CPU engine's worker threads), when
   * that, not the GPU tier's `streams`, bounds it: the scheduler then runs this many at once.
   * Undefined: the synthesis policy's streams decide (GPU engines).
   */
  readonly parallelism?: number;
  /** Warm the engine (load models, instantiate WASM). Called once at startup. */
  init(): Promise<void>;
  /**
   * Synthesizes one chunk.
   * @param voice engine-specific voice name; undefined = the engine's default for the language
   * @throws Error naming the problem for an unsupported language or voice
   */
  synthesize(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal): AsyncIterable<Float32Array>;
  /**
   * Checks a voice before a narration is accepted, so a bad name is refused to the sender
   * instead of failing chunk by chunk. Optional: engines without it are checked at synthesis.
   * @throws Error naming the voice and the allowed ones
   */
  checkVoice?(voice: string, language: string): void;
  /**
   * Optional (issue 13): the engine's workers deliver audio straight to the assembly thread, so it
   * never crosses the main thread. Engines without it stream blocks to the caller, which relays them.
   */
  readonly direct?: DirectAudio;
  /** Release threads, sessions and memory. */
  close(): Promise<void>;
}

/**
 * An engine's direct audio path: its worker threads post each block of a routed chunk, tagged with the
 * chunk's {@link ChunkRoute}, on a port to the assembly thread (`SourceMessage`s of
 * server/playout/playout-protocol.ts), and end the chunk there when it is complete, failed or cancelled.
 */
export interface DirectAudio {
  /**
   * Connects the engine to the assembly thread: `openPort` gives a new port (one per worker thread,
   * again when a worker is respawned). Call once, after `init()`.
   */
  connect(openPort: () => MessagePort): void;
  /** True once connected: {@link synthesize} may be used. */
  readonly connected: boolean;
  /**
   * Like {@link TtsEngine.synthesize}, but the audio goes to the assembly thread: yields each block's
   * length in samples (at the engine rate) as it is posted, for the caller's counters. The engine
   * ends the chunk on the assembly thread (`chunk-end`) before this iterator ends or rejects, except
   * when its worker dies: the caller ends the chunk then (endChunk is idempotent).
   * @throws as TtsEngine.synthesize; Error when not connected
   */
  synthesize(chunk: TtsChunk, voice: string | undefined, signal: AbortSignal, route: ChunkRoute): AsyncIterable<number>;
}

/** Creates the `AbortError` engines reject with when their signal aborts. */
export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** True for the normal ending of an aborted operation. */
export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AbortError';
}
