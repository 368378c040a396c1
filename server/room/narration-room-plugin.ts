import { RoomPlugin, type Client, type Room } from '@colyseus/core';
import type { Logger } from 'pino';
import { nowMs } from '../threads/spawn-worker.ts';
import type { NarrationRules } from '../event/narration-rules.ts';
import { NarrationError, hasControlChars } from '../narration/narration-error.ts';
import type {
  Caption, EventOptions, NarrateOptions, NarrationHandle, NarrationStreamHandle, RoomNarration, RoomNarrationEvents,
} from '../narration/room-narration.ts';
import type { PlayoutStatus } from '../playout/playout.ts';
import {
  CancelSchema, DeltaSchema, GameEventSchema, NarrateLlmSchema, NarrateSchema, StreamStartSchema, parsePayload, type ErrorMessage,
} from './messages.ts';
import { findNarrationState, type NarrationState } from './narration-state.ts';
import type { RoomPluginContext, RoomPluginFactory } from './room-plugin-factory.ts';
import { Seats, type Role } from './seats.ts';
import { EventBudgets } from './event-budget.ts';
import { ErrorBudgets, type ErrorBudgetOptions } from './error-budget.ts';
import { audioJoin, type Handler } from './audio-join.ts';

/** Options of `narrator.roomPlugin()`: what the host room decides. */
export interface NarrationPluginOptions {
  /**
   * The role of a client for each request it sends: `dm` may narrate, stream, cancel, pause and
   * resume and send every event; `player` only the events whose rule says `players: true`.
   * Called per message with the client's join options, so a game can move the DM seat at will.
   * Default: the `table` room's policy ({@link Seats}: the config's `dmSecret`, else the first to join).
   */
  readonly role?: (client: Client, joinOptions: unknown) => Role | undefined;
}

/** What the plugin needs from the narrator that made it (a narrow view of `Narrator`). */
export interface NarrationRoomHost {
  /** The room's narration with these rules; its playout (slot, sinks, recording) opens on its first use. */
  roomNarration(roomId: string, options: { rules: NarrationRules }): RoomNarration;
  /** Config `dmSecret`, for the default seat policy. */
  readonly dmSecret?: string;
  /** Config `limits.playerEventsPerMinute` (0 = no limit). */
  readonly playerEventsPerMinute: number;
  /** Config `limits.errorRepliesPerMinute` and `limits.refusalsPerMinute`: each client's error budget. */
  readonly errorBudget: ErrorBudgetOptions;
  readonly log: Logger;
  /** Mounted plugins' room parts (WebRTC signaling), created per room. */
  readonly roomPluginFactories: readonly RoomPluginFactory[];
  /**
   * The game bridge's side of `audio:join` `{ transport: "bridge" }` (game-bridge/PROTOCOL.md): a one-time
   * token for the client's seat. @throws Error naming why there is none (no bridge endpoint, no `bridge` sink)
   */
  bridgeGrant(roomId: string, sessionId: string): { token: string; path: string; expiresInMs: number };
  /** The client left the room: its bridge token and attached audio socket go. */
  bridgeSeatLeft(roomId: string, sessionId: string): void;
}

/** Longest display name taken from join options for `{players}` and plugin contexts. */
const MAX_NAME_CHARS = 40;

/**
 * Narration mounted into any Colyseus 0.18 room the native way, as a `RoomPlugin`
 * (`definePlugins({ narration: narrator.roomPlugin() })`); our own `table` room is built with it.
 *
 * Game code on the server calls the public methods (`this.plugins.narration.narrate(...)`).
 * Clients send `narration:*` messages (server/room/messages.ts; the DM commands need the role
 * `dm`), so nothing collides with the host room's own handlers; every refusal is answered with
 * `narration:error` `{type, code, message}` and the room carries on. Server → clients:
 * `narration:accepted` `{type, narrationId}` (to the sender), `narration:start` `{narrationId, trigger}`,
 * `narration:status` `{status}`, `narration:caption` `{narrationId, index, text}`, `narration:end`
 * (the report). A joining client gets the current status and caption at once. When the host's
 * state has a {@link NarrationState} field it is kept current too.
 *
 * Mounted plugins' own room plugins (WebRTC signaling, `audio:*`) run inside this one: their
 * messages are merged into its own and their hooks run after its own set-up and before its tear-down.
 */
export class NarrationRoomPlugin extends RoomPlugin<Room> {
  override readonly pluginName = 'narration' as const;
  private narration: RoomNarration | null = null;
  private stateField: NarrationState | null = null;
  private readonly parts: RoomPlugin[];
  private readonly seats: Seats | null;
  /** Join options of the room's clients, for the role callback and display names. */
  private readonly joinOptions = new Map<string, unknown>();
  /** Players' event budgets (`limits.playerEventsPerMinute`). */
  private readonly eventBudgets: EventBudgets;
  /** Clients' error budgets: refusals answered, then counted in silence, then a disconnect (4429). */
  private readonly errorBudgets: ErrorBudgets;
  /** One open stream per client (`narration:narrate_start` … `narration:narrate_end`). */
  private readonly streams = new Map<string, NarrationStreamHandle>();
  private readonly unsubscribe: Array<() => void> = [];
  /** Narrations whose language-model failure the DMs were told (bounded by the room's live narrations; removed at their end). */
  private readonly toldWriterFailure = new Set<string>();

  /**
   * @param rules the validated rules table this room renders events with
   * @throws Error when two mounted plugins' room parts declare the same message type
   */
  constructor(
    private readonly host: NarrationRoomHost,
    private readonly rules: NarrationRules,
    private readonly options: NarrationPluginOptions = {},
  ) {
    super();
    this.seats = options.role ? null : new Seats(host.dmSecret);
    this.eventBudgets = new EventBudgets(host.playerEventsPerMinute);
    this.errorBudgets = new ErrorBudgets(host.errorBudget, host.log);
    const context: RoomPluginContext = { log: host.log, nameOf: (sessionId) => this.nameOf(sessionId) ?? sessionId };
    this.parts = host.roomPluginFactories.map((f) => f.create({ ...context, log: host.log.child({ plugin: f.name }) }));
    const messages: Record<string, Handler> = { ...this.ownMessages() };
    for (const [i, part] of this.parts.entries()) {
      for (const [type, handler] of Object.entries((part as unknown as { messages?: Record<string, Handler> }).messages ?? {})) {
        if (messages[type]) throw new Error(`message type "${type}" of plugin ${host.roomPluginFactories[i]!.name} is already handled by the narration plugin`);
        messages[type] = handler;
      }
    }
    messages['audio:join'] = audioJoin(messages['audio:join'], {
      grant: (client) => host.bridgeGrant(this.room.roomId, client.sessionId),
      refuse: (client, message) => this.refuseAudio(client, message),
    });
    this.messages = messages as never;
  }

  // ── The public handle (`this.plugins.narration.…`) ─────────────────────────────────────────

  /**
   * Narrates `text` (see RoomNarration.narrate).
   * @throws NarrationError `empty_text`, `text_too_long`, `bad_text`, `unknown_voice`, `queue_full`, `bad_request`, `closed`
   */
  narrate(text: string, options: NarrateOptions = {}): NarrationHandle {
    return this.open().narrate(text, options);
  }

  /**
   * Renders a game event with the room's rules and narrates it; `{players}` is the room's client names.
   * @throws NarrationError `unknown_event`, `bad_event`, `not_allowed`, `text_too_long`, `unknown_voice`, `queue_full`, `closed`
   */
  event(type: string, fields: Readonly<Record<string, unknown>> = {}, options: EventOptions = {}): NarrationHandle {
    return this.open().event(type, fields, { ...options, context: { players: this.playerNames(), ...options.context } });
  }

  /**
   * Narrates what the mounted language model writes for `prompt` (see RoomNarration.generate); its
   * failures reach the room's DMs as `narration:error` `llm_failed`.
   * @throws NarrationError `no_llm`, and as {@link narrate} for the prompt
   */
  generate(prompt: string, options: NarrateOptions = {}): NarrationHandle {
    return this.open().generate(prompt, options);
  }

  /** Starts a streamed narration (see RoomNarration.stream). @throws NarrationError as {@link narrate} */
  stream(options: NarrateOptions = {}): NarrationStreamHandle {
    return this.open().stream(options);
  }

  /** Cancels the given narrations, or all of the room's. @returns the ids cancelled @throws NarrationError `closed` */
  cancel(ids?: readonly string[]): string[] {
    return this.open().cancel(ids);
  }

  /** Holds playback. @throws NarrationError `closed` */
  pause(): void {
    this.open().pause();
  }

  /** Continues after {@link pause}. @throws NarrationError `closed` */
  resume(): void {
    this.open().resume();
  }

  /** `idle`, `buffering`, `speaking` or `paused`. */
  get status(): PlayoutStatus {
    return this.narration?.status ?? 'idle';
  }

  /** The chunk being heard, or null. */
  get caption(): Caption | null {
    return this.narration?.caption ?? null;
  }

  /**
   * Subscribes to the room's narration events (`start`, `status`, `caption`, `end`).
   * @returns the unsubscribe function @throws NarrationError `closed` before the room's onCreate
   */
  on<K extends keyof RoomNarrationEvents>(event: K, listener: (payload: RoomNarrationEvents[K]) => void): () => void {
    return this.open().on(event, listener);
  }

  // ── Room lifecycle ────────────────────────────────────────────────────────────────────────────

  // No playout slot or recording until the first join or narration (issue 11: 300 unjoined rooms took all 256 slots).
  protected override async onCreate(options: unknown): Promise<void> {
    const room = this.room;
    const narration = this.host.roomNarration(room.roomId, { rules: this.rules });
    this.narration = narration;
    this.stateField = findNarrationState(room.state);
    this.unsubscribe.push(
      narration.on('start', (m) => room.broadcast('narration:start', m)),
      narration.on('status', (status) => {
        if (this.stateField) this.stateField.status = status;
        room.broadcast('narration:status', { status });
      }),
      narration.on('caption', (c) => {
        if (this.stateField) {
          this.stateField.narrationId = c.narrationId;
          this.stateField.captionIndex = c.index;
          this.stateField.caption = c.text;
        }
        room.broadcast('narration:caption', c);
      }),
      narration.on('end', (report) => {
        if (this.stateField?.narrationId === report.id) {
          this.stateField.caption = '';
          this.stateField.captionIndex = -1;
        }
        room.broadcast('narration:end', report);
        // A failed narration is never a quiet success: the DM also gets it as an error (the SDK's `error` event),
        // unless its language model's failure was told already.
        if (report.error && !this.toldWriterFailure.delete(report.id)) {
          this.tellDms({ type: 'narration:end', code: 'synthesis_failed', message: `narration ${report.id} failed: ${report.error}`, narrationId: report.id });
        }
        this.toldWriterFailure.delete(report.id);
      }),
      narration.on('error', (p) => {
        if (p.code === 'llm_failed') this.toldWriterFailure.add(p.narrationId);
        const type = p.trigger.startsWith('event:') ? 'narration:event' : p.trigger === 'dm:llm' ? 'narration:narrate_llm' : 'narration:generate';
        this.tellDms({ type, code: p.code, message: p.message, narrationId: p.narrationId });
      }),
    );
    for (const part of this.parts) {
      (part as unknown as { room: Room }).room = room;
      await hook(part, 'onCreate', options);
    }
  }

  protected override async onJoin(client: Client, options?: unknown): Promise<void> {
    // The first seat taken opens the room's playout; a client joins a room whose audio runs.
    await this.open().open().catch((err: unknown) => {
      throw new Error(`narration cannot start for this table: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    this.joinOptions.set(client.sessionId, options);
    this.seats?.join(client.sessionId, options);
    // Sent before the join completes, Colyseus delivers these right after it.
    client.send('narration:status', { status: this.status });
    if (this.caption) client.send('narration:caption', this.caption);
    for (const part of this.parts) await hook(part, 'onJoin', client, options);
  }

  protected override async onLeave(client: Client, code?: number): Promise<void> {
    this.streams.get(client.sessionId)?.end();
    this.streams.delete(client.sessionId);
    this.joinOptions.delete(client.sessionId);
    this.eventBudgets.forget(client.sessionId);
    this.errorBudgets.forget(client.sessionId);
    this.seats?.leave(client.sessionId);
    this.host.bridgeSeatLeft(this.room.roomId, client.sessionId);
    for (const part of this.parts) await hook(part, 'onLeave', client, code);
  }

  protected override async onDispose(): Promise<void> {
    for (const part of this.parts) {
      try {
        await hook(part, 'onDispose');
      } catch (err) {
        this.host.log.warn({ roomId: this.room.roomId, err }, 'room plugin dispose failed');
      }
    }
    for (const s of this.streams.values()) s.end();
    this.streams.clear();
    for (const off of this.unsubscribe.splice(0)) off();
    await this.narration?.close();
  }

  // ── Client messages ───────────────────────────────────────────────────────────────────────────

  private ownMessages(): Record<string, Handler> {
    return {
      'narration:event': (client, message) =>
        this.guard(client, 'narration:event', (narration, receivedAtMs) => {
          const { type, ...fields } = parsePayload(GameEventSchema, message);
          const as = this.roleOf(client);
          if (as === 'player') this.eventBudgets.spend(client.sessionId, receivedAtMs);
          const n = narration.event(type, fields, { as, context: { players: this.playerNames() }, receivedAtMs });
          this.accept(client, 'narration:event', n.id);
        }),
      'narration:narrate': (client, message) =>
        this.guard(client, 'narration:narrate', (narration, receivedAtMs) => {
          this.requireDm(client, 'narration:narrate');
          const { text, voice } = parsePayload(NarrateSchema, message);
          const n = narration.narrate(text, { trigger: 'dm:text', receivedAtMs, voice });
          this.accept(client, 'narration:narrate', n.id);
        }),
      'narration:narrate_llm': (client, message) =>
        this.guard(client, 'narration:narrate_llm', (narration, receivedAtMs) => {
          this.requireDm(client, 'narration:narrate_llm');
          const { prompt, voice } = parsePayload(NarrateLlmSchema, message);
          const n = narration.generate(prompt, { trigger: 'dm:llm', receivedAtMs, voice });
          this.accept(client, 'narration:narrate_llm', n.id);
        }),
      'narration:narrate_start': (client, message) =>
        this.guard(client, 'narration:narrate_start', (narration, receivedAtMs) => {
          this.requireDm(client, 'narration:narrate_start');
          const voice = parsePayload(StreamStartSchema, message ?? undefined)?.voice;
          const stream = narration.stream({ trigger: 'dm:stream', receivedAtMs, voice });
          this.streams.get(client.sessionId)?.end();
          this.streams.set(client.sessionId, stream);
          // Ended any way (narrate_end, cancel, limits.streamIdleMs): the client has no open stream any more.
          void stream.done.finally(() => {
            if (this.streams.get(client.sessionId) === stream) this.streams.delete(client.sessionId);
          }).catch(() => undefined);
          this.accept(client, 'narration:narrate_start', stream.id);
        }),
      'narration:narrate_delta': (client, message) =>
        this.guard(client, 'narration:narrate_delta', () => {
          this.requireDm(client, 'narration:narrate_delta');
          const { text } = parsePayload(DeltaSchema, message);
          this.openStream(client).push(text);
        }),
      'narration:narrate_end': (client) =>
        this.guard(client, 'narration:narrate_end', () => {
          this.requireDm(client, 'narration:narrate_end');
          this.openStream(client).end();
          this.streams.delete(client.sessionId);
        }),
      'narration:cancel': (client, message) =>
        this.guard(client, 'narration:cancel', (narration, receivedAtMs) => {
          this.requireDm(client, 'narration:cancel');
          const id = parsePayload(CancelSchema, message ?? undefined)?.narrationId;
          const cancelled = new Set(narration.cancel(id ? [id] : undefined, receivedAtMs));
          // Only the streams whose narration was cancelled close; another open stream goes on.
          for (const [sessionId, s] of this.streams) {
            if (!id || cancelled.has(s.id)) {
              s.end();
              this.streams.delete(sessionId);
            }
          }
        }),
      'narration:pause': (client) => this.guard(client, 'narration:pause', (narration) => (this.requireDm(client, 'narration:pause'), narration.pause())),
      'narration:resume': (client) => this.guard(client, 'narration:resume', (narration) => (this.requireDm(client, 'narration:resume'), narration.resume())),
    };
  }

  private openStream(client: Client): NarrationStreamHandle {
    const stream = this.streams.get(client.sessionId);
    if (!stream) throw new NarrationError('no_stream', 'no open stream: send narration:narrate_start first');
    return stream;
  }

  /** The client's role now: the room's `role` callback with its join options, or the default {@link Seats}. */
  roleOf(client: Client): Role {
    if (this.seats) return this.seats.roleOf(client.sessionId);
    return this.options.role!(client, this.joinOptions.get(client.sessionId)) === 'dm' ? 'dm' : 'player';
  }

  /**
   * Answers a refused client message with `narration:error` `{type, code, message}`, within the
   * client's error budget (server/room/error-budget.ts; config `limits.errorRepliesPerMinute`,
   * `limits.refusalsPerMinute`): past its replies a client's refusals are counted in silence, past its
   * refusals it is disconnected with close code 4429 "too many refused messages". The host room's own
   * refusals (an unknown message type) go through here too, so a client has one budget per room.
   */
  refuse(client: Client, error: ErrorMessage): void {
    this.errorBudgets.answer(this.room, client, 'narration:error', error);
  }

  /** `audio:error` `{ message }` for a refused `audio:join`, from the same budget as {@link refuse}. */
  private refuseAudio(client: Client, message: string): void {
    this.errorBudgets.answer(this.room, client, 'audio:error', { message });
  }

  private requireDm(client: Client, type: string): void {
    if (this.roleOf(client) !== 'dm') throw new NarrationError('not_allowed', `only the DM may send "${type}"`);
  }

  /** Sends a `narration:error` to every DM of the room (errors after a narration was accepted). */
  private tellDms(error: ErrorMessage): void {
    for (const c of this.room.clients) if (this.roleOf(c) === 'dm') c.send('narration:error', error);
  }

  private accept(client: Client, type: string, narrationId: string): void {
    client.send('narration:accepted', { type, narrationId });
  }

  /** A client's display name from its join option `name`, or undefined. */
  private nameOf(sessionId: string): string | undefined {
    const name = (this.joinOptions.get(sessionId) as { name?: unknown } | null | undefined)?.name;
    if (typeof name !== 'string') return undefined;
    const clean = name.trim().slice(0, MAX_NAME_CHARS);
    return clean && !hasControlChars(clean) ? clean : undefined;
  }

  /** `{players}` of the rules' templates: the names of the room's clients, in join order. */
  private playerNames(): string {
    const names: string[] = [];
    for (const sessionId of this.joinOptions.keys()) {
      const name = this.nameOf(sessionId);
      if (name) names.push(name);
    }
    return names.join(', ');
  }

  private open(): RoomNarration {
    const narration = this.narration;
    if (!narration) throw new NarrationError('closed', 'the room\'s narration is not open: it opens in the room\'s onCreate');
    return narration;
  }

  /** Runs a handler; a refusal or failure is answered to the sender and never escapes into the room. */
  private guard(client: Client, type: string, handler: (narration: RoomNarration, receivedAtMs: number) => void): void {
    const receivedAtMs = nowMs();
    try {
      handler(this.open(), receivedAtMs);
    } catch (err) {
      const payload: ErrorMessage = err instanceof NarrationError
        ? { type, code: err.code, message: err.message }
        : { type, code: 'internal', message: `internal error handling "${type}"` };
      if (!(err instanceof NarrationError)) this.host.log.error({ roomId: this.room.roomId, type, err }, 'message handler failed');
      this.refuse(client, payload);
    }
  }
}

/** Calls a room plugin's lifecycle hook (protected on RoomPlugin) if it has one. */
async function hook(part: RoomPlugin, name: 'onCreate' | 'onJoin' | 'onLeave' | 'onDispose', ...args: unknown[]): Promise<void> {
  const fn = (part as unknown as Record<string, ((...a: unknown[]) => unknown) | undefined>)[name];
  if (typeof fn === 'function') await fn.apply(part, args);
}
