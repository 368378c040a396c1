import { RoomPlugin, type Client, type Room } from '@colyseus/core';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { RoomPluginContext, RoomPluginFactory } from '../../server/room/room-plugin-factory.ts';
import { inject, injectable } from 'inversify';
import { TOKENS, pluginOptionsToken } from '../../server/tokens.ts';
import type { AppConfig } from '../../server/config/schema.ts';
import { WEBRTC_PLUGIN_NAME, type WebRtcOptions } from './options.ts';
import { answerPayloadSchema, candidatePayloadSchema, describePayloadIssue, emptyPayloadSchema, type FromSink } from './signaling.ts';
import { mainHub } from './main-hub.ts';
import { liveKitRoomName } from './livekit-room-name.ts';
import type { LiveKitRooms } from './livekit/livekit-rooms.ts';

/** Token lifetime for LiveKit subscribers, seconds (PROTOCOL.md: TTL 1 h). */
const LIVEKIT_TOKEN_TTL_SECONDS = 3600;

/** A refused client message: answered with `audio:error`, nothing else changes. */
class AudioRefused extends Error {}

/**
 * The `audio` part of every narrated room (main thread), PROTOCOL.md "Room messages"; it runs
 * inside the narration room plugin, so any room that mounts `narrator.roomPlugin()` has it.
 *
 * Direct mode: validates `audio:join|answer|candidate|leave` and relays them over the signaling
 * channel to the room's `webrtc` sink on the playout thread; relays the sink's `offer`,
 * `candidate`, `state`, `error` back to the client as `audio:<kind>`. Remembers who listens, so
 * a `sink-ready` re-sends their `join`s and leaving the room closes their peer.
 * LiveKit mode: answers `audio:join` with `audio:livekit` `{ url, token, room }`; the LiveKit room
 * is created with the Colyseus room and deleted with it.
 */
export class AudioRoomPlugin extends RoomPlugin<Room> {
  override readonly pluginName = 'audio' as const;
  /** Session ids of clients that sent `audio:join` and have not left. */
  private readonly listeners = new Set<string>();
  private roomId = '';
  private liveKitRooms: LiveKitRooms | null = null;

  private readonly log: Logger;

  /**
   * @param sinkOn whether config `sinks` has `webrtc`: without it no sink exists to answer a join,
   *   which used to go unanswered
   */
  constructor(private readonly options: WebRtcOptions, private readonly context: RoomPluginContext, private readonly sinkOn = true) {
    super();
    this.log = context.log;
  }

  protected override messages = {
    'audio:join': (client: Client, message: unknown) =>
      this.guard(client, 'audio:join', async () => {
        this.parse(emptyPayloadSchema, message ?? {});
        if (!this.sinkOn) throw new AudioRefused('audio:join: this server does not stream to browsers (config sinks has no "webrtc")');
        if (this.options.mode === 'livekit') return this.sendLiveKitGrant(client);
        this.listeners.add(client.sessionId);
        mainHub.post({ roomId: this.roomId, sessionId: client.sessionId, kind: 'join' });
      }),
    'audio:answer': (client: Client, message: unknown) =>
      this.guard(client, 'audio:answer', () => {
        const { sdp } = this.parse(answerPayloadSchema, message);
        this.requireListener(client, 'audio:answer');
        mainHub.post({ roomId: this.roomId, sessionId: client.sessionId, kind: 'answer', sdp });
      }),
    'audio:candidate': (client: Client, message: unknown) =>
      this.guard(client, 'audio:candidate', () => {
        const c = this.parse(candidatePayloadSchema, message);
        this.requireListener(client, 'audio:candidate');
        mainHub.post({ roomId: this.roomId, sessionId: client.sessionId, kind: 'candidate', ...c });
      }),
    'audio:leave': (client: Client, message: unknown) =>
      this.guard(client, 'audio:leave', () => {
        this.parse(emptyPayloadSchema, message ?? {});
        this.stopListening(client.sessionId);
      }),
  };

  protected override async onCreate(): Promise<void> {
    this.roomId = this.room.roomId;
    if (this.options.mode === 'direct') {
      mainHub.register(this.roomId, (msg) => this.fromSink(msg));
      return;
    }
    try {
      // Imported here, not at the top: direct mode never loads the LiveKit SDKs.
      const { LiveKitRooms } = await import('./livekit/livekit-rooms.ts');
      this.liveKitRooms = new LiveKitRooms(this.options.livekit!, this.log);
      await this.liveKitRooms.ensureRoom(liveKitRoomName(this.roomId));
    } catch (err) {
      // The room still narrates to its other sinks; joins will fail with a clear audio:error.
      this.log.error({ roomId: this.roomId, err }, 'creating the LiveKit room failed');
    }
  }

  protected override onLeave(client: Client): void {
    this.stopListening(client.sessionId);
  }

  protected override async onDispose(): Promise<void> {
    for (const sessionId of [...this.listeners]) this.stopListening(sessionId);
    if (this.options.mode === 'direct') {
      mainHub.unregister(this.roomId);
      return;
    }
    try {
      await this.liveKitRooms?.deleteRoom(liveKitRoomName(this.roomId));
    } catch (err) {
      this.log.warn({ roomId: this.roomId, err }, 'deleting the LiveKit room failed');
    }
  }

  private fromSink(msg: Exclude<FromSink, { kind: 'stats' }>): void {
    if (msg.kind === 'sink-ready') {
      // Joins sent before the sink existed went nowhere; ask again for each listener.
      for (const sessionId of this.listeners) mainHub.post({ roomId: this.roomId, sessionId, kind: 'join' });
      return;
    }
    const client = this.room.clients.getById(msg.sessionId);
    if (!client) return;
    const { roomId: _r, sessionId: _s, kind, ...payload } = msg;
    if (kind === 'state' && (msg.state === 'failed' || msg.state === 'closed')) {
      // The peer is gone on the playout side; a new audio:join starts over.
      if (msg.state === 'failed') this.listeners.delete(msg.sessionId);
    }
    client.send(`audio:${kind}`, payload);
  }

  private async sendLiveKitGrant(client: Client): Promise<void> {
    const lk = this.options.livekit!;
    const room = liveKitRoomName(this.roomId);
    let token: string;
    try {
      const { mintSubscribeToken } = await import('./livekit/livekit-token.ts');
      const name = this.context.nameOf(client.sessionId);
      token = await mintSubscribeToken({ apiKey: lk.apiKey, apiSecret: lk.apiSecret, room, identity: client.sessionId, name, ttlSeconds: LIVEKIT_TOKEN_TTL_SECONDS });
    } catch (err) {
      this.log.error({ roomId: this.roomId, err }, 'minting a LiveKit token failed');
      throw new AudioRefused('audio:join: could not mint a LiveKit token');
    }
    client.send('audio:livekit', { url: lk.url, token, room });
  }

  private stopListening(sessionId: string): void {
    if (!this.listeners.delete(sessionId) || this.options.mode !== 'direct') return;
    try {
      mainHub.post({ roomId: this.roomId, sessionId, kind: 'leave' });
    } catch (err) {
      this.log.warn({ roomId: this.roomId, sessionId, err }, 'relaying leave failed');
    }
  }

  private requireListener(client: Client, type: string): void {
    if (this.options.mode !== 'direct') throw new AudioRefused(`${type}: only used in direct mode; this server runs livekit mode`);
    if (!this.listeners.has(client.sessionId)) throw new AudioRefused(`${type}: not listening; send audio:join first`);
  }

  private parse<S extends z.ZodType>(schema: S, message: unknown): z.infer<S> {
    const result = schema.safeParse(message);
    if (!result.success) throw new AudioRefused(describePayloadIssue(result.error));
    return result.data;
  }

  /** Runs a handler; a refusal or failure is answered with `audio:error` and never escapes into the room. */
  private guard(client: Client, type: string, handler: () => void | Promise<void>): void {
    const report = (err: unknown) => {
      if (err instanceof AudioRefused) {
        client.send('audio:error', { message: err.message.startsWith('audio:') ? err.message : `${type}: ${err.message}` });
      } else {
        this.log.error({ roomId: this.roomId, type, err }, 'audio message handler failed');
        client.send('audio:error', { message: `internal error handling "${type}"` });
      }
    };
    try {
      const p = handler();
      if (p) p.catch(report);
    } catch (err) {
      report(err);
    }
  }
}

/** Makes one {@link AudioRoomPlugin} per narrated room; bound under `TOKENS.RoomPluginFactory`. */
@injectable()
export class AudioRoomPluginFactory implements RoomPluginFactory {
  readonly name = WEBRTC_PLUGIN_NAME;

  constructor(
    @inject(pluginOptionsToken(WEBRTC_PLUGIN_NAME)) private readonly options: WebRtcOptions,
    @inject(TOKENS.Config) private readonly config: AppConfig,
  ) {}

  create(context: RoomPluginContext): RoomPlugin {
    return new AudioRoomPlugin(this.options, context, this.config.sinks.includes('webrtc'));
  }
}
