/** Who may narrate: the DM sends DM commands and every event; a player only the events the rules allow. */
export type Role = 'dm' | 'player';

/** The seat a person got, and why (sent to them as `table:seat`; shown by the page). */
export interface SeatAnswer {
  readonly role: Role;
  /** One sentence for the person: why this seat (`"you asked for the DM seat and it was free"`). */
  readonly reason: string;
}

/** Thrown when a seat request must be refused outright (a second DM with the secret). */
export class SeatRefused extends Error {
  override readonly name = 'SeatRefused';
}

/**
 * The seat policy of a narrated room (the `table` room's, and any room that gives the narration
 * plugin no `role` callback). Issue 11, "Seats":
 * - A join may ask for a seat (`seat: "dm" | "player"`); without one, the first to join an empty
 *   room asks for the DM seat and everyone after for a player seat — never the DM seat.
 * - Without a `dmSecret`, the DM seat goes to whoever asks while it is free; asking while it is
 *   held seats a player, saying so. With a secret, only a joiner presenting it may be DM, and a
 *   second one is refused ({@link SeatRefused}) until the first hands over or leaves.
 * - A DM whose connection drops keeps the seat through the room's reconnection window (the room
 *   calls {@link leave} only when the window is over). When the DM leaves for good, the seat goes
 *   to the earliest-seated remaining person — without a secret; with one it stays free for the next
 *   holder of the secret (promoting a player would hand the role to someone who never had it).
 * - The DM may {@link handover} the seat to anyone seated.
 * Holds session ids only; the room owns its players and their state.
 */
export class Seats {
  private dmSession: string | null = null;
  /** Seated session ids in the order they joined (Set keeps insertion order). */
  private readonly seated = new Set<string>();

  /** @param dmSecret config `dmSecret`; unset = seats by request and order, as above */
  constructor(private readonly dmSecret?: string) {}

  /**
   * Whether a join may proceed; call from `onAuth`, before the seat is taken.
   * @param joinOptions `{seat?, dmSecret?}` (already shape-checked by the room, or a game's own options)
   * @throws SeatRefused when a second DM presents the secret while the seat is held
   */
  check(joinOptions: unknown, nameOfDm: () => string): void {
    if (this.dmSecret === undefined || this.dmSession === null) return;
    const { seat, secret } = request(joinOptions);
    if (secret === this.dmSecret && seat !== 'player') {
      throw new SeatRefused(`the DM seat is taken (${nameOfDm()}): the DM can hand it over, or join as a player`);
    }
  }

  /**
   * Seats a client.
   * @param joinOptions `{seat?, dmSecret?}`; a `dmSecret` different from the configured one must be refused by the room before
   * @returns the seat given and why
   */
  join(sessionId: string, joinOptions: unknown): SeatAnswer {
    const { seat, secret } = request(joinOptions);
    const first = this.seated.size === 0;
    this.seated.add(sessionId);
    const asked: Role = seat ?? (first || (this.dmSecret !== undefined && secret === this.dmSecret) ? 'dm' : 'player');
    if (asked === 'player') return { role: 'player', reason: seat ? 'you asked for a player seat' : 'the DM seat is not given to later arrivals' };
    if (this.dmSecret !== undefined && secret !== this.dmSecret) return { role: 'player', reason: 'the DM seat needs the DM secret' };
    if (this.dmSession !== null && this.dmSession !== sessionId) return { role: 'player', reason: 'the DM seat is taken' };
    this.dmSession = sessionId;
    return { role: 'dm', reason: this.dmSecret !== undefined ? 'you gave the DM secret' : first ? 'you opened the table' : 'the DM seat was free' };
  }

  /**
   * Frees the client's seat for good (a consented leave, or a drop whose reconnection window ended).
   * @returns the session promoted to DM because the DM left, or null
   */
  leave(sessionId: string): string | null {
    this.seated.delete(sessionId);
    if (this.dmSession !== sessionId) return null;
    this.dmSession = null;
    if (this.dmSecret !== undefined) return null;
    const next = this.seated.values().next();
    if (next.done) return null;
    this.dmSession = next.value;
    return next.value;
  }

  /**
   * The DM gives the seat to someone seated; the giver becomes a player.
   * @throws SeatRefused when `from` is not the DM, or `to` is not seated or is the DM already
   */
  handover(from: string, to: string): void {
    if (this.dmSession !== from) throw new SeatRefused('only the DM may hand the DM seat over');
    if (to === from) throw new SeatRefused('you are the DM already');
    if (!this.seated.has(to)) throw new SeatRefused(`no one with session id "${to.slice(0, 64)}" is seated at this table`);
    this.dmSession = to;
  }

  /** The client's role; `player` for anyone not seated as DM. */
  roleOf(sessionId: string): Role {
    return sessionId === this.dmSession ? 'dm' : 'player';
  }

  /** Session id of the DM (connected or within its reconnection window), or null when the seat is free. */
  get dm(): string | null {
    return this.dmSession;
  }
}

/** The seat request in join options; anything malformed counts as no request (the room validates shapes). */
function request(joinOptions: unknown): { seat: Role | undefined; secret: unknown } {
  const o = (joinOptions ?? {}) as { seat?: unknown; dmSecret?: unknown };
  const seat = o.seat === 'dm' || o.seat === 'player' ? o.seat : undefined;
  return { seat, secret: o.dmSecret };
}
