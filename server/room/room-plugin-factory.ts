import type { RoomPlugin } from '@colyseus/core';
import type { Logger } from 'pino';

/** What a mounted plugin's room plugin may ask of the room it serves. */
export interface RoomPluginContext {
  /** Logger bound to the plugin's name. */
  readonly log: Logger;
  /** A client's display name (its join option `name`, when it gave one), else its session id. */
  nameOf(sessionId: string): string;
}

/**
 * A mounted plugin's part of every narrated room on the main thread: a Colyseus 0.18 `RoomPlugin`
 * (its own `messages`, `onCreate`/`onJoin`/`onLeave`/`onDispose`), e.g. WebRTC signaling
 * (plugins/audio-webrtc). Bound multi-valued under `TOKENS.RoomPluginFactory`; the narration
 * room plugin creates one per room instance and runs it inside itself, so a host room that
 * mounts `narrator.roomPlugin()` gets it too. Message types must carry the plugin's prefix
 * (`audio:offer`): they share the room with the host's own messages and `narration:*`.
 */
export interface RoomPluginFactory {
  /** Name for logs, e.g. `audio-webrtc`. */
  readonly name: string;
  /** A fresh plugin for one room. Must not throw; a plugin reports its own failures to clients. */
  create(context: RoomPluginContext): RoomPlugin;
}
