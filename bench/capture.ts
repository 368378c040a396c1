import { CAPTURE_CHANNEL, type CaptureClosed, type CapturedFrame } from '../test/fixtures/plugins/capture-sink/index.ts';

/** What the bench keeps of a frame the `capture` sink received (samples dropped). */
export interface FrameSeen {
  readonly seq: number;
  /** When the frame clock handed the frame to the sinks, epoch ms (playout thread). */
  readonly timeMs: number;
  readonly narrationId: string | null;
  /** Sum of |sample|; 0 = silence. */
  readonly energy: number;
}

/**
 * Collects, per room, the frames the `capture` sink (test/fixtures/plugins/capture-sink)
 * posts from the playout thread on `BroadcastChannel('vrpg-capture')`: the frames exactly
 * as sinks received them, with the playout thread's own timestamps. Messages that arrive
 * while the main thread is stalled are queued and delivered afterwards, timestamps intact.
 */
export class CaptureCollector {
  private readonly frames = new Map<string, FrameSeen[]>();
  private readonly closedRooms = new Set<string>();
  private readonly channel = new BroadcastChannel(CAPTURE_CHANNEL);

  constructor() {
    this.channel.onmessage = (e: MessageEvent) => {
      const m = e.data as CapturedFrame | CaptureClosed;
      if (m.kind === 'closed') {
        this.closedRooms.add(m.roomId);
        return;
      }
      let list = this.frames.get(m.roomId);
      if (!list) this.frames.set(m.roomId, (list = []));
      list.push({ seq: m.seq, timeMs: m.timeMs, narrationId: m.narrationId, energy: m.energy });
    };
  }

  /** Frames of a room received so far, in arrival order (= seq order: one channel, one sender). */
  of(roomId: string): readonly FrameSeen[] {
    return this.frames.get(roomId) ?? [];
  }

  /**
   * Resolves once the room's sink reported it closed (all its frames were delivered before).
   * @throws Error when that takes longer than `timeoutMs`
   */
  async untilClosed(roomId: string, timeoutMs = 5000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!this.closedRooms.has(roomId)) {
      if (performance.now() > until) throw new Error(`capture sink of room ${roomId} did not report closed within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Forgets a room's frames (memory: 50 frames/s per room). */
  forget(roomId: string): void {
    this.frames.delete(roomId);
    this.closedRooms.delete(roomId);
  }

  close(): void {
    this.channel.close();
  }
}
