import { CloseCode, Room, definePlugins, type Client } from '@colyseus/core';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Narrator } from '../host/narrator.ts';
import { NARRATION_MESSAGES, JoinOptionsSchema, describeIssue, type JoinOptions } from './messages.ts';
import { SeatRefused, Seats, type SeatAnswer } from './seats.ts';
import { Player, TableState } from './table-state.ts';

/** Name the `table` room type is registered under. */
export const TABLE_ROOM = 'table';

/** Players a table seats at most. */
const MAX_CLIENTS = 64;

/** Message types the `table` room handles itself (besides the narration plugin's and `audio:*`). */
const TABLE_MESSAGES = ['table:handover'] as const;

/** `table:handover` `{ sessionId }`: the DM gives the DM seat to someone seated. */
const HandoverSchema = z.strictObject({ sessionId: z.string({ error: 'sessionId must be a string' }).min(1).max(64) });

/**
 * Builds our reference room, `table`: a room of seated players with narration mounted through the
 * public API, exactly as a game would (`narrator.roomPlugin()`). Colyseus constructs rooms itself,
 * so the narrator reaches the room through the class. README "Seats, reconnection and table codes":
 * - join options `{name, seat?, dmSecret?, tableCode?}` ({@link JoinOptionsSchema}, strict); the seat
 *   policy is {@link Seats}; each person is told the seat they got and why (`table:seat` `{role, reason}`,
 *   again whenever it changes);
 * - tables are private: matchmaking never seats a stranger in an existing table by room type
 *   (`join("table")`); a table is joined by its id (the page's link), plus its code when one is set
 *   (config `table.code`, else the creator's `tableCode`);
 * - a dropped seat is held for `table.reconnectWindowMs` (Colyseus `allowReconnection`): the player
 *   stays listed with `connected: false`, the DM keeps the seat, and the SDK's reconnection gets it back;
 * - `table:handover` `{sessionId}` lets the DM give the seat away.
 * @param options.refusal while it returns a text, new tables and new seats are refused with it (a draining server); reconnections pass
 */
export function createTableRoom(narrator: Narrator, log: Logger, options: { refusal?: () => string | null } = {}): typeof Room<{ state: TableState }> {
  const { reconnectWindowMs } = narrator.config.table;
  const { refusal } = options;
  return class TableRoom extends Room<{ state: TableState }> {
    override state = new TableState();
    override maxClients = MAX_CLIENTS;
    // A flooding client is disconnected (4002) before it can starve the process (issue 11: 40 000 messages/s).
    override maxMessagesPerSecond = narrator.config.limits.maxMessagesPerSecond;
    private readonly seats = new Seats(narrator.config.dmSecret);
    /** The join code of this table: the config's, else its creator's, else none. */
    private code: string | undefined = narrator.config.table.code;
    override plugins = definePlugins({ narration: narrator.roomPlugin({ role: (client) => this.seats.roleOf(client.sessionId) }) });

    override messages = {
      'table:handover': (client: Client, message: unknown) => this.handover(client, message),
      _: (client: Client, type: string | number) =>
        this.plugins.narration.refuse(client, {
          type: String(type).slice(0, 64),
          code: 'bad_request',
          message: `unknown message type; allowed: ${[...NARRATION_MESSAGES, ...TABLE_MESSAGES].join(', ')}, audio:*`,
        }),
    };

    override onCreate(options: unknown): void {
      const refused = refusal?.();
      if (refused) throw new Error(refused);
      void this.setPrivate(true);
      const asked = (options as { tableCode?: unknown } | null | undefined)?.tableCode;
      if (this.code === undefined && typeof asked === 'string' && asked.length > 0) this.code = asked;
    }

    override onAuth(_client: Client, options: unknown): boolean {
      const refused = refusal?.();
      if (refused) throw new Error(refused);
      const parsed = JoinOptionsSchema.safeParse(options ?? {});
      if (!parsed.success) throw new Error(`join options: ${describeIssue(parsed.error)}`);
      const secret = narrator.config.dmSecret;
      if (parsed.data.dmSecret !== undefined && parsed.data.dmSecret !== secret) throw new Error('join options: wrong dmSecret');
      if (this.code !== undefined && parsed.data.tableCode !== this.code) {
        throw new Error(parsed.data.tableCode === undefined ? 'join options: this table needs its table code (tableCode)' : 'join options: wrong table code');
      }
      // One name per person at a table: the player list, `{players}` and captions name people by it.
      // A dropped seat keeps its name through the reconnection window.
      const name = parsed.data.name.toLocaleLowerCase();
      for (const p of this.state.players.values()) {
        if (p.name.toLocaleLowerCase() !== name) continue;
        throw new Error(`join options: name "${parsed.data.name}" is taken at this table${p.connected ? '' : ' (that seat is waiting for its owner to reconnect)'}`);
      }
      try {
        this.seats.check(parsed.data, () => this.nameOf(this.seats.dm));
      } catch (err) {
        if (err instanceof SeatRefused) throw new Error(`join options: ${err.message}`);
        throw err;
      }
      return true;
    }

    override onJoin(client: Client, options: JoinOptions): void {
      const seat = this.seats.join(client.sessionId, options);
      const player = new Player();
      player.id = client.sessionId;
      player.name = options.name.trim();
      player.role = seat.role;
      this.state.players.set(client.sessionId, player);
      client.send('table:seat', this.describe(seat));
      log.debug({ roomId: this.roomId, sessionId: client.sessionId, role: seat.role }, 'joined');
    }

    override onDrop(client: Client, code?: number): void {
      // A lost connection (WebSocket codes < 4000, or Colyseus's "may try to reconnect") keeps the seat;
      // a client the server closed on purpose (4002: a flood, an error budget spent; 4001: shutdown) does not.
      const lost = code === undefined || code < 4000 || code === CloseCode.MAY_TRY_RECONNECT;
      if (!lost || reconnectWindowMs === 0) return; // Colyseus runs onLeave next
      const player = this.state.players.get(client.sessionId);
      if (player) player.connected = false;
      void this.allowReconnection(client, reconnectWindowMs / 1000).catch(() => undefined);
    }

    override onReconnect(client: Client): void {
      const player = this.state.players.get(client.sessionId);
      if (player) player.connected = true;
      client.send('table:seat', { role: this.seats.roleOf(client.sessionId), reason: 'you reconnected to your seat' });
    }

    override onLeave(client: Client): void {
      const promoted = this.seats.leave(client.sessionId);
      this.state.players.delete(client.sessionId);
      if (promoted) this.seatChanged(promoted, 'the DM left; you were seated longest');
    }

    private handover(client: Client, message: unknown): void {
      const parsed = HandoverSchema.safeParse(message);
      const refuse = (text: string) => this.plugins.narration.refuse(client, { type: 'table:handover', code: 'not_allowed', message: text });
      if (!parsed.success) return refuse(`table:handover: ${describeIssue(parsed.error)}`);
      try {
        this.seats.handover(client.sessionId, parsed.data.sessionId);
      } catch (err) {
        if (err instanceof SeatRefused) return refuse(err.message);
        throw err;
      }
      this.seatChanged(client.sessionId, `you handed the DM seat to ${this.nameOf(parsed.data.sessionId)}`);
      this.seatChanged(parsed.data.sessionId, `${this.nameOf(client.sessionId)} handed you the DM seat`);
    }

    /** Mirrors a role change into the state and tells its owner. */
    private seatChanged(sessionId: string, reason: string): void {
      const role = this.seats.roleOf(sessionId);
      const player = this.state.players.get(sessionId);
      if (player) player.role = role;
      this.clients.getById(sessionId)?.send('table:seat', { role, reason });
    }

    /** A seat answer for its owner, naming the DM when the seat asked for was taken. */
    private describe(seat: SeatAnswer): SeatAnswer {
      if (seat.reason !== 'the DM seat is taken') return seat;
      return { role: seat.role, reason: `the DM seat is taken (${this.nameOf(this.seats.dm)})` };
    }

    private nameOf(sessionId: string | null): string {
      return (sessionId && this.state.players.get(sessionId)?.name) || 'someone';
    }
  };
}
