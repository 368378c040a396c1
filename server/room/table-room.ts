import { Room, definePlugins, type Client } from '@colyseus/core';
import type { Logger } from 'pino';
import type { Narrator } from '../host/narrator.ts';
import { NARRATION_MESSAGES, JoinOptionsSchema, describeIssue, type JoinOptions } from './messages.ts';
import { Seats } from './seats.ts';
import { Player, TableState } from './table-state.ts';

/** Name the `table` room type is registered under. */
export const TABLE_ROOM = 'table';

/** Players a table seats at most. */
const MAX_CLIENTS = 64;

/**
 * Builds our reference room, `table`: a room of seated players (`{name, dmSecret?}` join options,
 * {@link Seats}: the config's `dmSecret`, else the first to join is DM) with narration mounted
 * through the public API, exactly as a game would (`narrator.roomPlugin()`). Colyseus constructs
 * rooms itself, so the narrator reaches the room through the class.
 */
export function createTableRoom(narrator: Narrator, log: Logger): typeof Room<{ state: TableState }> {
  return class TableRoom extends Room<{ state: TableState }> {
    override state = new TableState();
    override maxClients = MAX_CLIENTS;
    // A flooding client is disconnected (4002) before it can starve the process (issue 11: 40 000 messages/s).
    override maxMessagesPerSecond = narrator.config.limits.maxMessagesPerSecond;
    private readonly seats = new Seats(narrator.config.dmSecret);
    override plugins = definePlugins({ narration: narrator.roomPlugin({ role: (client) => this.seats.roleOf(client.sessionId) }) });

    override messages = {
      _: (client: Client, type: string | number) =>
        this.plugins.narration.refuse(client, {
          type: String(type).slice(0, 64),
          code: 'bad_request',
          message: `unknown message type; allowed: ${NARRATION_MESSAGES.join(', ')}, audio:*`,
        }),
    };

    override onAuth(_client: Client, options: unknown): boolean {
      const parsed = JoinOptionsSchema.safeParse(options ?? {});
      if (!parsed.success) throw new Error(`join options: ${describeIssue(parsed.error)}`);
      const secret = narrator.config.dmSecret;
      if (parsed.data.dmSecret !== undefined && parsed.data.dmSecret !== secret) throw new Error('join options: wrong dmSecret');
      // One name per person at a table: the player list, `{players}` and captions name people by it.
      const name = parsed.data.name.toLocaleLowerCase();
      for (const p of this.state.players.values()) {
        if (p.name.toLocaleLowerCase() === name) throw new Error(`join options: name "${parsed.data.name}" is taken at this table`);
      }
      return true;
    }

    override onJoin(client: Client, options: JoinOptions): void {
      const { role, demoted } = this.seats.join(client.sessionId, options);
      if (demoted) {
        const previous = this.state.players.get(demoted);
        if (previous) previous.role = 'player';
      }
      const player = new Player();
      player.id = client.sessionId;
      player.name = options.name.trim();
      player.role = role;
      this.state.players.set(client.sessionId, player);
      log.debug({ roomId: this.roomId, sessionId: client.sessionId, name: player.name, role }, 'joined');
    }

    override onLeave(client: Client): void {
      this.seats.leave(client.sessionId);
      this.state.players.delete(client.sessionId);
    }
  };
}
