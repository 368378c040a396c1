import { ContainerModule } from 'inversify';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { TOKENS } from '../../server/tokens.ts';
import { WEBRTC_PLUGIN_NAME, webRtcOptionsSchema, type WebRtcOptions } from './options.ts';
import { WebRtcSinkFactory } from './webrtc-sink-factory.ts';
import { AudioRoomPluginFactory } from './audio-room-plugin.ts';

export { webRtcOptionsSchema, iceServerSchema, liveKitOptionsSchema, WEBRTC_PLUGIN_NAME, type WebRtcOptions } from './options.ts';
export { requestWebRtcSinkStats } from './main-hub.ts';
export { liveKitRoomName } from './livekit-room-name.ts';
export { SIGNAL_CHANNEL, type ToSink, type FromSink, type PeerState, type IceCandidateInit, type WebRtcSinkStats } from './signaling.ts';

/**
 * `audio-webrtc` plugin: narration to remote players over WebRTC (PROTOCOL.md).
 * Binds the `webrtc` sink factory (resolved on a sink worker, server/sinks/sink-worker.ts: Opus encode once per room,
 * one werift peer per listener, or a LiveKit track in livekit mode) and the `audio` room plugin
 * (main thread: signaling, or LiveKit tokens). Options: see {@link webRtcOptionsSchema}.
 * werift and opusscript (direct) or @livekit/rtc-node and livekit-server-sdk (livekit) are optional
 * peer dependencies of the package, imported at the first room that needs them; `packages` names them
 * so a start without them fails with the install command.
 */
export const plugin: PluginDescriptor<WebRtcOptions> = {
  name: WEBRTC_PLUGIN_NAME,
  description: 'Narration to remote players over WebRTC (direct werift peers or LiveKit): sink `webrtc`',
  optionsSchema: webRtcOptionsSchema,
  provides: { sinks: ['webrtc'] },
  packages: (options) => (options.mode === 'livekit' ? ['@livekit/rtc-node', 'livekit-server-sdk'] : ['werift', 'opusscript']),
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.AudioSinkFactory).to(WebRtcSinkFactory).inSingletonScope();
    bind(TOKENS.RoomPluginFactory).to(AudioRoomPluginFactory).inSingletonScope();
  }),
};

export default plugin;
