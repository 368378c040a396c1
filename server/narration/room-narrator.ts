import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { SemanticChunker, type SemanticChunkerOptions } from '../text/semantic-chunker.ts';
import type { TextChunk } from '../text/chunker-options.ts';
import { streamInto, type NarrationStream } from './narration-stream.ts';
import { isAbortError, type TtsEngine } from '../synthesis/tts-engine.ts';
import type { VoiceProfiles } from '../synthesis/voice-profiles.ts';
import { RoomShaping } from './room-shaping.ts';
import type { AppConfig } from '../config/schema.ts';
import type { SynthesisJobResult, SynthesisScheduler } from '../synthesis/synthesis-scheduler.ts';
import type { ChunkRoute, Playout, PlayoutEvent } from '../playout/playout.ts';
import type { NarrationMetrics } from '../observability/metrics.ts';
import { nowMs } from '../threads/spawn-worker.ts';
import { Narration, type NarrationReport, type NarrationTrigger } from './narration.ts';
import { NarrationError } from './narration-error.ts';

/** What the room asks for. */
export interface NarrationRequest {
  readonly trigger: NarrationTrigger;
  /** `interrupt` cancels everything playing and queued first; `queue` plays after it. */
  readonly priority: 'interrupt' | 'queue';
  /** When the server received the event or request, epoch ms (TTFA starts here). */
  readonly receivedAtMs: number;
  /** Engine voice for this narration (a character's voice); undefined = the room's default. */
  readonly voice?: string;
}

/** Callbacks the room wires to its state and clients. */
export interface RoomNarratorListener {
  onCaption?(narrationId: string, chunkIndex: number, text: string): void;
  onStatus?(status: Extract<PlayoutEvent, { type: 'status' }>['status']): void;
  onNarrationStart?(narrationId: string, trigger: string): void;
  onNarrationEnd?(report: NarrationReport): void;
}

/** Dependencies of a {@link RoomNarrator}. */
export interface RoomNarratorDeps {
  readonly roomId: string;
  readonly engine: TtsEngine;
  readonly playout: Playout;
  readonly language: string;
  readonly voice?: string;
  readonly maxQueued: number;
  readonly metrics: NarrationMetrics;
  readonly log: Logger;
  readonly listener: RoomNarratorListener;
  /** The process's synthesis scheduler (shared by all rooms). */
  readonly scheduler: SynthesisScheduler;
  /** Chunk jobs a narration keeps submitted at once (N, N+1); default 2. More weakens FIFO back-pressure. */
  readonly maxOutstanding?: number;
  /** The engine's voice pauses and loudness; with `shaping`, narrations are shaped by NarrationShaper. */
  readonly voices?: VoiceProfiles;
  /** Config `seams` and `loudness`; omitted = chunks only get their join fades. */
  readonly shaping?: Pick<AppConfig, 'seams' | 'loudness'>;
}

/**
 * One room's narration: text → chunks → synthesis → the playout's FIFO, one
 * narration after another, each cancellable on its own `AbortSignal`.
 *
 * Synthesis of narration N+1 starts as soon as N's synthesis ends (not its
 * playback), so queued narrations follow without a gap; the playout plays them in
 * the order they were accepted. Back-pressure: synthesis waits while the room's
 * FIFO holds more than `playout.maxBufferedMs`.
 *
 * Chunks go to the process's {@link SynthesisScheduler} (shared by every room), which
 * orders them by how soon each room needs them; the narrator keeps at most
 * `maxOutstanding` submitted per narration and reports the delivered RTF (queue waits
 * included) to the playout's pre-buffer gate.
 */
export class RoomNarrator {
  private readonly queue: Narration[] = [];
  private readonly live = new Map<string, Narration>();
  private pumping = false;
  private closed = false;
  /** A whole chunk's delivered RTF reached the gate (the gate keeps it across narrations). */
  private rtfMeasured = false;

  /** Seams and loudness of this room's narrations (RoomShaping). */
  private readonly shaping: RoomShaping;

  constructor(private readonly deps: RoomNarratorDeps) {
    this.shaping = new RoomShaping(deps);
  }

  /** Read per narration: engines refine their speaking rate from measured audio. */
  private chunkerOptions(): Partial<SemanticChunkerOptions> {
    const { engine, language } = this.deps;
    return { language, maxChars: engine.maxChars(language), charsPerSecond: engine.charsPerSecond(language) };
  }

  /** Narrations accepted and not yet played out. */
  get pendingCount(): number {
    return this.live.size;
  }

  /**
   * Narrates a whole text.
   * @throws NarrationError `queue_full` when the room already has `maxQueued` narrations waiting,
   *   `unknown_voice` when the engine refuses `request.voice`, `closed` after {@link close}
   */
  narrate(text: string, request: NarrationRequest): Narration {
    const narration = this.accept(request);
    narration.text = text;
    narration.addChunks(new SemanticChunker(this.chunkerOptions()).chunk(text));
    narration.pending.end();
    return narration;
  }

  /**
   * Starts a streamed narration; chunks flow to synthesis as they become safe.
   * @throws NarrationError as {@link narrate}
   */
  stream(request: NarrationRequest): NarrationStream & { narration: Narration } {
    return streamInto(this.accept(request), () => this.chunkerOptions());
  }

  /**
   * Cancels narrations: aborts their queued and in-flight synthesis and tells the
   * playout to drop their audio and fade out. Only this room is affected.
   * @param ids narrations to cancel; omitted = all of the room's
   * @param requestedAtMs when the server received the cancel (cancel latency starts here)
   * @param breath an interrupting narration follows (see Playout.cancel)
   */
  cancel(requestedAtMs: number, ids?: readonly string[], breath = false): string[] {
    const targets = ids ? ids.map((id) => this.live.get(id)).filter((n): n is Narration => !!n) : [...this.live.values()];
    if (targets.length === 0) return [];
    // Playout first: the fade-out must not wait behind synthesis teardown.
    this.deps.playout.cancel(this.deps.roomId, ids ? targets.map((n) => n.id) : null, requestedAtMs, breath);
    if (!ids) this.deps.scheduler.cancelRoom(this.deps.roomId);
    for (const n of targets) {
      n.abort.abort();
      n.pending.end();
      const i = this.queue.indexOf(n);
      if (i >= 0) this.queue.splice(i, 1);
    }
    return targets.map((n) => n.id);
  }

  pause(): void {
    this.deps.playout.pause(this.deps.roomId);
  }

  resume(): void {
    this.deps.playout.resume(this.deps.roomId);
  }

  /** Routes a playout event of this room. */
  handlePlayoutEvent(event: PlayoutEvent): void {
    const { listener, metrics } = this.deps;
    switch (event.type) {
      case 'status':
        listener.onStatus?.(event.status);
        break;
      case 'chunk-start': {
        const n = this.live.get(event.narrationId);
        if (!n) break;
        if (event.chunkIndex === 0 || n.firstFrameAtMs === null) {
          if (n.firstFrameAtMs === null) {
            n.firstFrameAtMs = event.atMs;
            metrics.ttfaMs.observe(event.atMs - n.receivedAtMs);
          }
        }
        const chunk = n.chunks[event.chunkIndex];
        if (chunk) listener.onCaption?.(n.id, event.chunkIndex, chunk.text);
        break;
      }
      case 'underrun':
        metrics.underruns.inc();
        this.deps.log.warn({ roomId: this.deps.roomId, narrationId: event.narrationId }, 'underrun');
        break;
      case 'narration-end': {
        const n = this.live.get(event.narrationId);
        if (!n) break;
        this.live.delete(n.id);
        const report = n.finish(event.stats);
        if (report.cancelLatencyMs !== null) metrics.cancelLatencyMs.observe(report.cancelLatencyMs);
        metrics.narrations.inc({ outcome: report.cancelled ? 'cancelled' : report.error ? 'failed' : 'played' });
        listener.onNarrationEnd?.(report);
        break;
      }
      case 'sink-error':
        this.deps.log.warn({ roomId: this.deps.roomId, sink: event.sink, err: event.message }, 'sink error');
        break;
      case 'shaped': {
        const n = this.live.get(event.narrationId);
        if (n) this.shaping.observe(n, event);
        break;
      }
    }
  }

  /** Whether {@link close} ran: every request is refused with `closed`. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Cancels everything; the room is going away. The playout reports each narration's end. */
  close(): void {
    this.closed = true;
    this.cancel(nowMs());
  }

  /**
   * Ends every narration whose end the playout never reported (its room closed, its thread died, or
   * it never opened) as cancelled, so no caller waits on `done` forever, and refuses any more.
   * Called after the room's playout closed, or when its open failed.
   */
  endAll(): void {
    this.closed = true;
    for (const n of [...this.live.values()]) {
      this.live.delete(n.id);
      n.abort.abort();
      n.pending.end();
      this.deps.listener.onNarrationEnd?.(n.finish(n.unplayedStats()));
    }
    this.queue.length = 0;
  }

  private accept(request: NarrationRequest): Narration {
    if (this.closed) throw new NarrationError('closed', 'the room\'s narration is closed');
    // Refuse a bad voice before an interrupt cancels what is playing.
    if (request.voice !== undefined) {
      try {
        this.deps.engine.checkVoice?.(request.voice, this.deps.language);
      } catch (err) {
        throw new NarrationError('unknown_voice', `voice "${request.voice}": ${(err as Error).message}`, { cause: err });
      }
    }
    if (request.priority === 'interrupt') this.cancel(request.receivedAtMs, undefined, true);
    if (this.live.size > this.deps.maxQueued) {
      throw new NarrationError('queue_full', `too many narrations waiting (${this.live.size}); the limit is ${this.deps.maxQueued}`);
    }
    // A voice used for the first time starts calibrating now; until it is done it borrows the configured voice's figures.
    this.shaping.noteVoice(request.voice);
    const narration = new Narration(randomUUID(), request.trigger, request.receivedAtMs, this.deps.engine.sampleRate, request.voice);
    this.live.set(narration.id, narration);
    this.queue.push(narration);
    this.deps.playout.beginNarration(this.deps.roomId, narration.id);
    this.deps.listener.onNarrationStart?.(narration.id, request.trigger);
    void this.pump();
    return narration;
  }

  /** The synthesis stage of this room: one narration at a time, chunk by chunk. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const narration = this.queue[0];
        await this.synthesizeNarration(narration);
        if (this.queue[0] === narration) this.queue.shift();
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Feeds one narration's chunks to the scheduler, keeping up to `maxOutstanding` jobs
   * submitted so the scheduler sees N+1 while N synthesizes. Each job's audio goes to the
   * playout thread tagged with its {@link ChunkRoute} — straight from the engine's worker when the
   * engine can (issue 13), else relayed from here — and the playout's assembly plays chunks in order
   * (the oldest outstanding one streams straight to the FIFO: TTFA is its first block).
   */
  private async synthesizeNarration(n: Narration): Promise<void> {
    const { playout, roomId, log } = this.deps;
    const signal = n.abort.signal;
    const depth = Math.max(1, this.deps.maxOutstanding ?? 2);
    const window: OutstandingChunk[] = [];
    const delivery = { lastDoneAtMs: -Infinity };
    let submitted = 0;
    await this.shaping.prepare(n, signal);
    this.shaping.shape(n);
    try {
      for (;;) {
        const chunk = await n.pending.next(signal);
        if (!chunk) break;
        if (chunk.spoken.trim() === '') continue; // whitespace-only span: nothing to say
        await playout.waitForSpace(roomId, signal);
        while (window.length >= depth) await this.settleHead(n, window, delivery);
        window.push(this.submitChunk(n, chunk, submitted++, window));
      }
      while (window.length > 0) await this.settleHead(n, window, delivery);
    } catch (err) {
      if (!isAbortError(err) && !signal.aborted) {
        log.error({ roomId, narrationId: n.id, err }, 'narration synthesis failed');
        n.noteFailure(null, err instanceof Error ? err.message : String(err));
      }
    } finally {
      if (!signal.aborted) playout.endNarration(roomId, n.id, submitted);
    }
  }

  private submitChunk(n: Narration, chunk: TextChunk, order: number, window: readonly OutstandingChunk[]): OutstandingChunk {
    const { playout, roomId, engine, language } = this.deps;
    const { index, spoken: text } = chunk;
    const estimatedMs = (text.length / Math.max(1e-6, engine.charsPerSecond(language))) * 1000;
    // Lead = audio the room plays before it needs this chunk: its FIFO plus what its earlier chunks still owe.
    let leadMs = playout.bufferedMs(roomId);
    for (const o of window) leadMs += Math.max(0, o.estimatedMs - (o.samples * 1000) / engine.sampleRate);
    const last = n.pending.isEnded && n.pending.size === 0;
    const route: ChunkRoute = { roomId, narrationId: n.id, chunkIndex: index, order, pauseAfterMs: last ? 0 : this.shaping.pauseAfter(n, chunk), last };
    const slot = { index, chunk, route, estimatedMs, samples: 0, submittedAtMs: performance.now() } as OutstandingChunk;
    // A chunk cut mid-sentence reads on into the next one for its intonation (when that is chunked already).
    const continuation = this.shaping.continuation(n, chunk);
    slot.result = this.deps.scheduler.submit({
      roomId,
      narrationId: n.id,
      chunk: { narrationId: n.id, index, text, language, continuation },
      voice: n.voice ?? this.deps.voice,
      leadMs,
      signal: n.abort.signal,
      route,
      onBlock: (block, samples) => {
        if (n.abort.signal.aborted) return;
        if (!this.rtfMeasured) this.reportStreamingRtf(slot, samples);
        slot.samples += samples;
        if (block) playout.pushBlock(route, block); // an engine without a direct path: relayed from here
      },
    });
    slot.result.catch(() => undefined); // awaited in order by settleHead; avoid an unhandled rejection meanwhile
    return slot;
  }

  /**
   * Before the room's first chunk settles, the gate would start on the tier pre-buffer alone,
   * and an engine slower than real time (CPU XTTS, RTF 2–3) would underrun right after. So the
   * first chunk's streaming rate goes to the gate as soon as two blocks are in: block time per
   * audio after the first block (the first block's delay is TTFB, not rate), scaled by the
   * room's share of the engine (rooms active in the scheduler / streams), since under
   * contention this room gets only that share of the engine's time.
   */
  private reportStreamingRtf(slot: OutstandingChunk, blockSamples: number): void {
    const now = performance.now();
    if (slot.firstBlockAtMs === undefined) {
      slot.firstBlockAtMs = now;
      slot.firstBlockSamples = blockSamples;
      return;
    }
    const audioMs = ((slot.samples + blockSamples - (slot.firstBlockSamples ?? 0)) * 1000) / this.deps.engine.sampleRate;
    const { scheduler } = this.deps;
    const share = Math.max(1, scheduler.activeRooms / scheduler.concurrency);
    if (audioMs > 0) this.deps.playout.setRtf(this.deps.roomId, ((now - slot.firstBlockAtMs) / audioMs) * share);
  }

  /** Waits for the oldest outstanding chunk, records its figures, and lets the next one stream. */
  private async settleHead(n: Narration, window: OutstandingChunk[], delivery: { lastDoneAtMs: number }): Promise<void> {
    const { playout, roomId, log, metrics, engine } = this.deps;
    const head = window[0]!;
    let endedByEngine = false;
    try {
      const r = await head.result;
      endedByEngine = r.direct;
      const doneAtMs = performance.now();
      n.synthesisMs += r.synthesisMs;
      n.synthesizedSamples += r.samples;
      if (r.samples > 0) {
        const audioSeconds = r.samples / engine.sampleRate;
        metrics.rtf.observe(r.synthesisMs / 1000 / audioSeconds);
        // The gate needs the rate audio reaches this room, queue waits under contention included:
        // time since this chunk became the one awaited (submitted, or the previous one done).
        const deliveredMs = doneAtMs - Math.max(head.submittedAtMs, delivery.lastDoneAtMs);
        playout.setRtf(roomId, Math.max(0, deliveredMs) / 1000 / audioSeconds);
        this.rtfMeasured = true;
      }
      delivery.lastDoneAtMs = doneAtMs;
    } catch (err) {
      if (isAbortError(err) || n.abort.signal.aborted) throw err;
      // One bad chunk must not end the narration or the room.
      log.warn({ roomId, narrationId: n.id, chunkIndex: head.index, err: (err as Error).message }, 'chunk synthesis failed');
      n.noteFailure(head.index, err instanceof Error ? err.message : String(err));
    } finally {
      window.shift();
      // A direct engine ended its chunk on the assembly thread itself (ending it from here too could
      // overtake its last blocks); a relayed or failed chunk is ended from here (idempotent there).
      if (!n.abort.signal.aborted && !endedByEngine) playout.endChunk(head.route);
    }
  }
}

/** A chunk submitted to the scheduler and not yet settled by its narration. */
interface OutstandingChunk {
  readonly index: number;
  readonly chunk: TextChunk;
  /** Where its audio goes on the assembly thread. */
  readonly route: ChunkRoute;
  /** Audio the chunk should yield, from the engine's speaking rate, ms. */
  readonly estimatedMs: number;
  /** Samples yielded so far. */
  samples: number;
  /** performance.now() at submit. */
  readonly submittedAtMs: number;
  /** performance.now() and length of the first block, for the streaming RTF of a room's first chunk. */
  firstBlockAtMs?: number;
  firstBlockSamples?: number;
  result: Promise<SynthesisJobResult>;
}
