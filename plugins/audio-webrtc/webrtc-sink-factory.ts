import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import type { AudioSink, AudioSinkFactory, SinkContext } from '../../server/sinks/audio-sink.ts';
import { WEBRTC_PLUGIN_NAME, type WebRtcOptions } from './options.ts';
import { SinkHub } from './sink-hub.ts';
import { liveKitRoomName } from './livekit-room-name.ts';

/** The direct mode's parts, imported at the first room: werift and opusscript load with them. */
const loadDirectMode = () => Promise.all([import('./webrtc-sink.ts'), import('./room-opus-encoder.ts')]);
/** The LiveKit mode's sink, imported at the first room: @livekit/rtc-node loads with it. */
const loadLiveKitSink = () => import('./livekit/livekit-sink.ts');

/**
 * The `webrtc` sink factory, resolved on a sink worker (server/sinks/sink-worker.ts; the playout thread
 * with `playout.sinkWorkers: 0`). Direct mode: a {@link WebRtcSink}
 * per room (one Opus encoder, one werift peer per listener), reachable over the signaling channel.
 * LiveKit mode: the room's `LiveKitSink` (livekit/livekit-sink.ts, imported only in that mode)
 * publishing into `vrpg-<roomId>`. werift, opusscript and the LiveKit SDKs (optional peer
 * dependencies) are imported at the first room, so mounting the plugin costs nothing until then.
 */
@injectable()
export class WebRtcSinkFactory implements AudioSinkFactory {
  readonly name = 'webrtc';
  /** Resample + Opus + RTP/SRTP (direct) or the LiveKit feed: on a sink worker, off the frame clock's thread. */
  readonly networkThread = true;
  private hub: SinkHub | null = null;

  constructor(
    @inject(pluginOptionsToken(WEBRTC_PLUGIN_NAME)) private readonly options: WebRtcOptions,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  /**
   * @throws Error for a room rate that is not a positive integer or, in livekit mode, when the LiveKit sink cannot start
   */
  async create(ctx: SinkContext): Promise<AudioSink | null> {
    if (this.options.mode === 'livekit') {
      const lk = this.options.livekit!; // the options schema requires it in livekit mode
      const { LiveKitSink } = await loadLiveKitSink();
      return LiveKitSink.create(ctx, { url: lk.url, apiKey: lk.apiKey, apiSecret: lk.apiSecret, roomName: liveKitRoomName(ctx.roomId) });
    }
    const hub = (this.hub ??= new SinkHub(this.log.child({ plugin: WEBRTC_PLUGIN_NAME })));
    // Fails fast on a rate the resampler refuses; the encoder itself is built at the first listener.
    if (!Number.isInteger(ctx.sampleRate) || ctx.sampleRate <= 0) throw new Error(`webrtc sink: room sample rate ${ctx.sampleRate} Hz is not a positive integer`);
    const { bitrate, complexity } = this.options;
    const [{ WebRtcSink }, { RoomOpusEncoder }] = await loadDirectMode();
    const sink = new WebRtcSink(ctx.roomId, () => RoomOpusEncoder.create(ctx.sampleRate, bitrate, complexity), this.options.iceServers, (m) => hub.post(m), ctx.log);
    const close = sink.close.bind(sink);
    // Unroute before closing, so signaling that races the close finds no half-closed sink.
    sink.close = async () => {
      hub.remove(sink);
      await close();
    };
    hub.add(sink);
    return sink;
  }
}
