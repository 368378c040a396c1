import type { AudioFrame, AudioSink } from './audio-sink.ts';
import type { FrameRing } from './frame-ring.ts';

/**
 * The clock thread's stand-in for a room's sinks that live on a sink worker
 * (see {@link SinkWorkerPool}): `write` copies the frame into the room's {@link FrameRing}
 * (a memcpy, O(1) whatever the sinks cost); the worker, woken once per tick, makes the real writes.
 * A full ring drops the frame and counts it (frame-ring.ts says why drop-newest); the first drop of
 * a run is logged through `onDrop`.
 */
export class RemoteSinks implements AudioSink {
  /** The remote sinks' names joined by `+`, e.g. `webrtc`. */
  readonly name: string;
  private closing: Promise<void> | null = null;
  private dropping = false;

  /**
   * @param names the sinks the worker created for the room
   * @param ring the room's ring (producer end)
   * @param closeRemote asks the worker to drain the ring and close the real sinks; resolves when they are closed
   * @param onDrop called at the first dropped frame after a delivered one (the ring was full)
   */
  constructor(
    readonly names: readonly string[],
    private readonly ring: FrameRing,
    private readonly closeRemote: () => Promise<void>,
    private readonly onDrop: (dropped: number) => void,
  ) {
    this.name = names.join('+');
  }

  /** Frames dropped because the sink worker was a whole ring behind. */
  get dropped(): number {
    return this.ring.dropped;
  }

  /**
   * Queues the frame for the worker; never blocks.
   * @throws RangeError from {@link FrameRing.push} (wrong frame size, overlong narration id)
   */
  write(frame: AudioFrame): void {
    if (this.closing) return;
    if (this.ring.push(frame, frame.dueMs ?? frame.timeMs)) {
      this.dropping = false;
    } else if (!this.dropping) {
      this.dropping = true;
      this.onDrop(this.ring.dropped);
    }
  }

  /** Closes the ring, then waits until the worker has played out what it held and closed the real sinks. Idempotent. */
  close(): Promise<void> {
    this.ring.close();
    this.closing ??= this.closeRemote();
    return this.closing;
  }
}
