import { RoomPlugin, type Client, type Room } from '@colyseus/core';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { nowMs } from '../threads/spawn-worker.ts';
import { EventRejected, NarrationRules } from '../event/narration-rules.ts';
import type { NarrationService } from '../narration/narration-service.ts';
import type { NarrationStream, RoomNarrator } from '../narration/room-narrator.ts';
import { CancelSchema, GameEventSchema, JoinOptionsSchema, StreamStartSchema, deltaSchema, describeIssue, narrateSchema, type ErrorMessage } from './messages.ts';
import { Player, type TableState } from './table-state.ts';

type TableRoom = Room<{ state: TableState }>;

/**
 * Narration mounted into a Colyseus room as a `RoomPlugin` (Colyseus 0.18):
 * roles, the rules table, DM commands, and the wiring between the room's state
 * and its {@link RoomNarrator}.
 *
 * Messages (client → server): `event` {type, ...fields}; DM only: `narrate` {text, voice?},
 * `narrate_start` {voice?}, `narrate_delta` {text}, `narrate_end` {}, `cancel` {narrationId?},
 * `pause`, `resume`. Server → client: `accepted` {type, narrationId}, `error` {type, message},
 * `narration-start` {narrationId, trigger}, `narration-end` (the narration's report).
 * A refused message gets an `error` back; the room carries on.
 */
export class NarrationRoomPlugin extends RoomPlugin<TableRoom> {
  override readonly pluginName = 'narration' as const;
  private narrator!: RoomNarrator;
  private readonly rules: NarrationRules;
  private readonly streams = new Map<string, NarrationStream>();
  private dmSessionId: string | null = null;
  private readonly log: Logger;

  constructor(private readonly service: NarrationService, log: Logger) {
    super();
    this.rules = new NarrationRules(service.config.rules);
    this.log = log;
  }

  protected override messages = {
    event: (client: Client, message: unknown) => this.guard(client, 'event', () => this.onEvent(client, message)),
    narrate: (client: Client, message: unknown) =>
      this.guard(client, 'narrate', () => {
        this.requireDm(client, 'narrate');
        const receivedAtMs = nowMs();
        const { text, voice } = this.parse(narrateSchema(this.maxChars()), message);
        const n = this.narrator.narrate(text, { trigger: 'dm:text', priority: 'queue', receivedAtMs, voice });
        client.send('accepted', { type: 'narrate', narrationId: n.id });
      }),
    narrate_start: (client: Client, message: unknown) =>
      this.guard(client, 'narrate_start', () => {
        const receivedAtMs = nowMs();
        this.requireDm(client, 'narrate_start');
        const voice = this.parse(StreamStartSchema, message ?? undefined)?.voice;
        this.streams.get(client.sessionId)?.end();
        const stream = this.narrator.stream({ trigger: 'dm:stream', priority: 'queue', receivedAtMs, voice });
        this.streams.set(client.sessionId, stream);
        client.send('accepted', { type: 'narrate_start', narrationId: stream.id });
      }),
    narrate_delta: (client: Client, message: unknown) =>
      this.guard(client, 'narrate_delta', () => {
        this.requireDm(client, 'narrate_delta');
        const { text } = this.parse(deltaSchema(this.maxChars()), message);
        const stream = this.streams.get(client.sessionId);
        if (!stream) throw new EventRejected('no open stream: send narrate_start first');
        if (stream.length + text.length > this.maxChars()) {
          throw new EventRejected(`streamed text is longer than ${this.maxChars()} characters`);
        }
        stream.push(text);
      }),
    narrate_end: (client: Client) =>
      this.guard(client, 'narrate_end', () => {
        this.requireDm(client, 'narrate_end');
        const stream = this.streams.get(client.sessionId);
        if (!stream) throw new EventRejected('no open stream: send narrate_start first');
        stream.end();
        this.streams.delete(client.sessionId);
      }),
    cancel: (client: Client, message: unknown) =>
      this.guard(client, 'cancel', () => {
        const receivedAtMs = nowMs();
        this.requireDm(client, 'cancel');
        const parsed = this.parse(CancelSchema, message ?? undefined);
        for (const s of this.streams.values()) s.end();
        this.streams.clear();
        this.narrator.cancel(receivedAtMs, parsed?.narrationId ? [parsed.narrationId] : undefined);
      }),
    pause: (client: Client) => this.guard(client, 'pause', () => (this.requireDm(client, 'pause'), this.narrator.pause())),
    resume: (client: Client) => this.guard(client, 'resume', () => (this.requireDm(client, 'resume'), this.narrator.resume())),
    _: (client: Client, type: string | number) =>
      this.sendError(client, String(type), `unknown message type "${String(type)}"; allowed: event, narrate, narrate_start, narrate_delta, narrate_end, cancel, pause, resume`),
  };

  protected override async onCreate(): Promise<void> {
    const room = this.room;
    this.narrator = await this.service.openRoom(room.roomId, {
      onStatus: (status) => (room.state.status = status),
      onCaption: (narrationId, index, text) => {
        room.state.narrationId = narrationId;
        room.state.captionIndex = index;
        room.state.caption = text;
      },
      onNarrationStart: (narrationId, trigger) => room.broadcast('narration-start', { narrationId, trigger }),
      onNarrationEnd: (report) => {
        if (room.state.narrationId === report.id) {
          room.state.caption = '';
          room.state.captionIndex = -1;
        }
        room.broadcast('narration-end', report);
      },
    });
  }

  protected override onAuth(_client: Client, options: unknown): void {
    const parsed = JoinOptionsSchema.safeParse(options ?? {});
    if (!parsed.success) throw new Error(`join options: ${describeIssue(parsed.error)}`);
    const secret = this.service.config.dmSecret;
    if (parsed.data.dmSecret !== undefined && parsed.data.dmSecret !== secret) throw new Error('join options: wrong dmSecret');
  }

  protected override onJoin(client: Client, options: { name: string; dmSecret?: string }): void {
    const secret = this.service.config.dmSecret;
    const presentsSecret = secret !== undefined && options.dmSecret === secret;
    const firstComer = secret === undefined && this.dmSessionId === null;
    const player = new Player();
    player.id = client.sessionId;
    player.name = options.name.trim();
    player.role = presentsSecret || firstComer ? 'dm' : 'player';
    if (player.role === 'dm') {
      if (this.dmSessionId) {
        const previous = this.room.state.players.get(this.dmSessionId);
        if (previous) previous.role = 'player';
      }
      this.dmSessionId = client.sessionId;
    }
    this.room.state.players.set(client.sessionId, player);
    this.log.debug({ roomId: this.room.roomId, sessionId: client.sessionId, name: player.name, role: player.role }, 'joined');
  }

  protected override onLeave(client: Client): void {
    this.streams.get(client.sessionId)?.end();
    this.streams.delete(client.sessionId);
    this.room.state.players.delete(client.sessionId);
    if (this.dmSessionId === client.sessionId) this.dmSessionId = null;
  }

  protected override async onDispose(): Promise<void> {
    for (const s of this.streams.values()) s.end();
    await this.service.closeRoom(this.room.roomId);
  }

  private onEvent(client: Client, message: unknown): void {
    const receivedAtMs = nowMs();
    const event = this.parse(GameEventSchema, message);
    const role = this.room.state.players.get(client.sessionId)?.role ?? 'player';
    const players = [...this.room.state.players.values()].map((p) => p.name).join(', ');
    const rendered = this.rules.render(event, role, { players });
    if (rendered.text.length > this.maxChars()) throw new EventRejected(`narration of "${event.type}" is longer than ${this.maxChars()} characters`);
    const n = this.narrator.narrate(rendered.text, { trigger: `event:${event.type}`, priority: rendered.priority, receivedAtMs, voice: rendered.voice });
    client.send('accepted', { type: 'event', narrationId: n.id });
  }

  private maxChars(): number {
    return this.service.config.limits.maxTextChars;
  }

  private requireDm(client: Client, type: string): void {
    if (client.sessionId !== this.dmSessionId) throw new EventRejected(`only the DM may send "${type}"`);
  }

  private parse<S extends z.ZodType>(schema: S, message: unknown): z.infer<S> {
    const result = schema.safeParse(message);
    if (!result.success) throw new EventRejected(describeIssue(result.error));
    return result.data;
  }

  /** Runs a handler; a refusal or failure is answered to the sender and never escapes into the room. */
  private guard(client: Client, type: string, handler: () => void): void {
    try {
      handler();
    } catch (err) {
      if (err instanceof EventRejected || err instanceof RangeError) {
        this.sendError(client, type, err.message);
      } else {
        this.log.error({ roomId: this.room.roomId, type, err }, 'message handler failed');
        this.sendError(client, type, `internal error handling "${type}"`);
      }
    }
  }

  private sendError(client: Client, type: string, message: string): void {
    const payload: ErrorMessage = { type, message };
    client.send('error', payload);
  }
}
