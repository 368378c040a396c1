import type { AudioFrame } from '../sinks/audio-sink.ts';
import type { OpenRoomOptions, PlayoutEvent, PlayoutNarrationStats, PlayoutStatus } from './playout.ts';
import { AudioFifo } from '../fifo/audio-fifo.ts';
import { PrebufferGate, type GateState } from '../fifo/prebuffer-gate.ts';
import { FRAME_MS, f32ToS16, frameSamples, msToSamples, validateSampleRate } from '../audio/pcm.ts';
import { TRANSPORT_FADE_MS, fadeIn, fadeOutThenSilence, rampSamples } from '../clock/seams.ts';

/** Options of {@link RoomPlayout}. */
export interface RoomPlayoutOptions extends Pick<OpenRoomOptions, 'sampleRate' | 'prebufferMs' | 'maxBufferedMs' | 'gapMs' | 'interruptGapMs'> {
  readonly roomId: string;
  /** Longest chunk's audio for the gate's start rule, ms; default 8 000 (see PrebufferGate). */
  readonly maxChunkMs?: number;
}

/** Playout-side state of one narration. */
interface NarrationState {
  readonly id: string;
  /** Declared by `beginNarration`; false while only its audio arrived (it came over another port first). */
  declared: boolean;
  finished: boolean;
  frames: number;
  underruns: number;
  gapMs: number;
  paused: boolean;
  /** When its first block reached this thread, epoch ms. */
  firstBlockAtMs: number | null;
  firstFrameAtMs: number | null;
  lastFrameAtMs: number | null;
}

/** Cancelled ids remembered so in-flight pushes for them are ignored; oldest forgotten beyond this. */
const MAX_REMEMBERED_CANCELS = 4096;

/**
 * One room's playout: FIFO + pre-buffer gate + the gap between narrations + per-narration stats.
 * Pure and synchronous: the caller (the playout worker's frame clock, or a test)
 * asks for one frame per 20 ms slot with {@link nextFrame} and hands it to the sinks.
 *
 * Narrations play in `beginNarration` order, one frame never mixes two narrations
 * (the last frame of a narration is padded with silence). A narration that follows another starts
 * `gapMs` after the previous one's last frame (`interruptGapMs` after an interrupt's fade-out):
 * silence frames the sinks and the recording get like any other (issue 12: 22–33 ms between queued
 * narrations ran them together). Chunk seams are shaped before the FIFO (NarrationShaper). Frames are s16 mono,
 * `frameSamples(sampleRate)` long (441 at 22 050 Hz).
 *
 * Cancel is "interruption skips queues": {@link cancel} returns the fade-out frame
 * at once for the caller to hand to the sinks immediately; that frame takes the
 * next slot, so the following `nextFrame` call returns null (the frame count still
 * equals elapsed slots).
 */
export class RoomPlayout {
  readonly roomId: string;
  readonly sampleRate: number;
  /** Samples per frame. */
  readonly frameSamples: number;
  readonly fifo: AudioFifo;
  readonly gate: PrebufferGate;
  /**
   * Samples that left the room's buffer: popped, dropped by cancel, or ignored
   * (pushed for a cancelled narration). pushed − consumed = buffered, across threads.
   */
  consumedSamples = 0;
  /** Samples handed to `push` (queued, or consumed at once for a cancelled narration); buffered = pushed − consumed. */
  pushedSamples = 0;
  private readonly queue: NarrationState[] = [];
  private readonly byId = new Map<string, NarrationState>();
  private readonly cancelledIds = new Set<string>();
  private readonly fadeLen: number;
  private readonly gapFrames: number;
  private readonly interruptGapFrames: number;
  /** Silence frames still owed before the next narration may start. */
  private gapOwed = 0;
  private readonly scratch: Float32Array;
  private seq = 0;
  private generationValue = 0;
  private statusValue: PlayoutStatus = 'idle';
  private isPaused = false;
  private pauseFadePending = false;
  private resumeFadePending = false;
  private earlyFrames = 0;

  /**
   * @param emit receives the room's events synchronously, in order
   * @throws RangeError for a sample rate outside 16 000–24 000 Hz or bad buffer sizes
   */
  constructor(
    options: RoomPlayoutOptions,
    private readonly emit: (event: PlayoutEvent) => void,
  ) {
    this.roomId = options.roomId;
    this.sampleRate = validateSampleRate(options.sampleRate);
    this.frameSamples = frameSamples(this.sampleRate);
    this.fifo = new AudioFifo(this.sampleRate, msToSamples(options.maxBufferedMs, this.sampleRate));
    // Cap the threshold below the back-pressure size, else the gate would wait for audio the producer may not queue.
    this.gate = new PrebufferGate({
      prebufferMs: options.prebufferMs,
      capMs: Math.max(FRAME_MS, options.maxBufferedMs * 0.8),
      maxChunkMs: options.maxChunkMs,
      frameMs: FRAME_MS,
    });
    this.gapFrames = Math.ceil((options.gapMs ?? 0) / FRAME_MS);
    this.interruptGapFrames = Math.ceil((options.interruptGapMs ?? 0) / FRAME_MS);
    this.fadeLen = Math.min(this.frameSamples, rampSamples(TRANSPORT_FADE_MS, this.sampleRate));
    this.scratch = new Float32Array(this.frameSamples);
  }

  /** Room generation: bumped by every cancel. */
  get generation(): number {
    return this.generationValue;
  }

  get status(): PlayoutStatus {
    return this.statusValue;
  }

  /** Audio queued and not yet played, ms. */
  bufferedMs(): number {
    return (this.fifo.bufferedSamples() * 1000) / this.sampleRate;
  }

  /**
   * Declares a narration; it plays after those already declared. Ignored for an id already declared
   * or cancelled.
   * @param declared false when `push` declares it because its audio came first (see `cancel`)
   */
  beginNarration(narrationId: string, nowMs: number, declared = true): void {
    const known = this.byId.get(narrationId);
    if (known) known.declared ||= declared;
    if (known || this.cancelledIds.has(narrationId)) return;
    const n: NarrationState = {
      id: narrationId, declared, finished: false, frames: 0, underruns: 0, gapMs: 0,
      paused: false, firstBlockAtMs: null, firstFrameAtMs: null, lastFrameAtMs: null,
    };
    this.queue.push(n);
    this.byId.set(narrationId, n);
    this.updateStatus(nowMs);
  }

  /**
   * Queues a block of a narration (mono f32 in [-1, 1] at the room rate, shaped: seams faded; the
   * room keeps it and may fade it in place on cancel or pause). A narration not declared yet is
   * declared; blocks of a cancelled one are ignored.
   */
  push(narrationId: string, chunkIndex: number, samples: Float32Array, nowMs: number): void {
    this.pushedSamples += samples.length;
    if (this.cancelledIds.has(narrationId)) {
      this.consumedSamples += samples.length;
      return;
    }
    if (samples.length === 0) return;
    if (!this.byId.has(narrationId)) this.beginNarration(narrationId, nowMs, false);
    this.byId.get(narrationId)!.firstBlockAtMs ??= nowMs;
    this.fifo.push(narrationId, chunkIndex, samples);
  }

  /** Synthesis of the narration is finished: the gate may start it and it may drain. */
  endNarration(narrationId: string, nowMs: number): void {
    const n = this.byId.get(narrationId);
    if (!n || n.finished) return;
    n.finished = true;
    this.updateStatus(nowMs);
  }

  /** Sets the measured RTF the gate sizes its threshold with. @throws RangeError for a bad RTF */
  setRtf(rtf: number): void {
    this.gate.setRtf(rtf);
  }

  /** Fades out at the next frame, then plays silence; the FIFO is kept. */
  pause(nowMs: number): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.pauseFadePending = true;
    this.resumeFadePending = false;
    const head = this.queue[0];
    if (head && this.gate.state === 'playing') head.paused = true;
    this.updateStatus(nowMs);
  }

  /** Fades back in from where the pause left off. */
  resume(nowMs: number): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.pauseFadePending = false;
    this.resumeFadePending = true;
    this.updateStatus(nowMs);
  }

  /**
   * Cancels narrations (null = all of the room's): bumps the generation, drops their
   * queued audio, ends them (`narration-end`, cancelled). Blocks pushed for them later are ignored.
   * @param requestedAtMs when the cancel was requested, epoch ms (for `cancelLatencyMs`)
   * @param nowMs epoch ms now
   * @param breath an interrupting narration follows: after an audible fade-out it starts `interruptGapMs`
   *   later (a plain cancel leaves the room free at once)
   * @returns the fade-out frame of the narration that was audible — hand it to the sinks now;
   *   null when none was audible (buffering, paused, or not at the head)
   */
  cancel(narrationIds: readonly string[] | null, requestedAtMs: number, nowMs: number, breath = false): AudioFrame | null {
    const wanted = narrationIds === null ? null : new Set(narrationIds);
    // A cancel of all means the narrations declared before it: one only audio spoke of is newer (its
    // audio, from the assembly thread's port, overtook the main thread's cancel and declaration).
    const targets = this.queue.filter((n) => (wanted === null ? n.declared : wanted.has(n.id)));
    for (const id of wanted ?? []) this.rememberCancel(id);
    this.generationValue++;
    const head = this.queue[0];
    let frame: AudioFrame | null = null;
    if (head && targets.includes(head) && this.gate.state === 'playing' && !this.isPaused) {
      const { spans } = this.fifo.pop(this.frameSamples, { narrationId: head.id, finished: true, out: this.scratch });
      for (const s of spans) this.consumedSamples += s.length;
      fadeOutThenSilence(this.scratch, this.fadeLen);
      frame = this.makeFrame(head, nowMs);
      this.earlyFrames++;
      this.gapOwed = breath ? this.interruptGapFrames : 0;
    }
    for (const n of targets) {
      this.rememberCancel(n.id);
      this.consumedSamples += this.fifo.dropNarration(n.id);
      this.finish(n, { cancelled: true, cancelLatencyMs: nowMs - requestedAtMs });
    }
    if (head && targets.includes(head)) this.gate.reset();
    this.updateStatus(nowMs);
    return frame;
  }

  /**
   * The room's frame for the next slot: audio of the playing narration, or silence
   * (idle, buffering, underrun, paused). Emits status, chunk-start, underrun and narration-end events.
   * @param nowMs epoch ms at which the frame is handed to the sinks
   * @param dueMs the clock slot the frame is made for, epoch ms ({@link AudioFrame.dueMs}); default `nowMs`
   * @returns null when the slot was already taken by a cancel's immediate fade-out frame
   */
  nextFrame(nowMs: number, dueMs: number = nowMs): AudioFrame | null {
    if (this.earlyFrames > 0) {
      this.earlyFrames--;
      return null;
    }
    const out = this.scratch;
    out.fill(0);
    let playing: NarrationState | null = null;
    if (this.isPaused) {
      const head = this.queue[0];
      if (this.pauseFadePending && head && this.gate.state === 'playing') {
        // Peek, not pop: resume restarts from these samples, so the faded frame loses no speech.
        this.fifo.peek(this.frameSamples, head.id, out);
        fadeOutThenSilence(out, this.fadeLen);
        playing = head;
      }
      this.pauseFadePending = false;
    } else {
      playing = this.advance(nowMs);
    }
    const frame = this.makeFrame(playing, nowMs, dueMs);
    if (playing && !this.isPaused && playing.finished && this.fifo.bufferedSamples(playing.id) === 0) {
      this.finish(playing, { cancelled: false, cancelLatencyMs: null });
      this.gate.reset();
    }
    this.updateStatus(nowMs);
    return frame;
  }

  /** Ends every narration (as cancelled) without a fade frame; for closing the room. */
  dispose(nowMs: number): void {
    this.cancel(null, nowMs, nowMs);
    this.earlyFrames = 0;
  }

  /** Runs the gate on the head narration(s); pops a frame into the scratch buffer when one plays. */
  private advance(nowMs: number): NarrationState | null {
    if (this.gapOwed > 0) {
      // Between narrations: the owed silence passes whether or not the next one is queued yet.
      this.gapOwed--;
      return null;
    }
    for (;;) {
      const head = this.queue[0];
      if (!head) return null;
      if (this.gate.state === 'idle') this.gate.begin();
      const before: GateState = this.gate.state;
      const bufferedMs = (this.fifo.bufferedSamples(head.id) * 1000) / this.sampleRate;
      const state = this.gate.decide(bufferedMs, head.finished);
      if (state === 'drained') {
        this.finish(head, { cancelled: false, cancelLatencyMs: null });
        this.gate.reset();
        continue;
      }
      if (state === 'underrun') {
        if (before === 'playing') {
          head.underruns++;
          this.emit({ type: 'underrun', roomId: this.roomId, narrationId: head.id, atMs: nowMs });
        }
        head.gapMs += FRAME_MS;
        return null;
      }
      if (state !== 'playing') return null;
      const { spans } = this.fifo.pop(this.frameSamples, { narrationId: head.id, finished: head.finished, out: this.scratch });
      if (this.resumeFadePending) fadeIn(this.scratch, this.fadeLen);
      this.resumeFadePending = false;
      for (const s of spans) {
        this.consumedSamples += s.length;
        if (s.chunkStart) {
          this.emit({ type: 'chunk-start', roomId: this.roomId, narrationId: head.id, chunkIndex: s.chunkIndex, atMs: nowMs });
        }
      }
      return head;
    }
  }

  private makeFrame(n: NarrationState | null, nowMs: number, dueMs: number = nowMs): AudioFrame {
    if (n) {
      n.frames++;
      n.firstFrameAtMs ??= nowMs;
      n.lastFrameAtMs = nowMs;
    }
    return {
      roomId: this.roomId,
      seq: this.seq++,
      samples: f32ToS16(this.scratch, new Int16Array(this.frameSamples)),
      sampleRate: this.sampleRate,
      narrationId: n ? n.id : null,
      generation: this.generationValue,
      timeMs: nowMs,
      dueMs,
    };
  }

  private finish(n: NarrationState, end: { cancelled: boolean; cancelLatencyMs: number | null }): void {
    if (!end.cancelled && n.frames > 0) this.gapOwed = this.gapFrames;
    const i = this.queue.indexOf(n);
    if (i >= 0) this.queue.splice(i, 1);
    this.byId.delete(n.id);
    const stats: PlayoutNarrationStats = {
      audioMs: n.frames * FRAME_MS,
      underruns: n.underruns,
      gapMs: n.gapMs,
      cancelled: end.cancelled,
      cancelLatencyMs: end.cancelLatencyMs,
      paused: n.paused,
      firstBlockAtMs: n.firstBlockAtMs,
      firstFrameAtMs: n.firstFrameAtMs,
      lastFrameAtMs: n.lastFrameAtMs,
    };
    this.emit({ type: 'narration-end', roomId: this.roomId, narrationId: n.id, stats });
  }

  private rememberCancel(id: string): void {
    this.cancelledIds.add(id);
    if (this.cancelledIds.size > MAX_REMEMBERED_CANCELS) {
      const oldest = this.cancelledIds.values().next().value;
      if (oldest !== undefined) this.cancelledIds.delete(oldest);
    }
  }

  private updateStatus(nowMs: number): void {
    const status: PlayoutStatus = this.isPaused
      ? 'paused'
      : this.queue.length === 0
        ? 'idle'
        : this.gate.state === 'playing'
          ? 'speaking'
          : 'buffering';
    if (status === this.statusValue) return;
    this.statusValue = status;
    this.emit({ type: 'status', roomId: this.roomId, status, atMs: nowMs });
  }
}
