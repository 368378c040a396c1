import { NarrationShaper } from '../synthesis/narration-shaper.ts';
import { nowMs as epochMs } from '../threads/spawn-worker.ts';
import type { ChunkRoute, PlayoutEvent, ShapingParams } from './playout.ts';

/** Where a room's assembled audio goes: its FIFO (a RoomPlayout satisfies it; the assembly thread posts to the playout thread's). */
export interface AssemblyTarget {
  readonly roomId: string;
  /** Hz. */
  readonly sampleRate: number;
  beginNarration(narrationId: string, nowMs: number): void;
  /** Shaped audio of a chunk, mono f32 in [-1, 1] at `sampleRate`, in chunk order (ownership passes). */
  push(narrationId: string, chunkIndex: number, samples: Float32Array, nowMs: number): void;
  /** Every chunk of the narration is in: it may drain. */
  endNarration(narrationId: string, nowMs: number): void;
}

/** Narrations whose end or cancel a room remembers, so their late blocks are dropped, not held. */
const MAX_REMEMBERED = 256;
/** Audio a room holds for narrations it has not heard of yet, samples at most (60 s at 24 kHz). */
const MAX_UNKNOWN_SAMPLES = 60 * 24_000;
/** A narration heard of only through its blocks is forgotten after this long, ms (a stale block). */
const UNKNOWN_TTL_MS = 10_000;

interface Chunk {
  readonly route: ChunkRoute;
  /** Blocks waiting for the chunks before it; null once it streams into the shaper. */
  held: Float32Array[] | null;
  ended: boolean;
}

interface Entry {
  readonly id: string;
  /** Set by `begin` (the main thread declared it); false while only blocks arrived. */
  begun: boolean;
  /** When the first message about it arrived, ms (for {@link UNKNOWN_TTL_MS}). */
  readonly firstSeenMs: number;
  shaper: NarrationShaper | null;
  /** Chunks by `order`; removed once played into the shaper and ended. */
  readonly chunks: Map<number, Chunk>;
  /** The chunk streaming into the shaper (chunks before it are done). */
  head: number;
  /** Chunks sent to synthesis, known at `end`; null before. */
  total: number | null;
  /** Samples held here (not yet in the shaper). */
  heldSamples: number;
}

/**
 * One room's assembly stage, between synthesis and the FIFO, on the assembly thread (issue 13):
 * chunk blocks arrive tagged with their {@link ChunkRoute} — straight from an engine worker's port,
 * or relayed by the main thread — in any order between chunks, and leave for the room's
 * FIFO ({@link AssemblyTarget}) in chunk order through the narration's {@link NarrationShaper} (trim, pauses,
 * join fades, gain, limiter; issue 12). The oldest unfinished chunk streams through at once (TTFA is
 * its first block); later chunks' blocks wait until every earlier chunk has ended.
 *
 * The main thread's control messages and an engine's blocks come over different ports, so they may
 * arrive in either order: blocks before the narration's shaping is known are held; blocks of a
 * narration ended or cancelled are dropped; blocks of a narration never declared are held at most
 * {@link UNKNOWN_TTL_MS} and {@link MAX_UNKNOWN_SAMPLES}. Not thread-safe; one per room.
 */
export class NarrationAssembler {
  private readonly entries = new Map<string, Entry>();
  private readonly done = new Set<string>();
  private unknownSamples = 0;
  /** Blocks dropped because a narration nobody declared held too much or too long. */
  droppedBlocks = 0;

  /**
   * @param playout the room's FIFO
   * @param emit reports `shaped` (loudness) events to the main thread
   */
  constructor(
    private readonly playout: AssemblyTarget,
    private readonly emit: (event: PlayoutEvent) => void,
  ) {}

  /** Declares a narration (its place in the room's order). */
  begin(narrationId: string, nowMs: number): void {
    if (this.done.has(narrationId)) return;
    this.playout.beginNarration(narrationId, nowMs);
    const e = this.entry(narrationId, nowMs);
    if (e && !e.begun) {
      e.begun = true;
      this.unknownSamples -= e.heldSamples;
    }
  }

  /** Sets the narration's shaping; held blocks of its head chunk flow into the FIFO now. */
  shape(narrationId: string, params: ShapingParams, nowMs: number): void {
    const e = this.entry(narrationId, nowMs);
    if (!e || e.shaper) return;
    e.shaper = new NarrationShaper({ sampleRate: this.playout.sampleRate, ...params }, (chunkIndex, samples) =>
      this.playout.push(narrationId, chunkIndex, samples, epochMs()),
    );
    this.advance(e);
  }

  /** One block of a chunk: mono f32 in [-1, 1] at the room rate (ownership passes here). */
  block(route: ChunkRoute, samples: Float32Array, nowMs: number): void {
    if (samples.length === 0) return;
    const e = this.entry(route.narrationId, nowMs);
    if (!e) return;
    const c = this.chunk(e, route);
    if (c.ended) return; // a failed chunk's late audio
    if (e.shaper && route.order === e.head) {
      this.release(e, c, e.shaper);
      e.shaper.push(route.chunkIndex, samples);
      return;
    }
    if (!e.begun && this.unknownSamples + samples.length > MAX_UNKNOWN_SAMPLES) {
      this.droppedBlocks++;
      return;
    }
    (c.held ??= []).push(samples);
    e.heldSamples += samples.length;
    if (!e.begun) this.unknownSamples += samples.length;
    // The head may have waited to learn that a chunk follows it.
    if (route.order === e.head + 1) this.advance(e);
  }

  /** The chunk's audio is complete (or it failed); idempotent. */
  endChunk(route: ChunkRoute, nowMs: number): void {
    const e = this.entry(route.narrationId, nowMs);
    if (!e) return;
    const c = this.chunk(e, route);
    if (c.ended) return;
    c.ended = true;
    this.advance(e);
  }

  /** `chunks` chunks went to synthesis: once they all ended, shaping is flushed and the narration may drain. */
  end(narrationId: string, chunks: number, nowMs: number): void {
    const e = this.entry(narrationId, nowMs);
    if (!e) return;
    e.total = chunks;
    if (chunks === 0 && !e.shaper) {
      // Nothing was synthesized (every chunk was blank): nothing to shape.
      this.forget(e.id);
      this.playout.endNarration(e.id, nowMs);
      return;
    }
    this.advance(e);
  }

  /**
   * Drops what is held for the narrations (null = all the room declared so far); their late blocks
   * are ignored. A narration whose blocks came before its `begin` is newer than a cancel of all:
   * the main thread declares a narration before anything of it is synthesized, so a cancel sent
   * before that `begin` cannot mean it (its blocks only overtook the cancel on another port).
   */
  cancel(narrationIds: readonly string[] | null): void {
    const ids = narrationIds ?? [...this.entries.values()].filter((e) => e.begun).map((e) => e.id);
    for (const id of ids) this.forget(id);
  }

  /** Forgets narrations only blocks ever spoke of, past {@link UNKNOWN_TTL_MS}. Call now and then (each tick is fine). */
  expire(nowMs: number): void {
    for (const e of this.entries.values()) {
      if (!e.begun && nowMs - e.firstSeenMs > UNKNOWN_TTL_MS) {
        this.droppedBlocks += [...e.chunks.values()].reduce((s, c) => s + (c.held?.length ?? 0), 0);
        this.forget(e.id);
      }
    }
  }

  /** Narrations in assembly (for tests and stats). */
  get size(): number {
    return this.entries.size;
  }

  private entry(id: string, nowMs: number): Entry | null {
    if (this.done.has(id)) return null;
    let e = this.entries.get(id);
    if (!e) {
      e = { id, begun: false, firstSeenMs: nowMs, shaper: null, chunks: new Map(), head: 0, total: null, heldSamples: 0 };
      this.entries.set(id, e);
    }
    return e;
  }

  private chunk(e: Entry, route: ChunkRoute): Chunk {
    let c = e.chunks.get(route.order);
    if (!c) {
      c = { route, held: [], ended: false };
      e.chunks.set(route.order, c);
    }
    return c;
  }

  /** Streams the head chunk's held blocks, ends it when complete, and moves on; finishes the narration at the end. */
  private advance(e: Entry): void {
    const shaper = e.shaper;
    if (!shaper) return;
    for (;;) {
      const c = e.chunks.get(e.head);
      if (!c) break;
      this.release(e, c, shaper);
      if (!c.ended) break;
      // The pause only when another chunk follows: known from the route, the next chunk's arrival or the total.
      const last = c.route.last || (e.total !== null && e.head >= e.total - 1);
      if (!last && e.total === null && !e.chunks.has(e.head + 1)) break;
      shaper.endChunk(c.route.chunkIndex, last ? 0 : c.route.pauseAfterMs);
      e.chunks.delete(e.head);
      e.head++;
      // A last chunk known at submission ends the narration here, without waiting for the main thread.
      if (c.route.last) e.total ??= e.head;
    }
    if (e.total !== null && e.head >= e.total) this.finish(e, shaper);
  }

  /** The head chunk's held blocks go into the shaper; from now on its blocks stream straight through. */
  private release(e: Entry, c: Chunk, shaper: NarrationShaper): void {
    if (!c.held) return;
    for (const b of c.held) {
      shaper.push(c.route.chunkIndex, b);
      e.heldSamples -= b.length;
      if (!e.begun) this.unknownSamples -= b.length;
    }
    c.held = null;
  }

  private finish(e: Entry, shaper: NarrationShaper): void {
    shaper.end();
    this.forget(e.id);
    if (shaper.inputMeter && shaper.outputMeter) {
      this.emit({
        type: 'shaped', roomId: this.playout.roomId, narrationId: e.id,
        inputLufs: finite(shaper.inputMeter.integratedLufs()), outputLufs: finite(shaper.outputMeter.integratedLufs()),
        gatedSeconds: shaper.inputMeter.gatedSeconds,
      });
    }
    this.playout.endNarration(e.id, performance.timeOrigin + performance.now());
  }

  private forget(id: string): void {
    const e = this.entries.get(id);
    if (e) {
      if (!e.begun) this.unknownSamples -= e.heldSamples;
      this.entries.delete(id);
    }
    this.done.add(id);
    if (this.done.size > MAX_REMEMBERED) this.done.delete(this.done.values().next().value!);
  }
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
