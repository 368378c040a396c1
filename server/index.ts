/**
 * `vrpg-narrator`: real-time narration for Colyseus 0.18 games, as a library.
 *
 * ```js
 * import { createNarrator, NarrationState } from 'vrpg-narrator';
 * const narrator = await createNarrator({ engine: 'espeak', sinks: ['wav', 'webrtc'] });
 * class DungeonRoom extends Room {
 *   plugins = definePlugins({ narration: narrator.roomPlugin() });
 *   onCreate() { this.onMessage('attack', () => this.plugins.narration.narrate('The ogre roars.')); }
 * }
 * ```
 * The browser side is `vrpg-narrator/client` (game-bridge/web); game engines speak the bridge
 * protocol (game-bridge/PROTOCOL.md; a Node client is `vrpg-narrator/bridge-client`). Everything
 * here is the public API; the rest of the package is internal.
 */
// The plugin host (inversify) reads decorator metadata: this entry installs the polyfill once.
import 'reflect-metadata';

export { createNarrator, Narrator } from './host/narrator.ts';
export type { NarratorConfig, NarratorOptions, RoomPluginOptions, OpenNarrationOptions, EngineInfo, NarrationRulesInput } from './host/narrator.ts';
export { NarrationRoomPlugin, type NarrationPluginOptions } from './room/narration-room-plugin.ts';
export { NarrationState } from './room/narration-state.ts';
export type { Role } from './room/seats.ts';
export type {
  RoomNarration, NarrationHandle, NarrationStreamHandle, NarrateOptions, EventOptions, Caption, RoomNarrationEvents,
} from './narration/room-narration.ts';
export { NarrationError, type NarrationErrorCode } from './narration/narration-error.ts';
export { ConfigError } from './config/config-error.ts';
// A graceful drain in a game's own server (README "Scaling out"): wait, bounded, for `narrator.narrationsInFlight` to reach 0.
export { waitForNarrations, type NarrationsWait } from './cluster/drain.ts';
export type { NarrationReport } from './narration/narration.ts';
export type { RoomReport } from './narration/narration-service.ts';
export type { PlayoutStatus as NarrationStatus } from './playout/playout.ts';
export type { ModelProgressEvent } from './models/model-spec.ts';
// The game bridge (game-bridge/PROTOCOL.md): `narrator.attachBridge(httpServer)` serves it; these read its frames and close codes.
export { BRIDGE_VERSION, BRIDGE_HEADER_BYTES, encodeBridgeFrame, decodeBridgeFrame, type BridgeFrame } from './bridge/bridge-frame.ts';
export { BridgeClose } from './bridge/bridge-messages.ts';
export type { BridgeStats } from './bridge/bridge-server.ts';
export type { BridgeSessionStats } from './bridge/bridge-session.ts';
export type { BridgeAudioStats } from './bridge/bridge-audio-hub.ts';
