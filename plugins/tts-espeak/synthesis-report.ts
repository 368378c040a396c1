import type { TtsChunk } from '../../server/synthesis/tts-engine.ts';
import type { DoneMessage } from './protocol.ts';

/** What one finished request measured. Times are epoch ms (`nowMs()`), durations ms. */
export interface SynthesisReport {
  readonly requestId: number;
  readonly narrationId: string;
  readonly index: number;
  readonly language: string;
  readonly voice: string;
  /** Characters of the chunk text. */
  readonly chars: number;
  /** Samples produced, at `sampleRate`. */
  readonly samples: number;
  readonly audioSeconds: number;
  /** Non-empty blocks the worker posted. */
  readonly blocks: number;
  /** espeak word events. */
  readonly words: number;
  /** True when the request was stopped by abort or by the consumer leaving early. */
  readonly cancelled: boolean;
  /** Worker thread that ran it. */
  readonly threadId: number;
  /** From `synthesize` being iterated to espeak starting, ms. */
  readonly queuedMs: number;
  /** From espeak starting to the first block being posted, ms; undefined without blocks. */
  readonly firstBlockMs: number | undefined;
  /** espeak's synth call, ms. */
  readonly synthMs: number;
  /** Real-time factor: synthesis seconds per audio second. */
  readonly rtf: number;
  /** Worker clock: espeak called, first block posted, espeak returned. */
  readonly startedAt: number;
  readonly firstBlockAt: number | undefined;
  readonly endedAt: number;
}

/**
 * Builds the report of a request espeak ran.
 * @param enqueuedAt when the request was queued, epoch ms (main thread `nowMs()`)
 * @param sampleRate Hz of the samples counted in `done`
 */
export function buildReport(
  requestId: number,
  chunk: TtsChunk,
  voice: string,
  threadId: number,
  enqueuedAt: number,
  done: DoneMessage,
  sampleRate: number,
): SynthesisReport {
  const audioSeconds = done.samples / sampleRate;
  const synthMs = done.endedAt - done.startedAt;
  return {
    requestId,
    narrationId: chunk.narrationId,
    index: chunk.index,
    language: chunk.language,
    voice,
    chars: chunk.text.length,
    samples: done.samples,
    audioSeconds,
    blocks: done.blocks,
    words: done.words,
    cancelled: done.cancelled,
    threadId,
    queuedMs: done.startedAt - enqueuedAt,
    firstBlockMs: done.firstBlockAt === undefined ? undefined : done.firstBlockAt - done.startedAt,
    synthMs,
    rtf: audioSeconds > 0 ? synthMs / 1000 / audioSeconds : 0,
    startedAt: done.startedAt,
    firstBlockAt: done.firstBlockAt,
    endedAt: done.endedAt,
  };
}
