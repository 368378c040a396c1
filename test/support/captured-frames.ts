import { CAPTURE_CHANNEL, type CapturedFrame } from '../fixtures/plugins/capture-sink/index.ts';

/**
 * Collects the frames the `capture` sink fixture reports, per room, from whichever thread it runs on
 * (the playout thread, or a sink worker): they come over a process-wide BroadcastChannel.
 */
export function captureFrames(): { of(roomId: string): CapturedFrame[]; close(): void } {
  const frames = new Map<string, CapturedFrame[]>();
  const ch = new BroadcastChannel(CAPTURE_CHANNEL);
  ch.onmessage = (e: MessageEvent) => {
    const m = e.data as CapturedFrame;
    if (m.kind !== 'frame') return;
    let list = frames.get(m.roomId);
    if (!list) frames.set(m.roomId, (list = []));
    list.push(m);
  };
  return { of: (roomId: string) => frames.get(roomId) ?? [], close: () => ch.close() };
}
