import {
  AudioFrame as RtcAudioFrame,
  AudioSource,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
  dispose as disposeRtc,
  type LocalTrackPublication,
} from '@livekit/rtc-node';
import type { AudioFrame, AudioSink, SinkContext } from '../../../server/sinks/audio-sink.ts';
import { LIVEKIT_RATE, LiveKitFeed } from './livekit-feed.ts';
import { mintPublishToken } from './livekit-token.ts';

/** Name of the published track (PROTOCOL.md "Media (livekit mode)"); browsers pick it by this name. */
export const NARRATION_TRACK_NAME = 'narration';

/** How long joining the LiveKit room may take before create() gives up, ms. */
export const CONNECT_TIMEOUT_MS = 15_000;

/** Options of {@link LiveKitSink.create}. */
export interface LiveKitSinkOptions {
  /** LiveKit server URL, e.g. `ws://localhost:7880`. */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** LiveKit room to publish into, `vrpg-<colyseus roomId>`. */
  readonly roomName: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Publishes a room's narration into LiveKit (SFU mode): joins the LiveKit room as identity
 * `narrator` and publishes one microphone-source audio track `narration` fed by an
 * `AudioSource(48000, 1)`. Frames go through a {@link LiveKitFeed} (resample to 48 kHz, queue,
 * `clearQueue()` on cancel), so `write` never waits on the network or the native side.
 * Runs on the playout thread; `@livekit/rtc-node` loads in worker threads (its FFI is per thread),
 * and a thread that used it must call {@link disposeLiveKitRuntime} before it can exit on its own.
 */
export class LiveKitSink implements AudioSink {
  readonly name = 'livekit';
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly ctx: SinkContext,
    private readonly room: Room,
    private readonly track: LocalAudioTrack,
    private readonly publication: LocalTrackPublication,
    private readonly feed: LiveKitFeed,
  ) {}

  /**
   * Connects and publishes.
   * @param ctx the room's sink context (`sampleRate` is the frames' rate)
   * @throws Error naming the LiveKit room and URL when the token, the connection (after
   *   {@link CONNECT_TIMEOUT_MS}) or the publication fails; nothing stays open then
   */
  static async create(ctx: SinkContext, o: LiveKitSinkOptions): Promise<LiveKitSink> {
    const where = `LiveKit room "${o.roomName}" at ${o.url}`;
    const token = await mintPublishToken({ apiKey: o.apiKey, apiSecret: o.apiSecret, room: o.roomName });
    const room = new Room();
    const source = new AudioSource(LIVEKIT_RATE, 1);
    let track: LocalAudioTrack | null = null;
    let feed: LiveKitFeed | null = null;
    const connecting = room.connect(o.url, token, { autoSubscribe: false, dynacast: false });
    try {
      await withTimeout(connecting, CONNECT_TIMEOUT_MS, 'connecting');
      track = LocalAudioTrack.createAudioTrack(NARRATION_TRACK_NAME, source);
      const publication = await room.localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
      feed = await LiveKitFeed.create(
        ctx.sampleRate,
        {
          captureFrame: (pcm) => source.captureFrame(new RtcAudioFrame(pcm, LIVEKIT_RATE, 1, pcm.length)),
          clearQueue: () => source.clearQueue(),
        },
        ctx.log,
      );
      const sink = new LiveKitSink(ctx, room, track, publication, feed);
      room.on(RoomEvent.Disconnected, (reason) => {
        if (!sink.closing) ctx.log.warn({ room: o.roomName, reason }, 'livekit narrator disconnected; narration no longer reaches livekit listeners');
      });
      ctx.log.info({ room: o.roomName, track: publication.sid, inputRate: ctx.sampleRate }, 'livekit narration published');
      return sink;
    } catch (err) {
      await feed?.close();
      if (track) await track.close().catch(() => undefined);
      else await source.close().catch(() => undefined);
      // A connect that outlived the timeout may still succeed later: leave then.
      void connecting.then(() => room.disconnect(), () => undefined);
      throw new Error(`${where}: could not publish the narration: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  }

  /** Counters of the feed (captured, overflowed, cancelled, clears, failures). */
  get stats(): LiveKitFeed['stats'] {
    return this.feed.stats;
  }

  /** Queues the frame for LiveKit; returns at once. Frames after `close()` are ignored. */
  write(frame: AudioFrame): void {
    if (this.closing) return;
    this.feed.push(frame);
  }

  /** Drops queued audio, unpublishes the track and leaves the room. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.feed.close();
    try {
      await this.room.localParticipant?.unpublishTrack(this.publication.sid!);
    } catch (err) {
      this.ctx.log.warn({ err }, 'livekit unpublish failed');
    }
    await this.track.close(); // closes the AudioSource too
    await this.room.disconnect();
    this.ctx.log.info({ roomId: this.ctx.roomId, captured: this.feed.stats.captured }, 'livekit narration closed');
  }
}

/**
 * Releases `@livekit/rtc-node`'s native runtime of the calling thread. Call once when the thread
 * (the playout worker) shuts down after any {@link LiveKitSink} was created: the runtime's handle
 * otherwise keeps the thread alive. Thread-wide: no sink of this thread may be used afterwards.
 */
export async function disposeLiveKitRuntime(): Promise<void> {
  await disposeRtc();
}
