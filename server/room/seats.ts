/** Who may narrate: the DM sends DM commands and every event; a player only the events the rules allow. */
export type Role = 'dm' | 'player';

/**
 * The default seat policy of a narrated room (the `table` room's, and any room that gives the
 * narration plugin no `role` callback): with a `dmSecret`, whoever joins presenting it is DM (a
 * later holder takes the seat over, the former DM becomes a player); without one, the first to
 * join while no DM is seated is DM. A DM who leaves frees the seat for the next to join.
 * Holds session ids only; the room owns its players and their state.
 */
export class Seats {
  private dmSession: string | null = null;

  /** @param dmSecret config `dmSecret`; unset = first comer */
  constructor(private readonly dmSecret?: string) {}

  /**
   * Seats a client.
   * @param joinOptions the client's join options; `dmSecret` (a string) is compared with the configured secret
   * @returns the role given, and the session that lost the DM seat to it (or null)
   */
  join(sessionId: string, joinOptions: unknown): { role: Role; demoted: string | null } {
    const presented = (joinOptions as { dmSecret?: unknown } | null | undefined)?.dmSecret;
    const presentsSecret = this.dmSecret !== undefined && presented === this.dmSecret;
    const firstComer = this.dmSecret === undefined && this.dmSession === null;
    if (!presentsSecret && !firstComer) return { role: 'player', demoted: null };
    const demoted = this.dmSession !== null && this.dmSession !== sessionId ? this.dmSession : null;
    this.dmSession = sessionId;
    return { role: 'dm', demoted };
  }

  /** Frees the client's seat (and the DM seat, if it held it). */
  leave(sessionId: string): void {
    if (this.dmSession === sessionId) this.dmSession = null;
  }

  /** The client's role; `player` for anyone not seated as DM. */
  roleOf(sessionId: string): Role {
    return sessionId === this.dmSession ? 'dm' : 'player';
  }

  /** Session id of the DM, or null when the seat is free. */
  get dm(): string | null {
    return this.dmSession;
  }
}
