/**
 * Shapes the browser SDK exchanges with its caller and with a narrated room
 * (server/room/messages.ts, server/room/table-state.ts, plugins/audio-webrtc/PROTOCOL.md).
 * Kept free of server imports so the bundle and its `.d.ts` stand alone.
 */

/** Seat asked for: `dm` needs the server's `dmSecret` when one is configured. */
export type Role = 'dm' | 'player';

/** Options of {@link NarrationClient.connect}. */
export interface ConnectOptions {
  /** Server endpoint, `http(s)://host:port` or `ws(s)://host:port` (the Colyseus server). */
  readonly url: string;
  /** Room type to join or create, as the server defines it (default `table`; a game's own, e.g. `dungeon`). */
  readonly roomName?: string;
  /** Join this room id instead of joining-or-creating by name. */
  readonly roomId?: string;
  /** Create a new room of that name rather than joining an open one (a DM starting a new table). */
  readonly create?: boolean;
  /** Display name, 1–40 characters, no control characters. */
  readonly name: string;
  /**
   * Seat asked for, sent as the `seat` join option (the `table` room's; a room that reads no such
   * option ignores it). The server answers with the seat given and why: the `seat` event.
   */
  readonly role: Role;
  /** Sent with `role: "dm"` only. */
  readonly dmSecret?: string;
  /** The table's join code, when its creator (or the server) set one; a creator sets it for a new table. */
  readonly tableCode?: string;
  /** More join options for a game's own room (its `onAuth`/`onJoin` read them); `name` and `dmSecret` win. */
  readonly joinOptions?: Readonly<Record<string, unknown>>;
  /** Start listening (`audio:join`) at once (default true). */
  readonly audio?: boolean;
  /** Element that plays the narration; default a hidden `<audio>` appended to `document.body`. */
  readonly audioElement?: HTMLAudioElement;
}

/** A player at the table as the room state lists them. */
export interface TablePlayer {
  /** Colyseus session id. */
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** False while the seat waits for its owner to reconnect; true in rooms that do not say. */
  readonly connected: boolean;
}

/** Room playback status (server/room/table-state.ts). */
export type TableStatus = 'idle' | 'buffering' | 'speaking' | 'paused';

/** `state` event: who is at the table and what the room is doing. */
export interface TableStateEvent {
  readonly players: readonly TablePlayer[];
  readonly status: TableStatus;
  /** This client's own role, as the server seated it. */
  readonly role: Role | null;
}

/** `caption` event: the source text of the chunk being heard now. */
export interface CaptionEvent {
  readonly text: string;
  /** Chunk index within the narration, from 0. */
  readonly index: number;
  readonly narrationId: string;
}

/** `narration-start` event. */
export interface NarrationStartEvent {
  readonly narrationId: string;
  /** `event:<type>`, `dm:text`, `dm:stream`. */
  readonly trigger: string;
}

/** `narration-end` event: the server's report of one narration (server/narration/narration.ts). */
export interface NarrationReport {
  readonly id: string;
  readonly trigger: string;
  readonly text: string;
  readonly chunks: number;
  /** Request received → first frame handed to the sinks, ms; null when nothing played. */
  readonly ttfaMs: number | null;
  /** Audio handed to sinks, ms. */
  readonly audioMs: number;
  readonly synthesisMs: number;
  readonly rtf: number | null;
  readonly underruns: number;
  readonly gapMs: number;
  readonly cancelled: boolean;
  readonly cancelLatencyMs: number | null;
  readonly paused: boolean;
  /** Why the narration failed (chunks the engine could not synthesize, or no audio at all), or null. */
  readonly error: string | null;
}

/**
 * Listening state: `idle` before `audio:join`; `connecting`/`connected`/`failed`/`closed`
 * follow the peer (direct) or the LiveKit room; `locked` = the browser blocked autoplay
 * (call `unlockAudio()` from a user gesture); `playing` = the element plays the track.
 */
export type AudioState = 'idle' | 'connecting' | 'connected' | 'playing' | 'locked' | 'failed' | 'closed';

/** `audio` event. */
export interface AudioEvent {
  readonly state: AudioState;
  /** Transport mode the server runs; null until the server answered `audio:join`. */
  readonly mode: 'direct' | 'livekit' | null;
  readonly reason?: string;
}

/** `error` event: a message the server refused (`type` names it) or an audio failure (`audio`). */
export interface ErrorEvent {
  readonly type: string;
  readonly message: string;
}

/** `seat` event: the seat the server gave this client and why (at join, and whenever it changes). */
export interface SeatEvent {
  readonly role: Role;
  readonly reason: string;
}

/**
 * The room connection: `connected`; `reconnecting` after the socket dropped (the Colyseus SDK
 * retries with back-off while the server holds the seat; requests fail at once meanwhile);
 * `closed` once it left or gave up.
 */
export type ConnectionState = 'connected' | 'reconnecting' | 'closed';

/** `connection` event. */
export interface ConnectionEvent {
  readonly state: ConnectionState;
  /** WebSocket / Colyseus close code that caused a drop or close. */
  readonly code?: number;
}

/** Event name → payload. */
export interface NarrationClientEvents {
  caption: CaptionEvent;
  'narration-start': NarrationStartEvent;
  'narration-end': NarrationReport;
  state: TableStateEvent;
  audio: AudioEvent;
  error: ErrorEvent;
  seat: SeatEvent;
  connection: ConnectionEvent;
  /** The room connection closed for good (`code` from Colyseus). */
  leave: { readonly code: number };
}

/**
 * Receive-side audio figures of the narration track, from `RTCPeerConnection.getStats()`
 * `inbound-rtp` (kind audio); null where unknown (no peer yet, or LiveKit hid it).
 */
export interface AudioStats {
  readonly packetsReceived: number | null;
  /** RTP packets the receiver counts as lost (expected by sequence number, never arrived; RFC 3550 §6.4.1). */
  readonly packetsLost: number | null;
  /** Samples the jitter buffer invented to hide loss or late packets (per channel, 48 kHz). */
  readonly concealedSamples: number | null;
  /** Samples decoded and played out (per channel, 48 kHz). */
  readonly totalSamplesReceived: number | null;
  /** RTP interarrival jitter, seconds (RFC 3550 §6.4.1, as WebRTC stats report it). */
  readonly jitter: number | null;
}

/** A game event: `type` names a rule of the server's rules table; the other fields fill its template. */
export interface GameEvent {
  readonly type: string;
  readonly [field: string]: string | number | boolean | null;
}
