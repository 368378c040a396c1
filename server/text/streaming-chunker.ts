import {
  checkCharsPerSecond, chunkBounds, resolveChunkerOptions, type ChunkBounds, type ChunkBoundary, type SemanticChunkerOptions, type TextChunk,
} from './chunker-options.ts';
import { normalizeForSpeech } from './normalize.ts';
import { classifyBoundary, type BoundaryToken, type PauseKind, type PausePoint } from './pause-points.ts';
import { pauseWordsFor, type PauseWords } from './pause-words.ts';
import { SpokenLengthEstimator } from './spoken-estimate.ts';
import { TokenScanner, type ScannedToken } from './token-scanner.ts';

/** Base cost of ending a chunk at each pause kind: sentence > clause > conjunction > forced. */
const KIND_COST: Record<PauseKind, number> = { sentence: 0, clause: 2, conjunction: 3, forced: 6 };

/** Cut after pending token k, or take everything pending as the last chunk. */
type Cut = number | 'end';

/** A token plus the classification of the boundary after it. */
interface Tok extends ScannedToken, BoundaryToken {
  pause?: PausePoint;
}

/**
 * Chunks narration text that arrives in pieces (an LLM's deltas) at the same
 * pause points as {@link SemanticChunker} (rules: semantic-chunker.ts).
 *
 * A chunk is emitted once it is safe: every boundary that could still beat the
 * chosen one lies in text already received (or the buffer reached the hard
 * maximum, or the stream ended). So the chunks do not depend on how the text
 * was split into deltas; against `chunk()` of the whole text they differ at
 * most near the end, where knowing the end changes the choice (short-text
 * rule, no tiny tail). Work is O(n): each character is scanned once and each
 * decision looks at one chunk's window of tokens.
 */
export class StreamingChunker {
  private readonly opts: SemanticChunkerOptions;
  private bounds: ChunkBounds;
  private readonly words: PauseWords;
  private readonly scanner: TokenScanner<Tok>;
  /** Pending tokens; toks[0] is the first token of the pending chunk. */
  private toks: Tok[] = [];
  /** Pending boundaries classified: boundary k (after toks[k]) for k < classified. */
  private classified = 0;
  private nextIndex = 0;
  private ended = false;
  private lastSpoken: { text: string; spoken: string } | null = null;

  /** @throws Error naming the invalid option (see resolveChunkerOptions). */
  constructor(options: Partial<SemanticChunkerOptions> = {}) {
    this.opts = resolveChunkerOptions(options);
    this.bounds = chunkBounds(this.opts);
    this.words = pauseWordsFor(this.opts.language);
    const estimator = new SpokenLengthEstimator(this.opts.language);
    this.scanner = new TokenScanner<Tok>((t) => this.toks.push(t), (core) => estimator.tokenLength(core));
  }

  /** Resolved options (charsPerSecond reflects setCharsPerSecond). */
  get options(): Readonly<SemanticChunkerOptions> {
    return this.opts;
  }

  /**
   * Updates the speech rate from measured audio; applies to chunks not yet emitted.
   * @param charsPerSecond spoken chars per second of audio, > 0.
   * @throws RangeError when not a positive finite number.
   */
  setCharsPerSecond(charsPerSecond: number): void {
    this.opts.charsPerSecond = checkCharsPerSecond(charsPerSecond);
    this.bounds = chunkBounds(this.opts);
  }

  /**
   * Adds text and returns the chunks that became safe to emit (possibly none).
   * @throws Error after end().
   */
  push(delta: string): TextChunk[] {
    if (this.ended) throw new Error('StreamingChunker.push() called after end()');
    this.scanner.append(delta);
    this.classify();
    return this.drain();
  }

  /**
   * Ends the text: returns every remaining chunk, the last with boundary `end`.
   * Calling it again returns [].
   * @param lastDelta text to append first (`new StreamingChunker().end(text)` chunks a whole text).
   */
  end(lastDelta = ''): TextChunk[] {
    if (this.ended) return [];
    this.scanner.append(lastDelta);
    this.ended = true;
    this.scanner.finish();
    this.classify();
    const out = this.drain();
    if (this.toks.length === 0 && this.scanner.pendingText() !== '') out.push(this.emit('end'));
    return out;
  }

  private classify(): void {
    const toks = this.toks;
    while (this.classified + 1 < toks.length && toks[this.classified + 1]!.closed) {
      const k = this.classified;
      toks[k]!.pause = classifyBoundary(toks[k]!, toks[k + 1]!, this.words);
      this.classified++;
    }
  }

  private drain(): TextChunk[] {
    const out: TextChunk[] = [];
    while (this.toks.length > 0) {
      const cut = this.nextCut();
      if (cut === null) break;
      out.push(this.emit(cut));
      if (cut === 'end') break;
    }
    return out;
  }

  /** Estimated spoken chars of pending tokens 0..k joined by single spaces. */
  private lengthTo(k: number): number {
    const t = this.toks[k]!;
    return t.cumBefore + t.est - this.toks[0]!.cumBefore - 1;
  }

  /** Lower bound of the estimated length at any boundary not yet classified (Infinity once ended). */
  private unknownFloor(): number {
    if (this.ended) return Infinity;
    const k = this.classified;
    const t = this.toks[k];
    if (t?.closed) return this.lengthTo(k);
    return k === 0 ? 0 : this.lengthTo(k - 1) + 1;
  }

  /** Exact chunk text and spoken form for a cut; the last answer is kept since emit() asks again. */
  private spokenOf(cut: Cut): { text: string; spoken: string } {
    const end = cut === 'end' ? undefined : this.toks[cut + 1]!.start;
    const text = this.scanner.pendingText(end);
    if (this.lastSpoken?.text !== text) this.lastSpoken = { text, spoken: normalizeForSpeech(text, this.opts.language) };
    return this.lastSpoken;
  }

  /**
   * Chooses the next cut, then checks it against the real spoken length and
   * re-chooses with tightened limits when estimates were off.
   */
  private nextCut(): Cut | null {
    const b = this.bounds;
    const first = this.nextIndex === 0;
    const limits = { lo: b.hardMin, hi: first ? b.firstMax : b.hardMax };
    let cut: Cut | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      cut = first ? this.firstCut(limits.hi) : this.middleCut(limits.lo, limits.hi);
      if (cut === null) return null;
      const real = this.spokenOf(cut).spoken.length;
      const est = cut === 'end' ? this.lengthTo(this.toks.length - 1) : this.lengthTo(cut);
      const max = first || cut === 'end' ? this.opts.maxChars : b.hardMax;
      if (real > max && (cut === 'end' || cut > 0)) limits.hi = est - (real - max) - 1;
      else if (!first && cut !== 'end' && real < b.hardMin && est < limits.hi) limits.lo = est + (b.hardMin - real) + 1;
      else return cut;
    }
    return this.withinMaxChars(cut);
  }

  /** Last resort: the longest cut at or before `cut` whose spoken text fits maxChars. */
  private withinMaxChars(cut: Cut | null): Cut | null {
    if (cut === null) return null;
    let k: number;
    if (cut === 'end') {
      if (this.spokenOf('end').spoken.length <= this.opts.maxChars) return cut;
      k = this.classified - 1;
    } else k = cut;
    while (k > 0 && this.spokenOf(k).spoken.length > this.opts.maxChars) k--;
    return k >= 0 ? k : 'end';
  }

  /**
   * First chunk: the first pause point after firstMin; with none up to firstMax,
   * the forced cut in [firstForcedMin, firstMax] that best keeps phrases together.
   * A whole text no longer than firstMax stays one chunk.
   */
  private firstCut(hi: number): Cut | null {
    const b = this.bounds;
    const n = this.toks.length;
    const endLength = this.ended ? this.lengthTo(n - 1) : Infinity;
    if (endLength <= hi) return 'end';
    for (let k = 0; k < this.classified; k++) {
      const length = this.lengthTo(k);
      if (length > hi) break;
      const kind = this.toks[k]!.pause?.kind;
      const leavesEnough = endLength - length - 1 >= b.firstMin;
      if (kind && kind !== 'forced' && length >= b.firstMin && leavesEnough) return k;
    }
    if (this.unknownFloor() <= hi) return null;
    let best = -1;
    let bestCost = Infinity;
    for (let k = 0; k < this.classified; k++) {
      const length = this.lengthTo(k);
      if (length > hi) break;
      const p = this.toks[k]!.pause!;
      if (p.kind === null || length < b.firstForcedMin) continue;
      const cost = KIND_COST[p.kind] + p.phraseCost + (endLength - length - 1 < b.firstMin ? 10 : 0);
      if (cost < bestCost) [best, bestCost] = [k, cost];
    }
    if (best >= 0) return best;
    // No boundary in the window (long tokens such as amounts): the nearest one outside it.
    let below = -1;
    for (let k = 0; k < this.classified && this.lengthTo(k) < b.firstForcedMin; k++) {
      if (this.toks[k]!.pause!.kind !== null && this.lengthTo(k) >= b.firstMin) below = k;
    }
    if (below >= 0) return below;
    for (let k = 0; k < this.classified && this.lengthTo(k) <= b.hardMax; k++) {
      if (this.lengthTo(k) > hi && this.toks[k]!.pause!.kind !== null) return k;
    }
    if (this.unknownFloor() <= b.hardMax) return null;
    return this.fallbackCut(b.hardMax);
  }

  /** Cost of a chunk of `length` estimated chars away from the target window (0 inside it). */
  private durationCost(length: number): number {
    const b = this.bounds;
    if (length < b.targetMin) return 0.5 + (1.5 * (b.targetMin - length)) / Math.max(1e-9, b.targetMin - b.hardMin);
    if (length > b.targetMax) return 0.5 + (1.5 * (length - b.targetMax)) / Math.max(1e-9, b.hardMax - b.targetMax);
    return 0;
  }

  /**
   * Weak cuts (conjunction, forced) prefer the long end of the target window:
   * they split a sentence, so fewer of them is better. Never below -0.75, so a
   * weak cut still costs more than any sentence end and the streaming safety
   * bound (sentence ends cost ≥ 0) holds.
   */
  private weakCutBias(kind: PauseKind, length: number): number {
    const b = this.bounds;
    if (kind !== 'forced' && kind !== 'conjunction') return 0;
    const span = Math.max(1e-9, b.targetMax - b.targetMin);
    return -0.75 * Math.min(1, Math.max(0, (length - b.targetMin) / span));
  }

  /**
   * Chunks after the first: the cheapest pause point in [lo, hi] by kind,
   * phrase and distance from the target window; once the end is known, a
   * remainder that fits becomes the last chunk and tiny tails cost extra.
   */
  private middleCut(lo: number, hi: number): Cut | null {
    const b = this.bounds;
    const endLength = this.ended ? this.lengthTo(this.toks.length - 1) : Infinity;
    let best = -1;
    let bestCost = Infinity;
    for (let k = 0; k < this.classified; k++) {
      const length = this.lengthTo(k);
      if (length > hi) break;
      const p = this.toks[k]!.pause!;
      if (p.kind === null || length < lo) continue;
      const tail = endLength - length - 1;
      const tailCost = tail < b.hardMin ? (b.hardMin - tail) / b.hardMin : 0;
      const cost = KIND_COST[p.kind] + p.phraseCost + this.durationCost(length) + tailCost + this.weakCutBias(p.kind, length);
      if (cost < bestCost) [best, bestCost] = [k, cost];
    }
    if (this.ended) {
      if (endLength <= hi && (endLength <= b.targetMax ? 0 : this.durationCost(endLength)) <= bestCost) return 'end';
      return best >= 0 ? best : this.fallbackCut(hi);
    }
    const floor = this.unknownFloor();
    if (floor > hi) return best >= 0 ? best : this.fallbackCut(hi);
    // Later boundaries cost at least their distance from the target window.
    const lowerBound = floor <= b.targetMax ? 0 : this.durationCost(floor);
    return best >= 0 && bestCost <= lowerBound ? best : null;
  }

  /** No pause point fits: the longest cut within `hi`, a protected one only if nothing else. */
  private fallbackCut(hi: number): Cut | null {
    let any = -1;
    let unprotected = -1;
    for (let k = 0; k < this.classified && this.lengthTo(k) <= hi; k++) {
      any = k;
      if (this.toks[k]!.pause!.kind !== null) unprotected = k;
    }
    if (unprotected >= 0) return unprotected;
    if (any >= 0) return any;
    if (this.classified > 0) return 0;
    return this.ended ? 'end' : null;
  }

  private emit(cut: Cut): TextChunk {
    const { text, spoken } = this.spokenOf(cut);
    const boundary: ChunkBoundary = cut === 'end' ? 'end' : (this.toks[cut]!.pause?.kind ?? 'forced');
    const consumed = cut === 'end' ? this.toks.length : cut + 1;
    this.scanner.consume(text.length);
    this.toks.splice(0, consumed);
    this.classified = Math.max(0, this.classified - consumed);
    const chars = spoken.length;
    return {
      index: this.nextIndex++,
      text,
      spoken,
      chars,
      estSeconds: Math.round((chars / this.opts.charsPerSecond) * 1000) / 1000,
      boundary,
    };
  }
}
