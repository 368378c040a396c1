import type { Role, TablePlayer, TableStateEvent, TableStatus } from './types.ts';

/** The slice of a room's state the SDK reads: a `players` map, when the room keeps one (the `table` room does). */
interface PlayersStateLike {
  players?: { forEach(fn: (p: { id: string; name: string; role: string; connected?: boolean }, key: string) => void): void };
}

const STATUSES: readonly TableStatus[] = ['idle', 'buffering', 'speaking', 'paused'];

/**
 * The SDK's `state` event: the players (from the room state's `players` map when the room has
 * one, as the `table` room does; a game's own room may not) and the narration status (from
 * `narration:status` messages, which every narrated room sends). Emits when either changed.
 */
export class RoomState {
  private players: TablePlayer[] = [];
  private status: TableStatus = 'idle';
  private lastKey = '';

  constructor(private readonly sessionId: string, private readonly onState: (s: TableStateEvent) => void) {}

  /** Current players, status and own role (null when the room lists no players). */
  snapshot(): TableStateEvent {
    const me = this.players.find((p) => p.id === this.sessionId);
    const role: Role | null = me?.role ?? null;
    return { players: this.players, status: this.status, role };
  }

  /** Reads a state patch (the whole decoded state, as `room.onStateChange` gives it). */
  updatePlayers(raw: unknown): void {
    const state = raw as PlayersStateLike;
    const players: TablePlayer[] = [];
    state?.players?.forEach?.((p) => players.push({ id: p.id, name: p.name, role: p.role === 'dm' ? 'dm' : 'player', connected: p.connected !== false }));
    players.sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'dm' ? -1 : 1));
    this.players = players;
    this.changed();
  }

  /** Reads a `narration:status` message. */
  updateStatus(status: string): void {
    this.status = STATUSES.includes(status as TableStatus) ? (status as TableStatus) : 'idle';
    this.changed();
  }

  private changed(): void {
    const key = JSON.stringify([this.players, this.status]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.onState(this.snapshot());
  }
}
