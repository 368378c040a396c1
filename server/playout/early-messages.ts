/** Audio held for rooms not open yet, samples at most over all rooms (60 s at 24 kHz). */
const MAX_SAMPLES = 60 * 24_000;
/** Messages for a room still not open after this long are dropped, ms (the room never opened, or closed). */
const TTL_MS = 10_000;

interface Held<T> {
  readonly firstMs: number;
  readonly messages: T[];
  samples: number;
}

/**
 * Messages that reach a thread for a room it has not opened yet, kept in order until it does
 * (issue 13). Audio comes over other ports than the main thread's control: an engine worker's (or
 * the assembly thread's) block can overtake the main thread's `open` of the room it belongs to,
 * though the main thread sent that first. Bounded: {@link MAX_SAMPLES} of audio over all rooms
 * (past it, messages are dropped and counted) and {@link TTL_MS} per room.
 */
export class EarlyMessages<T> {
  private readonly rooms = new Map<string, Held<T>>();
  private samples = 0;
  /** Messages dropped: over the bound, or their room never opened within the TTL. */
  dropped = 0;

  /** Holds `msg` (carrying `samples` of audio, 0 for control) for `roomId`. */
  hold(roomId: string, msg: T, samples: number, nowMs: number): void {
    if (this.samples + samples > MAX_SAMPLES) {
      this.dropped++;
      return;
    }
    let held = this.rooms.get(roomId);
    if (!held) this.rooms.set(roomId, (held = { firstMs: nowMs, messages: [], samples: 0 }));
    held.messages.push(msg);
    held.samples += samples;
    this.samples += samples;
  }

  /** The room opened: its held messages, in arrival order (none: an empty list). */
  take(roomId: string): T[] {
    const held = this.rooms.get(roomId);
    if (!held) return [];
    this.rooms.delete(roomId);
    this.samples -= held.samples;
    return held.messages;
  }

  /** Drops what rooms not opened within {@link TTL_MS} left here. Call now and then (once a second is fine). */
  expire(nowMs: number): void {
    for (const [roomId, held] of this.rooms) {
      if (nowMs - held.firstMs > TTL_MS) {
        this.dropped += this.take(roomId).length;
      }
    }
  }
}
