import type { AudioFrame } from './audio-sink.ts';

/**
 * One room's frames on their way from the clock thread to a sink worker: a single-producer /
 * single-consumer ring of fixed-size slots in one `SharedArrayBuffer`, so handing a frame over
 * is a copy of ~1 KB and two atomic stores, never a message or an allocation on the clock thread.
 *
 * Layout (byte offsets; `C` = capacity, a power of two; `S` = frame samples):
 * - header, Int32 × 4: `written` (frames pushed), `read` (frames taken), `dropped`, `closed` (0/1).
 *   `written`/`read` are free-running u32 counters: occupancy = (written − read) mod 2³², slot = counter & (C − 1);
 * - per slot, Float64 × 4: seq, generation, dueMs, timeMs (epoch ms);
 * - per slot, Int32 × 1: narration id length in UTF-8 bytes, −1 = silence;
 * - per slot, {@link MAX_NARRATION_ID_BYTES} bytes: the narration id;
 * - per slot, Int16 × S: the samples.
 *
 * The producer writes a slot, then publishes it with `Atomics.store(written)`; the consumer reads
 * `written` with `Atomics.load`, copies the slot out, then frees it with `Atomics.store(read)`.
 * Atomics are sequentially consistent in the JS memory model, so the slot's plain writes are
 * visible to the consumer that saw the new `written` (ECMA-262 §29, "Memory Model").
 *
 * Full ring → the NEWEST frame is dropped and counted (`dropped`), never waited for: the clock
 * thread must not block on a slow sink worker. Drop-newest rather than overwrite-oldest because
 * only the consumer may move `read` in an SPSC ring (overwriting would race the consumer's copy of
 * that very slot); either way the listener hears a gap of the same length, and RTP timestamps come
 * from `seq`, so the gap is a clean packet loss to the receiver, not a time shift.
 */

/** Bytes kept per frame for its narration id; ids are `crypto.randomUUID()` (36 bytes) in room-narrator.ts. */
export const MAX_NARRATION_ID_BYTES = 64;

/**
 * Default slots per room: 256 frames = 5.12 s of 20 ms frames (~0.5 MB per room at 22 050 Hz). 64 (1.28 s)
 * overflowed once in CI: a sink worker starved that long on 2 cores beside four Chromium pages, and the
 * listeners heard the dropped frames as packet loss.
 */
export const DEFAULT_RING_FRAMES = 256;

const HEADER_BYTES = 16;
const W = 0;
const R = 1;
const DROPPED = 2;
const CLOSED = 3;
const F64_PER_SLOT = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Shape of a ring, carried to the consumer thread with the buffer. */
export interface FrameRingShape {
  readonly sab: SharedArrayBuffer;
  readonly roomId: string;
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly capacity: number;
}

/** See the module comment. Both ends construct one over the same {@link FrameRingShape}. */
export class FrameRing {
  private readonly header: Int32Array;
  private readonly meta: Float64Array;
  private readonly idLen: Int32Array;
  private readonly idBytes: Uint8Array;
  private readonly samples: Int16Array;
  private readonly mask: number;
  /** Consumer's cache: the last narration id decoded and its bytes, so a narration's frames decode it once. */
  private lastId: string | null = null;
  private readonly lastIdBytes = new Uint8Array(MAX_NARRATION_ID_BYTES);
  private lastIdLen = -1;

  /**
   * Allocates a ring.
   * @param capacity slots, a power of two ≥ 2 (default {@link DEFAULT_RING_FRAMES})
   * @throws RangeError for a capacity that is not a power of two ≥ 2, or a frame size that is not a positive integer
   */
  static create(roomId: string, sampleRate: number, frameSamples: number, capacity = DEFAULT_RING_FRAMES): FrameRing {
    if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`FrameRing capacity must be a power of two >= 2, got ${capacity}`);
    }
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`FrameRing frameSamples must be a positive integer, got ${frameSamples}`);
    const bytes = HEADER_BYTES + capacity * (F64_PER_SLOT * 8 + 4 + MAX_NARRATION_ID_BYTES + frameSamples * 2);
    return new FrameRing({ sab: new SharedArrayBuffer(bytes), roomId, sampleRate, frameSamples, capacity });
  }

  /** Opens the other end of an existing ring (on the consumer thread). */
  constructor(readonly shape: FrameRingShape) {
    const { sab, capacity: c, frameSamples: s } = shape;
    let off = 0;
    this.header = new Int32Array(sab, off, 4);
    off += HEADER_BYTES;
    this.meta = new Float64Array(sab, off, c * F64_PER_SLOT);
    off += c * F64_PER_SLOT * 8;
    this.idLen = new Int32Array(sab, off, c);
    off += c * 4;
    this.idBytes = new Uint8Array(sab, off, c * MAX_NARRATION_ID_BYTES);
    off += c * MAX_NARRATION_ID_BYTES;
    this.samples = new Int16Array(sab, off, c * s);
    this.mask = c - 1;
  }

  /** Frames waiting for the consumer. */
  get pending(): number {
    return (Atomics.load(this.header, W) - Atomics.load(this.header, R)) >>> 0;
  }

  /** Frames the producer dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.header, DROPPED);
  }

  /** Whether the producer closed the ring (no frame follows the ones pending). */
  get closed(): boolean {
    return Atomics.load(this.header, CLOSED) === 1;
  }

  /**
   * Producer: copies the frame into the next slot. Never blocks.
   * @param dueMs the clock slot the frame was made for, epoch ms
   * @returns false when the frame was not queued: the ring is full (counted in {@link dropped}) or closed
   * @throws RangeError when the frame's sample count differs from the ring's, or its narration id is
   *   longer than {@link MAX_NARRATION_ID_BYTES} bytes (UTF-8)
   */
  push(frame: AudioFrame, dueMs: number): boolean {
    const h = this.header;
    if (Atomics.load(h, CLOSED) === 1) return false;
    const w = Atomics.load(h, W);
    if (((w - Atomics.load(h, R)) >>> 0) >= this.shape.capacity) {
      Atomics.add(h, DROPPED, 1);
      return false;
    }
    const s = this.shape.frameSamples;
    if (frame.samples.length !== s) throw new RangeError(`room ${this.shape.roomId}: frame of ${frame.samples.length} samples, ring holds ${s}`);
    const slot = w & this.mask;
    const m = slot * F64_PER_SLOT;
    this.meta[m] = frame.seq;
    this.meta[m + 1] = frame.generation;
    this.meta[m + 2] = dueMs;
    this.meta[m + 3] = frame.timeMs;
    if (frame.narrationId === null) {
      this.idLen[slot] = -1;
    } else {
      const dst = this.idBytes.subarray(slot * MAX_NARRATION_ID_BYTES, (slot + 1) * MAX_NARRATION_ID_BYTES);
      const { read, written } = encoder.encodeInto(frame.narrationId, dst);
      if (read !== frame.narrationId.length) {
        throw new RangeError(`room ${this.shape.roomId}: narration id longer than ${MAX_NARRATION_ID_BYTES} UTF-8 bytes`);
      }
      this.idLen[slot] = written;
    }
    this.samples.set(frame.samples, slot * s);
    Atomics.store(h, W, (w + 1) | 0);
    return true;
  }

  /** Producer: no frame follows; the consumer drains what is pending. Idempotent. */
  close(): void {
    Atomics.store(this.header, CLOSED, 1);
  }

  /**
   * Consumer: takes the oldest pending frame (a fresh copy the caller may keep).
   * @returns the frame and its due time, or null when none is pending
   */
  pop(): { frame: AudioFrame; dueMs: number } | null {
    const h = this.header;
    const r = Atomics.load(h, R);
    if (r === Atomics.load(h, W)) return null;
    const { frameSamples: s, roomId, sampleRate } = this.shape;
    const slot = r & this.mask;
    const m = slot * F64_PER_SLOT;
    const samples = this.samples.slice(slot * s, (slot + 1) * s);
    const dueMs = this.meta[m + 2]!;
    const frame: AudioFrame = {
      roomId,
      seq: this.meta[m]!,
      samples,
      sampleRate,
      narrationId: this.readId(slot),
      generation: this.meta[m + 1]!,
      timeMs: this.meta[m + 3]!,
      dueMs,
    };
    Atomics.store(h, R, (r + 1) | 0);
    return { frame, dueMs };
  }

  private readId(slot: number): string | null {
    const len = this.idLen[slot]!;
    if (len < 0) return null;
    const bytes = this.idBytes.subarray(slot * MAX_NARRATION_ID_BYTES, slot * MAX_NARRATION_ID_BYTES + len);
    if (len === this.lastIdLen && bytes.every((b, i) => b === this.lastIdBytes[i])) return this.lastId;
    this.lastIdBytes.set(bytes);
    this.lastIdLen = len;
    // TextDecoder refuses views of a SharedArrayBuffer: decode the private copy.
    this.lastId = decoder.decode(this.lastIdBytes.subarray(0, len));
    return this.lastId;
  }
}
