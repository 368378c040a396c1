import type { RoomPlugin } from '@colyseus/core';
import type { Logger } from 'pino';

/**
 * A plugin's part of every `table` room on the main thread: a Colyseus 0.18 `RoomPlugin` (its own
 * `messages`, `onCreate`/`onJoin`/`onLeave`/`onDispose`), e.g. WebRTC signaling (plugins/audio-webrtc).
 * Bound multi-valued under `TOKENS.RoomPluginFactory`; the room calls `create` once per room instance,
 * since Colyseus wires one plugin object per room. Message types should carry the plugin's prefix
 * (`audio:offer`) so they never collide with the narration messages.
 */
export interface RoomPluginFactory {
  /** Name for logs, e.g. `audio-webrtc`. */
  readonly name: string;
  /** A fresh plugin for one room. Must not throw; a plugin reports its own failures to clients. */
  create(log: Logger): RoomPlugin;
}
