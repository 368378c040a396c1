import { expect } from 'chai';
import pino from 'pino';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { AudioStream, Room, RoomEvent, TrackKind, type RemoteTrack } from '@livekit/rtc-node';
import { spawnWorker } from '../../../../server/threads/spawn-worker.ts';
import type { SinkContext } from '../../../../server/sinks/audio-sink.ts';
import { LiveKitSink, NARRATION_TRACK_NAME } from '../../../../plugins/audio-webrtc/livekit/livekit-sink.ts';
import { LiveKitRooms } from '../../../../plugins/audio-webrtc/livekit/livekit-rooms.ts';
import { NARRATOR_IDENTITY, mintSubscribeToken } from '../../../../plugins/audio-webrtc/livekit/livekit-token.ts';

const log = pino({ level: 'silent' });
const RATE = 22_050;
const FRAME = 441;

function ctx(roomId: string): SinkContext {
  return { roomId, sampleRate: RATE, frameSamples: FRAME, log };
}

function toneFrame(seq: number): Int16Array {
  const out = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (seq * FRAME + i)) / RATE));
  return out;
}

function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length ? Math.sqrt(s / x.length) : 0;
}

describe('LiveKitSink', () => {
  it('loads @livekit/rtc-node on a worker thread, captures there, and lets the worker exit after disposeLiveKitRuntime', async () => {
    const worker = spawnWorker(new URL('./livekit-worker-probe.ts', import.meta.url), { frames: 10 });
    const [msg] = (await once(worker, 'message')) as [{ captured: number; failures: number; queuedMs: number }];
    const [code] = (await once(worker, 'exit')) as [number];
    // 10 frames of 22 050 Hz audio are 200 ms; the resampler's start-up delay costs at most one 48 kHz frame.
    expect(msg.failures).to.equal(0);
    expect(msg.captured).to.be.within(9, 10);
    expect(code).to.equal(0);
  });

  it('fails create with an error naming the LiveKit room and URL when no server answers', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(srv.address() as { port: number }).port}`;
    await new Promise<void>((r) => srv.close(() => r()));
    let err: Error | undefined;
    try {
      await LiveKitSink.create(ctx('down'), { url, apiKey: 'devkey', apiSecret: 'secret', roomName: 'vrpg-down' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.contain('LiveKit room "vrpg-down"');
    expect(err?.message).to.contain(url);
  });

  describe('against a LiveKit server (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)', function () {
    this.timeout(60_000);
    const url = process.env.LIVEKIT_URL;
    const apiKey = process.env.LIVEKIT_API_KEY;
    const apiSecret = process.env.LIVEKIT_API_SECRET;

    before(function () {
      if (!url || !apiKey || !apiSecret) {
        console.log('skipped: set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET to run against a LiveKit server (livekit-server --dev)');
        this.skip();
      }
    });

    it('publishes a tone that a subscribe-only listener receives as 48 kHz audio with energy', async () => {
      const roomName = `vrpg-e2e-${process.pid}-${Date.now()}`;
      const rooms = new LiveKitRooms({ url: url!, apiKey: apiKey!, apiSecret: apiSecret! }, log);
      await rooms.ensureRoom(roomName);
      const sink = await LiveKitSink.create(ctx('e2e'), { url: url!, apiKey: apiKey!, apiSecret: apiSecret!, roomName });
      const listener = new Room();
      let clock: ReturnType<typeof setInterval> | undefined;
      try {
        const subscribed = new Promise<{ track: RemoteTrack; from: string }>((resolve) => {
          listener.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
            if (track.kind === TrackKind.KIND_AUDIO && track.name === NARRATION_TRACK_NAME) resolve({ track, from: participant.identity });
          });
        });
        const token = await mintSubscribeToken({ apiKey: apiKey!, apiSecret: apiSecret!, room: roomName, identity: 'listener-1', name: 'Listener' });
        await listener.connect(url!, token, { autoSubscribe: true, dynacast: false });

        let seq = 0;
        clock = setInterval(() => {
          sink.write({ roomId: 'e2e', seq, samples: toneFrame(seq), sampleRate: RATE, narrationId: 'n1', generation: 0, timeMs: Date.now() });
          seq++;
        }, 20);

        const { track, from } = await subscribed;
        expect(from).to.equal(NARRATOR_IDENTITY);
        const stream = new AudioStream(track, 48_000, 1);
        let frames = 0;
        let loud = 0;
        const deadline = Date.now() + 20_000;
        for await (const f of stream) {
          frames++;
          expect(f.sampleRate).to.equal(48_000);
          if (rms(f.data) > 1000) loud++;
          if (loud >= 25 || Date.now() > deadline) break;
        }
        // 25 loud 10/20 ms frames: the tone (RMS ≈ 5 600 sent) came through Opus, not only silence.
        expect(loud, `${frames} frames received`).to.be.at.least(25);
        expect(sink.stats.captured).to.be.greaterThan(0);
      } finally {
        if (clock) clearInterval(clock);
        await listener.disconnect();
        await sink.close();
        await rooms.deleteRoom(roomName);
      }
    });
  });
});
