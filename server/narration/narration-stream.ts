import { StreamingChunker, type SemanticChunkerOptions } from '../text/semantic-chunker.ts';
import type { TextChunk } from '../text/chunker-options.ts';
import type { Narration } from './narration.ts';

/** A streamed narration the DM feeds delta by delta, as an LLM produces it. */
export interface NarrationStream {
  readonly id: string;
  /** Characters received so far. */
  readonly length: number;
  /** Appends text; chunks are synthesized as soon as the chunker finds them safe. */
  push(delta: string): void;
  /**
   * The text so far is a finished piece to speak now (a language model's prelude sentence): it is
   * chunked as if the text ended here, and later text starts a new chunk. Costs nothing when no
   * text is pending.
   */
  break(): void;
  /** No more text: the rest becomes the last chunk. */
  end(): void;
}

/**
 * Feeds a narration text as it is produced: each delta goes through a {@link StreamingChunker}, and
 * chunks become synthesis work as soon as they are safe. After {@link NarrationStream.break} a new
 * chunker starts, its chunks numbered on from the narration's. Deltas after the end or a cancel are dropped.
 * @param chunkerOptions read for each chunker (engines refine their speaking rate from measured audio)
 */
export function streamInto(narration: Narration, chunkerOptions: () => Partial<SemanticChunkerOptions>): NarrationStream & { narration: Narration } {
  let chunker = new StreamingChunker(chunkerOptions());
  // After a break() a new chunker numbers from 0 again: its chunks continue the narration's numbering.
  let firstIndex = 0;
  const add = (chunks: readonly TextChunk[]) => narration.addChunks(firstIndex === 0 ? chunks : chunks.map((c) => ({ ...c, index: firstIndex + c.index })));
  return {
    id: narration.id,
    narration,
    get length() {
      return narration.text.length;
    },
    push: (delta: string) => {
      if (narration.pending.isEnded || narration.abort.signal.aborted) return;
      narration.text += delta;
      add(chunker.push(delta));
    },
    break: () => {
      if (narration.pending.isEnded || narration.abort.signal.aborted) return;
      const before = narration.chunks.length;
      add(chunker.end());
      if (narration.chunks.length === before) return;
      firstIndex = narration.chunks.length;
      chunker = new StreamingChunker(chunkerOptions());
    },
    end: () => {
      if (narration.pending.isEnded) return;
      if (!narration.abort.signal.aborted) add(chunker.end());
      narration.pending.end();
    },
  };
}
