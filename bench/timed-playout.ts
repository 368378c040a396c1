import type { OpenRoomOptions, Playout, PlayoutEvent } from '../server/playout/playout.ts';
import { nowMs } from '../server/threads/spawn-worker.ts';

/**
 * A {@link Playout} that forwards every call to the real one and notes, per narration,
 * when its first block was pushed (epoch ms, main thread): the moment synthesized audio
 * left the main thread for the playout thread. The benchmark uses it to separate the
 * frame clock's slot wait from the pipeline's own cost. Adds one Map lookup per push.
 */
export class TimedPlayout implements Playout {
  private readonly firstPush = new Map<string, number>();

  constructor(private readonly inner: Playout) {}

  /**
   * When the narration's first block was pushed, epoch ms, or null when none was;
   * forgets it (each narration is asked once).
   */
  takeFirstPushAt(narrationId: string): number | null {
    const at = this.firstPush.get(narrationId) ?? null;
    this.firstPush.delete(narrationId);
    return at;
  }

  push(roomId: string, narrationId: string, chunkIndex: number, samples: Float32Array): void {
    if (!this.firstPush.has(narrationId)) this.firstPush.set(narrationId, nowMs());
    this.inner.push(roomId, narrationId, chunkIndex, samples);
  }

  openRoom(roomId: string, options: OpenRoomOptions): Promise<void> {
    return this.inner.openRoom(roomId, options);
  }
  closeRoom(roomId: string): Promise<void> {
    return this.inner.closeRoom(roomId);
  }
  beginNarration(roomId: string, narrationId: string): void {
    this.inner.beginNarration(roomId, narrationId);
  }
  endNarration(roomId: string, narrationId: string): void {
    this.inner.endNarration(roomId, narrationId);
  }
  cancel(roomId: string, narrationIds: readonly string[] | null, requestedAtMs: number): void {
    this.inner.cancel(roomId, narrationIds, requestedAtMs);
  }
  pause(roomId: string): void {
    this.inner.pause(roomId);
  }
  resume(roomId: string): void {
    this.inner.resume(roomId);
  }
  setRtf(roomId: string, rtf: number): void {
    this.inner.setRtf(roomId, rtf);
  }
  bufferedMs(roomId: string): number {
    return this.inner.bufferedMs(roomId);
  }
  waitForSpace(roomId: string, signal: AbortSignal): Promise<void> {
    return this.inner.waitForSpace(roomId, signal);
  }
  onEvent(listener: (event: PlayoutEvent) => void): () => void {
    return this.inner.onEvent(listener);
  }
  /** Not forwarded: the bench closes the real playout itself, once. */
  async close(): Promise<void> {}
}
