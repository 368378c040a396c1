import type { CaptionEvent, Role, TablePlayer, TableStateEvent, TableStatus } from './types.ts';

/** The slice of the server's TableState (server/room/table-state.ts) the SDK reads. */
interface TableStateLike {
  players?: { forEach(fn: (p: { id: string; name: string; role: string }, key: string) => void): void };
  status?: string;
  caption?: string;
  captionIndex?: number;
  narrationId?: string;
}

/**
 * Turns Colyseus state patches into the SDK's `state` and `caption` events: `state` when
 * the players or the status changed, `caption` when (narrationId, captionIndex) moved to a
 * chunk with text. An empty caption (narration ended) emits nothing.
 */
export class RoomState {
  private players: TablePlayer[] = [];
  private status: TableStatus = 'idle';
  private lastStateKey = '';
  private lastCaptionKey = '';

  constructor(
    private readonly sessionId: string,
    private readonly on: { onState(s: TableStateEvent): void; onCaption(c: CaptionEvent): void },
  ) {}

  /** Current players, status and own role. */
  snapshot(): TableStateEvent {
    const me = this.players.find((p) => p.id === this.sessionId);
    return { players: this.players, status: this.status, role: me?.role ?? null };
  }

  /** Reads a state patch (the whole decoded state, as `room.onStateChange` gives it). */
  update(raw: unknown): void {
    const state = raw as TableStateLike;
    const players: TablePlayer[] = [];
    state.players?.forEach((p) => players.push({ id: p.id, name: p.name, role: p.role === 'dm' ? 'dm' : 'player' }));
    players.sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'dm' ? -1 : 1));
    const status = (state.status ?? 'idle') as TableStatus;
    const key = JSON.stringify([players, status]);
    if (key !== this.lastStateKey) {
      this.lastStateKey = key;
      this.players = players;
      this.status = status;
      this.on.onState(this.snapshot());
    }
    const text = state.caption ?? '';
    const index = state.captionIndex ?? -1;
    const narrationId = state.narrationId ?? '';
    const captionKey = `${narrationId}#${index}`;
    if (text && index >= 0 && captionKey !== this.lastCaptionKey) {
      this.lastCaptionKey = captionKey;
      this.on.onCaption({ text, index, narrationId });
    }
  }
}
