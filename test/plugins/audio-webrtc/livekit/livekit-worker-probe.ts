/**
 * Worker-thread entry for livekit-sink.test.ts: proves `@livekit/rtc-node` loads and captures on a
 * worker (where the playout thread runs the sink) and that disposeLiveKitRuntime lets it exit.
 * workerData: { frames: number }; posts { captured, failures, queuedMs } then ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { AudioFrame, AudioSource } from '@livekit/rtc-node';
import { LIVEKIT_RATE, LiveKitFeed } from '../../../../plugins/audio-webrtc/livekit/livekit-feed.ts';
import { disposeLiveKitRuntime } from '../../../../plugins/audio-webrtc/livekit/livekit-sink.ts';

const frames = (workerData as { frames: number }).frames;
const source = new AudioSource(LIVEKIT_RATE, 1);
const feed = await LiveKitFeed.create(
  22_050,
  {
    captureFrame: (pcm) => source.captureFrame(new AudioFrame(pcm, LIVEKIT_RATE, 1, pcm.length)),
    clearQueue: () => source.clearQueue(),
  },
  pino({ level: 'silent' }),
);
for (let s = 0; s < frames; s++) {
  const samples = new Int16Array(441);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (s * 441 + i)) / 22_050));
  feed.push({ roomId: 'probe', seq: s, samples, sampleRate: 22_050, narrationId: 'n', generation: 0, timeMs: 0 });
  await feed.flushed();
}
const queuedMs = source.queuedDuration;
await feed.close();
await source.close();
await disposeLiveKitRuntime();
parentPort!.postMessage({ captured: feed.stats.captured, failures: feed.stats.failures, queuedMs });
