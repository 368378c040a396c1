/**
 * Incremental whitespace tokenizer for the streaming chunker: splits arriving
 * text into tokens (runs of non-whitespace), each with the estimated spoken
 * length the chunker sums, and keeps the text not yet emitted. Every character
 * is scanned once, whatever the delta sizes, and the tokens do not depend on
 * how the text was split into deltas.
 */

/** A token in absolute stream offsets. */
export interface ScannedToken {
  /** Offset of its first character in the whole stream. */
  start: number;
  /** Token text (no whitespace); final once `closed`. */
  core: string;
  /** Whether the token is complete (whitespace, a split, or the end followed it). */
  closed: boolean;
  /** Estimated spoken length + 1 for the joining space; 0 until closed. */
  est: number;
  /** Sum of `est` of all earlier tokens of the stream. */
  cumBefore: number;
  /** Line breaks in the whitespace after the token (final once the next token starts). */
  newlinesAfter: number;
  /** First token, or one after a line break. */
  lineStart: boolean;
}

/**
 * Longest token, in UTF-16 units, before it is split: a bound on how much
 * text one token can hold back, so no single token can exceed an engine's
 * char limit (only runs longer than any word — URLs, digit strings — are cut).
 */
export const MAX_TOKEN_CHARS = 40;

function isWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029
    || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const ALNUM = /[\p{L}\p{N}]/u;

/** Tokenizes appended text; tokens are handed to `onToken` when they start and completed in place. */
export class TokenScanner<T extends ScannedToken> {
  private buf = '';
  /** Stream offset of buf[0]. */
  private base = 0;
  private scanned = 0;
  private open: T | null = null;
  private openHasAlnum = false;
  private last: T | null = null;

  /**
   * @param onToken receives each token as it starts (the same object is later completed).
   * @param measure spoken length of a complete token's text, chars.
   */
  constructor(
    private readonly onToken: (token: T) => void,
    private readonly measure: (core: string) => number,
  ) {}

  /** Adds text and tokenizes it. */
  append(delta: string): void {
    if (delta === '') return;
    this.buf += delta;
    const buf = this.buf;
    for (let i = this.scanned - this.base; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      const at = this.base + i;
      if (isWhitespace(c)) {
        if (this.open) this.close(at);
        if (this.last && (c === 10 || c === 0x2028 || c === 0x2029)) this.last.newlinesAfter++;
      } else if (this.open) {
        const prev = buf.charCodeAt(i - 1);
        const afterDash = (prev === 0x2014 || prev === 0x2013) && this.openHasAlnum;
        const tooLong = at - this.open.start >= MAX_TOKEN_CHARS && !(c >= 0xdc00 && c <= 0xdfff);
        if (afterDash || tooLong) {
          this.close(at);
          this.start(at);
        }
        if (!this.openHasAlnum && ALNUM.test(buf[i]!)) this.openHasAlnum = true;
      } else {
        this.start(at);
        this.openHasAlnum = ALNUM.test(buf[i]!);
      }
    }
    this.scanned = this.base + buf.length;
  }

  /** Ends the stream: the last token is complete. */
  finish(): void {
    if (this.open) this.close(this.base + this.buf.length);
  }

  /**
   * Text not yet consumed, up to stream offset `end` (default: all of it).
   */
  pendingText(end?: number): string {
    return end === undefined ? this.buf : this.buf.slice(0, end - this.base);
  }

  /** Drops the first `chars` characters of the pending text (they were emitted). */
  consume(chars: number): void {
    this.buf = this.buf.slice(chars);
    this.base += chars;
  }

  private start(at: number): void {
    const prev = this.last;
    const token = {
      start: at,
      core: '',
      closed: false,
      est: 0,
      cumBefore: prev ? prev.cumBefore + prev.est : 0,
      newlinesAfter: 0,
      lineStart: prev === null || prev.newlinesAfter > 0,
    } as T;
    this.open = token;
    this.openHasAlnum = false;
    this.last = token;
    this.onToken(token);
  }

  private close(at: number): void {
    const token = this.open!;
    token.core = this.buf.slice(token.start - this.base, at - this.base);
    token.est = this.measure(token.core) + 1;
    token.closed = true;
    this.open = null;
  }
}
