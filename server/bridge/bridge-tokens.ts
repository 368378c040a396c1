import { randomBytes } from 'node:crypto';

/** How long an `audio:bridge` token stays valid, ms (game-bridge/PROTOCOL.md: 30 s). */
export const TOKEN_TTL_MS = 30_000;
/** Tokens outstanding at most, process-wide; the oldest goes first (one per client and room is kept anyway). */
const MAX_TOKENS = 4096;

/** What a token grants: audio of one seated client's room. */
export interface TokenGrant {
  readonly roomId: string;
  readonly sessionId: string;
}

/**
 * One-time tokens for `attach` (game-bridge/PROTOCOL.md, "audio:join transport bridge"):
 * 32 random bytes, base64url; valid {@link TOKEN_TTL_MS}; consumed by the first `attach`. A
 * client holds at most one (a new `audio:join` replaces it), and the store is bounded, so no
 * client can grow it.
 */
export class BridgeTokens {
  private readonly tokens = new Map<string, TokenGrant & { readonly expiresAt: number }>();
  private readonly bySession = new Map<string, string>();

  /** @param now clock, ms (tests inject one) */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Issues a token for the client's seat in the room, revoking the one it held. @returns the token */
  issue(grant: TokenGrant): string {
    const key = `${grant.roomId}\n${grant.sessionId}`;
    const previous = this.bySession.get(key);
    if (previous) this.tokens.delete(previous);
    this.sweep();
    if (this.tokens.size >= MAX_TOKENS) {
      const [oldest, g] = this.tokens.entries().next().value!;
      this.tokens.delete(oldest);
      this.bySession.delete(`${g.roomId}\n${g.sessionId}`);
    }
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { ...grant, expiresAt: this.now() + TOKEN_TTL_MS });
    this.bySession.set(key, token);
    return token;
  }

  /** Consumes a token. @returns its grant, or null when it is unknown, used or expired */
  take(token: string): TokenGrant | null {
    const grant = this.tokens.get(token);
    if (!grant) return null;
    this.tokens.delete(token);
    this.bySession.delete(`${grant.roomId}\n${grant.sessionId}`);
    return grant.expiresAt > this.now() ? { roomId: grant.roomId, sessionId: grant.sessionId } : null;
  }

  /** Revokes the client's token (it left the room). */
  revoke(roomId: string, sessionId: string): void {
    const key = `${roomId}\n${sessionId}`;
    const token = this.bySession.get(key);
    if (token) this.tokens.delete(token);
    this.bySession.delete(key);
  }

  /** Tokens outstanding. */
  get size(): number {
    return this.tokens.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, g] of this.tokens) {
      if (g.expiresAt > now) break; // insertion order = expiry order
      this.tokens.delete(token);
      this.bySession.delete(`${g.roomId}\n${g.sessionId}`);
    }
  }
}
