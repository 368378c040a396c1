import { ContainerModule } from 'inversify';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { TOKENS } from '../../server/tokens.ts';
import { WEBRTC_PLUGIN_NAME, webRtcOptionsSchema, type WebRtcOptions } from './options.ts';
import { WebRtcSinkFactory } from './webrtc-sink-factory.ts';
import { AudioRoomPluginFactory } from './audio-room-plugin.ts';

export { webRtcOptionsSchema, iceServerSchema, liveKitOptionsSchema, WEBRTC_PLUGIN_NAME, type WebRtcOptions } from './options.ts';
export { WebRtcSinkFactory } from './webrtc-sink-factory.ts';
export { WebRtcSink, MAX_PEERS_PER_ROOM } from './webrtc-sink.ts';
export { WebRtcPeer, type IceServer } from './webrtc-peer.ts';
export { RoomOpusEncoder, OPUS_RATE, OPUS_FRAME_SAMPLES } from './room-opus-encoder.ts';
export { AudioRoomPlugin, AudioRoomPluginFactory } from './audio-room-plugin.ts';
export { requestWebRtcSinkStats } from './main-hub.ts';
export { liveKitRoomName } from './livekit-room-name.ts';
export { measureOpusEncodeCost, type OpusEncodeCost } from './measure.ts';
export { SIGNAL_CHANNEL, type ToSink, type FromSink, type PeerState, type IceCandidateInit, type WebRtcSinkStats } from './signaling.ts';

/**
 * `audio-webrtc` plugin: narration to remote players over WebRTC (PROTOCOL.md).
 * Binds the `webrtc` sink factory (resolved on the playout thread: Opus encode once per room,
 * one werift peer per listener, or a LiveKit track in livekit mode) and the `audio` room plugin
 * (main thread: signaling, or LiveKit tokens). Options: see {@link webRtcOptionsSchema}.
 * werift and opusscript load with this module (both threads); peers and encoders exist only per room.
 */
export const plugin: PluginDescriptor<WebRtcOptions> = {
  name: WEBRTC_PLUGIN_NAME,
  description: 'Narration to remote players over WebRTC (direct werift peers or LiveKit): sink `webrtc`',
  optionsSchema: webRtcOptionsSchema,
  provides: { sinks: ['webrtc'] },
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.AudioSinkFactory).to(WebRtcSinkFactory).inSingletonScope();
    bind(TOKENS.RoomPluginFactory).to(AudioRoomPluginFactory).inSingletonScope();
  }),
};

export default plugin;
